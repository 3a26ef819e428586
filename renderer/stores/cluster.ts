// The Cluster page's data: live status of the active connection's members (through a
// clusterStatus subscription) and the local clusters the console launched, with their actions.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ClusterStatus, LocalClusterInfo, LocalMemberAction, TermSample } from '../contract';

/** What the charts need of one status tick. */
export interface StatusSample {
  readonly takenAtMs: number;
  readonly revision: number;
  /** Each member's applied index by name (null when its status could not be read). */
  readonly applied: Readonly<Record<string, number | null>>;
}
import { adminApi } from '../api';
import { useConnectionsStore } from './connections';
import { useRequestState } from './requestState';

/** Most term samples the renderer keeps for the timeline chart. */
export const termSamplesMax = 500;
/** Most status samples kept for the write-rate and index charts (a few minutes of ticks). */
export const statusSamplesMax = 300;
/** Lines of a member's log shown, and fetched when the log opens. */
export const memberLogLinesShown = 500;

export const useClusterStore = defineStore('cluster', () => {
  const status = ref<ClusterStatus | null>(null);
  const localClusters = ref<LocalClusterInfo[]>([]);
  /** Term and leader changes seen live, oldest first (merged into the service's timeline). */
  const liveTerms = ref<TermSample[]>([]);
  /** Status ticks seen live, oldest first, at most statusSamplesMax (the charts' data). */
  const samples = ref<StatusSample[]>([]);
  const statusState = useRequestState();
  const localState = useRequestState();
  const actionState = useRequestState();
  let subscriptionId: string | null = null;
  let followedConnectionId: string | null = null;
  /** The member whose log is open, and its lines (newest last). */
  const logTarget = ref<{ clusterId: string; memberName: string } | null>(null);
  const logLines = ref<string[]>([]);
  const logState = useRequestState();
  let logSubscriptionId: string | null = null;

  function recordStatus(next: ClusterStatus): void {
    status.value = next;
    if ((samples.value.at(-1)?.takenAtMs ?? -1) < next.takenAtMs) {
      const applied = Object.fromEntries(next.members.map((member) => [member.name || member.id, member.raftAppliedIndex]));
      samples.value = [...samples.value, { takenAtMs: next.takenAtMs, revision: next.revision, applied }].slice(-statusSamplesMax);
    }
    const term = Math.max(0, ...next.members.map((member) => member.term ?? 0));
    const last = liveTerms.value[liveTerms.value.length - 1];
    if (!last || last.term !== term || last.leaderId !== next.leaderId) {
      liveTerms.value = [...liveTerms.value, { takenAtMs: next.takenAtMs, term, leaderId: next.leaderId }].slice(-termSamplesMax);
    }
  }

  async function refresh(connectionId: string): Promise<void> {
    const result = await statusState.run(() => adminApi().clusterStatus({ connectionId }));
    if (result.ok) recordStatus(result.value);
  }

  /** Follows live status ticks of `connectionId` until `unfollow`. */
  async function follow(connectionId: string): Promise<void> {
    if (followedConnectionId === connectionId) return;
    await unfollow();
    followedConnectionId = connectionId;
    liveTerms.value = [];
    samples.value = [];
    status.value = null;
    const result = await adminApi().subscribe({ kind: 'clusterStatus', connectionId }, (event) => {
      if (event.kind !== 'clusterStatus' || event.connectionId !== followedConnectionId) return;
      if (event.status.ok) {
        statusState.error.value = null;
        recordStatus(event.status.value);
      } else {
        statusState.error.value = event.status.error;
      }
    });
    if (result.ok) subscriptionId = result.value.subscriptionId;
    else statusState.error.value = result.error;
    await refresh(connectionId);
  }

  async function unfollow(): Promise<void> {
    followedConnectionId = null;
    if (subscriptionId === null) return;
    const id = subscriptionId;
    subscriptionId = null;
    await adminApi().unsubscribe(id);
  }

  async function moveLeader(connectionId: string, targetMemberId: string): Promise<boolean> {
    const result = await actionState.run(() => adminApi().moveLeader({ connectionId, targetMemberId }));
    if (result.ok) await refresh(connectionId);
    return result.ok;
  }

  async function loadLocal(): Promise<void> {
    const result = await localState.run(() => adminApi().listLocalClusters({}));
    if (result.ok) localClusters.value = result.value;
  }

  async function createLocal(name: string, memberCount: 1 | 3 | 5): Promise<boolean> {
    const result = await localState.run(() => adminApi().createLocalCluster({ name, memberCount }));
    if (!result.ok) return false;
    localClusters.value = [...localClusters.value, result.value];
    const connections = useConnectionsStore();
    await connections.load();
    connections.select(result.value.connectionId);
    return true;
  }

  async function destroyLocal(clusterId: string): Promise<boolean> {
    if (logTarget.value?.clusterId === clusterId) await closeLog();
    const result = await actionState.run(() => adminApi().destroyLocalCluster({ clusterId }));
    if (!result.ok) return false;
    localClusters.value = localClusters.value.filter((cluster) => cluster.id !== clusterId);
    await useConnectionsStore().load();
    return true;
  }

  /** Opens a member's log: its recent lines, then new lines as they are written. */
  async function openLog(clusterId: string, memberName: string): Promise<void> {
    await closeLog();
    logTarget.value = { clusterId, memberName };
    logLines.value = [];
    const result = await logState.run(() => adminApi().memberLogs({ clusterId, memberName, tailLines: memberLogLinesShown }));
    if (!result.ok) return;
    logLines.value = result.value;
    const subscribed = await adminApi().subscribe({ kind: 'memberLog', clusterId, memberName }, (event) => {
      if (event.kind === 'memberLog' && event.clusterId === clusterId && event.memberName === memberName) {
        logLines.value = [...logLines.value, ...event.lines].slice(-memberLogLinesShown);
      }
    });
    if (subscribed.ok) logSubscriptionId = subscribed.value.subscriptionId;
  }

  async function closeLog(): Promise<void> {
    logTarget.value = null;
    logLines.value = [];
    if (logSubscriptionId === null) return;
    const id = logSubscriptionId;
    logSubscriptionId = null;
    await adminApi().unsubscribe(id);
  }

  async function controlMember(clusterId: string, memberName: string, action: LocalMemberAction): Promise<boolean> {
    const result = await actionState.run(() => adminApi().controlMember({ clusterId, memberName, action }));
    if (result.ok) await loadLocal();
    return result.ok;
  }

  async function memberAction(
    action: 'remove' | 'promote' | 'partition',
    clusterId: string,
    memberName: string,
  ): Promise<boolean> {
    const api = adminApi();
    const request = { clusterId, memberName };
    const result = await actionState.run(async () => {
      if (action === 'remove') return api.removeLocalMember(request);
      if (action === 'promote') return api.promoteLocalMember(request);
      return api.partitionMember(request);
    });
    if (result.ok) await loadLocal();
    return result.ok;
  }

  async function addMember(clusterId: string, asLearner: boolean): Promise<boolean> {
    const result = await actionState.run(() => adminApi().addLocalMember({ clusterId, asLearner }));
    if (result.ok) await loadLocal();
    return result.ok;
  }

  async function healPartitions(clusterId: string): Promise<boolean> {
    const result = await actionState.run(() => adminApi().healPartitions({ clusterId }));
    return result.ok;
  }

  return {
    status,
    localClusters,
    liveTerms,
    samples,
    loading: statusState.loading,
    error: statusState.error,
    localLoading: localState.loading,
    localError: localState.error,
    acting: actionState.loading,
    actionError: actionState.error,
    logTarget,
    logLines,
    logError: logState.error,
    refresh,
    follow,
    unfollow,
    moveLeader,
    loadLocal,
    createLocal,
    destroyLocal,
    openLog,
    closeLog,
    controlMember,
    memberAction,
    addMember,
    healPartitions,
  };
});
