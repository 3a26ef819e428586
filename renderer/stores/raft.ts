// The Raft page's own data: the service's recorded term timeline, a member's log window and the
// leader's view of each follower's replication progress.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { RaftLogWindow, RaftProgress, TermSample } from '../contract';
import { adminApi } from '../api';
import { useConnectionScope } from './connectionScope';

/** Log entries fetched per window. */
export const logWindowSize = 100;

export const useRaftStore = defineStore('raft', () => {
  const timeline = ref<TermSample[]>([]);
  const logWindow = ref<RaftLogWindow | null>(null);
  const progress = ref<RaftProgress | null>(null);
  const scope = useConnectionScope(() => {
    timeline.value = [];
    logWindow.value = null;
    progress.value = null;
  });
  const polled = { keepErrorWhileRunning: true };
  const timelineState = scope.requestState(undefined, polled);
  const logState = scope.requestState();
  const progressState = scope.requestState(undefined, polled);

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

  /** Reads replication progress from the leader; a read already under way is not repeated. */
  async function loadProgress(connectionId: string): Promise<void> {
    if (progressState.loading.value) return;
    const result = await progressState.run(() => adminApi().raftProgress({ connectionId }));
    if (result.ok || result.error.code !== 'cancelled') progress.value = result.ok ? result.value : null;
  }

  return {
    timeline,
    progress,
    progressError: progressState.error,
    loadProgress,
    logWindow,
    timelineError: timelineState.error,
    logLoading: logState.loading,
    logError: logState.error,
    loadTimeline,
    loadLog,
  };
});
