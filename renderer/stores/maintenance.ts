// Snapshots and maintenance: saving a snapshot with progress, checking a snapshot file, restoring
// into a new local cluster, compaction, defragmentation and alarms.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { AlarmInfo, DefragmentResult, SnapshotFileStatus, SnapshotSaved } from '../contract';
import { adminApi } from '../api';
import { useConnectionScope } from './connectionScope';
import { useConnectionsStore } from './connections';
import { useLocalClustersStore } from './localClusters';
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
  /** What the last compaction or defragmentation did, in words, until the next one starts. */
  const actionNotice = ref<string | null>(null);
  /** What the last restore did, in words. */
  const restoreNotice = ref<string | null>(null);
  const scope = useConnectionScope(() => {
    saved.value = null;
    progress.value = null;
    defragResults.value = [];
    alarms.value = [];
    actionNotice.value = null;
  });
  // Snapshot files and restores are not a connection's: their state stays when it changes.
  const snapshot = useRequestState();
  const action = scope.requestState();
  const alarmState = scope.requestState();
  const saveState = scope.requestState();

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
    const result = await saveState.run(() => adminApi().saveSnapshot({ connectionId, path, operationId }));
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
    restoreNotice.value = null;
    const result = await snapshot.run(() => adminApi().restoreSnapshot({ path, clusterName, memberCount }));
    if (!result.ok) return false;
    const connections = useConnectionsStore();
    await Promise.all([connections.load(), useLocalClustersStore().load()]);
    connections.select(result.value.connectionId);
    const members = result.value.members.length;
    restoreNotice.value = `Restored ${path} into the new local cluster ${result.value.name} (${members} member${members === 1 ? '' : 's'}, running); it is now the active connection.`;
    return true;
  }

  async function compact(connectionId: string, revision: number, physical: boolean): Promise<boolean> {
    actionNotice.value = null;
    defragResults.value = [];
    const result = await action.run(() => adminApi().compact({ connectionId, revision, physical }));
    if (result.ok) actionNotice.value = `Compacted: history before revision ${revision} is gone${physical ? ' and its space freed for reuse' : ''}.`;
    return result.ok;
  }

  async function defragment(connectionId: string): Promise<boolean> {
    actionNotice.value = null;
    defragResults.value = [];
    const result = await action.run(() => adminApi().defragment({ connectionId }));
    if (!result.ok) return false;
    defragResults.value = result.value;
    const failed = result.value.filter((member) => !member.ok).length;
    actionNotice.value = failed === 0 ? `Defragmented all ${result.value.length} member(s).` : null;
    return failed === 0;
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

  function dismiss(): void {
    action.clear();
    actionNotice.value = null;
  }

  return {
    progress,
    saved,
    fileStatus,
    defragResults,
    alarms,
    snapshotBusy: snapshot.loading,
    snapshotError: snapshot.error,
    saving: saveState.loading,
    saveError: saveState.error,
    actionNotice,
    restoreNotice,
    dismiss,
    alarmsLoading: alarmState.loading,
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
