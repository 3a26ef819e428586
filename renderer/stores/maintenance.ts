// Snapshots and maintenance: saving a snapshot with progress, checking a snapshot file, restoring
// into a new local cluster, compaction, defragmentation and alarms.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { AlarmInfo, DefragmentResult, SnapshotFileStatus, SnapshotSaved } from '../contract';
import { adminApi } from '../api';
import { useClusterStore } from './cluster';
import { useConnectionsStore } from './connections';
import { useRequestState } from './requestState';

export interface SnapshotProgress {
  doneBytes: number;
  totalBytes: number | null;
}

let operationCounter = 0;

export const useMaintenanceStore = defineStore('maintenance', () => {
  const progress = ref<SnapshotProgress | null>(null);
  const saved = ref<SnapshotSaved | null>(null);
  const fileStatus = ref<SnapshotFileStatus | null>(null);
  const defragResults = ref<DefragmentResult[]>([]);
  const alarms = ref<AlarmInfo[]>([]);
  const snapshot = useRequestState();
  const action = useRequestState();
  const alarmState = useRequestState();

  async function pickPath(purpose: 'snapshotSave' | 'snapshotOpen'): Promise<string | null> {
    const result = await action.run(() => adminApi().pickFile({ purpose }));
    return result.ok ? result.value.path : null;
  }

  async function save(connectionId: string, path: string): Promise<boolean> {
    const operationId = `snapshot-${Date.now()}-${++operationCounter}`;
    saved.value = null;
    progress.value = { doneBytes: 0, totalBytes: null };
    const subscription = await adminApi().subscribe({ kind: 'progress', operationId }, (event) => {
      if (event.kind === 'progress') progress.value = { doneBytes: event.doneBytes, totalBytes: event.totalBytes };
    });
    const result = await snapshot.run(() => adminApi().saveSnapshot({ connectionId, path, operationId }));
    if (subscription.ok) await adminApi().unsubscribe(subscription.value.subscriptionId);
    if (result.ok) saved.value = result.value;
    else progress.value = null;
    return result.ok;
  }

  async function checkFile(path: string): Promise<void> {
    fileStatus.value = null;
    const result = await snapshot.run(() => adminApi().snapshotStatus({ path }));
    if (result.ok) fileStatus.value = result.value;
  }

  /** Restores into a new local cluster and makes its connection the active one. */
  async function restore(path: string, clusterName: string, memberCount: 1 | 3 | 5): Promise<boolean> {
    const result = await snapshot.run(() => adminApi().restoreSnapshot({ path, clusterName, memberCount }));
    if (!result.ok) return false;
    const connections = useConnectionsStore();
    await Promise.all([connections.load(), useClusterStore().loadLocal()]);
    connections.select(result.value.connectionId);
    return true;
  }

  async function compact(connectionId: string, revision: number, physical: boolean): Promise<boolean> {
    return (await action.run(() => adminApi().compact({ connectionId, revision, physical }))).ok;
  }

  async function defragment(connectionId: string): Promise<boolean> {
    const result = await action.run(() => adminApi().defragment({ connectionId }));
    if (result.ok) defragResults.value = result.value;
    return result.ok;
  }

  async function loadAlarms(connectionId: string): Promise<void> {
    const result = await alarmState.run(() => adminApi().listAlarms({ connectionId }));
    if (result.ok) alarms.value = result.value;
  }

  async function disarm(connectionId: string, alarm: AlarmInfo): Promise<boolean> {
    const result = await alarmState.run(() => adminApi().disarmAlarm({ connectionId, ...alarm }));
    if (result.ok) await loadAlarms(connectionId);
    return result.ok;
  }

  return {
    progress,
    saved,
    fileStatus,
    defragResults,
    alarms,
    snapshotBusy: snapshot.loading,
    snapshotError: snapshot.error,
    acting: action.loading,
    actionError: action.error,
    alarmError: alarmState.error,
    pickPath,
    save,
    checkFile,
    restore,
    compact,
    defragment,
    loadAlarms,
    disarm,
  };
});
