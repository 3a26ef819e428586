// The Raft page's own data: the service's recorded term timeline and a member's log window.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { RaftLogWindow, TermSample } from '../contract';
import { adminApi } from '../api';
import { useRequestState } from './requestState';

/** Log entries fetched per window. */
export const logWindowSize = 100;

export const useRaftStore = defineStore('raft', () => {
  const timeline = ref<TermSample[]>([]);
  const logWindow = ref<RaftLogWindow | null>(null);
  const timelineState = useRequestState();
  const logState = useRequestState();

  async function loadTimeline(connectionId: string): Promise<void> {
    const result = await timelineState.run(() => adminApi().raftTermTimeline({ connectionId }));
    if (result.ok) timeline.value = result.value;
  }

  async function loadLog(connectionId: string, memberId: string, fromIndex: number | null): Promise<void> {
    logWindow.value = null;
    const result = await logState.run(() =>
      adminApi().raftLogWindow({ connectionId, memberId, fromIndex, limit: logWindowSize }),
    );
    if (result.ok) logWindow.value = result.value;
  }

  return {
    timeline,
    logWindow,
    timelineError: timelineState.error,
    logLoading: logState.loading,
    logError: logState.error,
    loadTimeline,
    loadLog,
  };
});
