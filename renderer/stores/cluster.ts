// The Cluster page's data: live status of the active connection's members (through a
// clusterStatus subscription), the samples the charts draw, and leader transfer. Everything here
// belongs to the active connection and is dropped when it changes.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ClusterStatus, Result, StatusSample, TermSample } from '../contract';
import { hexId } from '../hexId';

export type { StatusSample } from '../contract';
import { adminApi } from '../api';
import { useConnectionScope } from './connectionScope';

/** Most term samples the renderer keeps for the timeline chart. */
export const termSamplesMax = 500;
/** Most status samples kept for the write-rate and index charts (a few minutes of ticks). */
export const statusSamplesMax = 300;

export const useClusterStore = defineStore('cluster', () => {
  const status = ref<ClusterStatus | null>(null);
  /** Term and leader changes seen live, oldest first (merged into the service's timeline). */
  const liveTerms = ref<TermSample[]>([]);
  /** Status ticks seen live, oldest first, at most statusSamplesMax (the charts' data). */
  const samples = ref<StatusSample[]>([]);
  /** The last leader transfer or membership change that succeeded, in words, until the next one starts. */
  const actionNotice = ref<string | null>(null);
  /** What the failed action was, as the error's title. */
  const actionTitle = ref('The action failed');
  const scope = useConnectionScope(() => {
    status.value = null;
    liveTerms.value = [];
    samples.value = [];
    actionNotice.value = null;
  });
  const statusState = scope.requestState(undefined, { keepErrorWhileRunning: true });
  const actionState = scope.requestState();
  let subscriptionId: string | null = null;
  let followedConnectionId: string | null = null;

  function recordStatus(next: ClusterStatus): void {
    if (next.connectionId !== scope.activeId()) return;
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
    const result = await adminApi().subscribe({ kind: 'clusterStatus', connectionId }, (event) => {
      if (event.kind !== 'clusterStatus' || event.connectionId !== followedConnectionId || event.connectionId !== scope.activeId()) return;
      if (event.status.ok) {
        statusState.clear();
        recordStatus(event.status.value);
      } else {
        statusState.error.value = event.status.error;
      }
    });
    if (result.ok) subscriptionId = result.value.subscriptionId;
    else statusState.error.value = result.error;
    await loadHistory(connectionId);
    await refresh(connectionId);
  }

  /**
   * Puts the service's recorded ticks and term changes before those seen here, so the charts keep
   * their history across page visits and reloads.
   */
  async function loadHistory(connectionId: string): Promise<void> {
    const result = await adminApi().clusterHistory({ connectionId });
    if (!result.ok || connectionId !== scope.activeId()) return;
    const firstLive = samples.value[0]?.takenAtMs ?? Number.POSITIVE_INFINITY;
    samples.value = [...result.value.samples.filter((sample) => sample.takenAtMs < firstLive), ...samples.value].slice(-statusSamplesMax);
    const firstTerm = liveTerms.value[0]?.takenAtMs ?? Number.POSITIVE_INFINITY;
    liveTerms.value = [...result.value.terms.filter((sample) => sample.takenAtMs < firstTerm), ...liveTerms.value].slice(-termSamplesMax);
  }

  async function unfollow(): Promise<void> {
    followedConnectionId = null;
    if (subscriptionId === null) return;
    const id = subscriptionId;
    subscriptionId = null;
    await adminApi().unsubscribe(id);
  }

  async function moveLeader(connectionId: string, targetMemberId: string, targetName: string): Promise<boolean> {
    actionNotice.value = null;
    actionTitle.value = 'Moving the leader failed';
    const result = await actionState.run(() => adminApi().moveLeader({ connectionId, targetMemberId }));
    if (result.ok) actionNotice.value = `Leadership moved to ${targetName}.`;
    await refresh(connectionId);
    return result.ok;
  }

  /** Runs a membership change through the Cluster API, then reads the status again. */
  async function changeMembers(connectionId: string, success: string, call: () => Promise<Result<unknown>>): Promise<boolean> {
    actionNotice.value = null;
    actionTitle.value = 'The membership change failed';
    const result = await actionState.run(call);
    if (result.ok) actionNotice.value = success;
    await refresh(connectionId);
    return result.ok;
  }

  async function addMember(connectionId: string, peerUrl: string, isLearner: boolean): Promise<boolean> {
    const api = adminApi();
    actionNotice.value = null;
    actionTitle.value = `Adding ${peerUrl} failed`;
    const result = await actionState.run(() => api.addMember({ connectionId, peerUrls: [peerUrl], isLearner }));
    if (result.ok) {
      actionNotice.value = `Added ${hexId(result.value.memberId)} as a ${isLearner ? 'learner' : 'voting member'}. Start its process with --initial-cluster-state=existing --initial-cluster=${result.value.initialCluster}`;
    }
    await refresh(connectionId);
    return result.ok;
  }

  return {
    addMember,
    removeMember: (connectionId: string, memberId: string, name: string) =>
      changeMembers(connectionId, `Removed ${name} from the cluster.`, () => adminApi().removeMember({ connectionId, memberId })),
    promoteMember: (connectionId: string, memberId: string, name: string) =>
      changeMembers(connectionId, `Promoted ${name} to a voting member.`, () => adminApi().promoteMember({ connectionId, memberId })),
    actionTitle,
    status,
    liveTerms,
    samples,
    loading: statusState.loading,
    error: statusState.error,
    acting: actionState.loading,
    actionError: actionState.error,
    actionNotice,
    refresh,
    follow,
    unfollow,
    moveLeader,
  };
});
