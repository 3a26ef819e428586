// Local clusters the console launched: their members' states (kept current by `localClusters`
// events, so a member that exits or heals shows at once), the actions on them, and member logs.
// An action's failure is shown with what was tried; the next action clears it.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { LocalClusterInfo, LocalClusterSecurityRequest, LocalMemberAction, Result } from '../contract';
import { adminApi } from '../api';
import { useConnectionsStore } from './connections';
import { useRequestState } from './requestState';

/** Lines of a member's log shown, and fetched when the log opens. */
export const memberLogLinesShown = 500;
/** The name under which the service keeps a cluster's proxy log (core/admin/localProxy.ts). */
export const proxyLogName = 'proxy';

const actionVerbs: Record<LocalMemberAction | 'remove' | 'promote' | 'partition', string> = {
  start: 'Starting',
  stop: 'Stopping',
  restart: 'Restarting',
  kill: 'Killing',
  pause: 'Pausing',
  resume: 'Resuming',
  remove: 'Removing',
  promote: 'Promoting',
  partition: 'Partitioning',
};

export const useLocalClustersStore = defineStore('localClusters', () => {
  const localClusters = ref<LocalClusterInfo[]>([]);
  const listState = useRequestState();
  const actionState = useRequestState();
  /** What the failed action was ("Removing m1 failed"); shown as the error's title. */
  const actionTitle = ref<string | null>(null);
  /** The last action that succeeded, in words, until the next action starts. */
  const actionNotice = ref<string | null>(null);
  let subscriptionId: string | null = null;
  let following = false;
  const logTarget = ref<{ clusterId: string; memberName: string } | null>(null);
  const logLines = ref<string[]>([]);
  const logState = useRequestState();
  let logSubscriptionId: string | null = null;

  async function load(): Promise<void> {
    const result = await listState.run(() => adminApi().listLocalClusters({}));
    if (result.ok) localClusters.value = result.value;
  }

  /** Keeps the list current from the service's events until `unfollow`. */
  async function follow(): Promise<void> {
    if (following) return;
    following = true;
    const result = await adminApi().subscribe({ kind: 'localClusters' }, (event) => {
      if (event.kind === 'localClusters') localClusters.value = event.clusters;
    });
    if (result.ok) subscriptionId = result.value.subscriptionId;
    await load();
  }

  async function unfollow(): Promise<void> {
    following = false;
    if (subscriptionId === null) return;
    const id = subscriptionId;
    subscriptionId = null;
    await adminApi().unsubscribe(id);
  }

  /** Runs one action, then reads the clusters again whatever its outcome; answers whether it worked. */
  async function act<T>(title: string, success: string, call: () => Promise<Result<T>>): Promise<Result<T>> {
    actionTitle.value = title;
    actionNotice.value = null;
    const result = await actionState.run(call);
    await load();
    if (result.ok) actionNotice.value = success;
    return result;
  }

  /**
   * `security`: TLS and authentication (plaintext without either when absent); `proxyNamespace`:
   * also run a grpc-proxy in front, with that key namespace ('' for none); null for no proxy.
   */
  async function create(name: string, memberCount: 1 | 3 | 5, security?: LocalClusterSecurityRequest, proxyNamespace: string | null = null): Promise<boolean> {
    const proxy = proxyNamespace === null ? {} : { proxy: { namespace: proxyNamespace } };
    const withProxy = proxyNamespace === null ? '' : ' and a proxy';
    const result = await act(`Launching ${name} failed`, `Launched ${name} with ${memberCount} member(s)${withProxy}.`, () =>
      adminApi().createLocalCluster({ name, memberCount, ...(security ? { security } : {}), ...proxy }),
    );
    if (!result.ok) return false;
    const connections = useConnectionsStore();
    await connections.load();
    connections.select(result.value.connectionId);
    return true;
  }

  async function destroy(clusterId: string, name: string): Promise<boolean> {
    if (logTarget.value?.clusterId === clusterId) await closeLog();
    const result = await act(`Destroying ${name} failed`, `Destroyed ${name} and deleted its data.`, () =>
      adminApi().destroyLocalCluster({ clusterId }),
    );
    if (result.ok) await useConnectionsStore().load();
    return result.ok;
  }

  async function controlMember(clusterId: string, memberName: string, action: LocalMemberAction): Promise<boolean> {
    const done = { start: 'started', stop: 'stopped', restart: 'restarted', kill: 'killed', pause: 'paused (SIGSTOP)', resume: 'resumed' }[action];
    const result = await act(`${actionVerbs[action]} ${memberName} failed`, `${memberName} ${done}.`, () =>
      adminApi().controlMember({ clusterId, memberName, action }),
    );
    return result.ok;
  }

  async function memberAction(action: 'remove' | 'promote' | 'partition', clusterId: string, memberName: string): Promise<boolean> {
    const api = adminApi();
    const request = { clusterId, memberName };
    const done = { remove: 'removed from the cluster', promote: 'promoted to a voting member', partition: 'cut off from every other member' }[action];
    const result = await act<unknown>(`${actionVerbs[action]} ${memberName} failed`, `${memberName} ${done}.`, async () => {
      if (action === 'remove') return api.removeLocalMember(request);
      if (action === 'promote') return api.promoteLocalMember(request);
      return api.partitionMember(request);
    });
    return result.ok;
  }

  async function addMember(clusterId: string, asLearner: boolean): Promise<boolean> {
    const kind = asLearner ? 'learner' : 'member';
    const result = await act(`Adding a ${kind} failed`, '', () => adminApi().addLocalMember({ clusterId, asLearner }));
    if (result.ok) actionNotice.value = `${result.value.name} added as a ${kind}.`;
    return result.ok;
  }

  async function healPartitions(clusterId: string): Promise<boolean> {
    const result = await act('Healing partitions failed', 'Partitions healed: every member hears every other again.', () =>
      adminApi().healPartitions({ clusterId }),
    );
    return result.ok;
  }

  async function addProxy(clusterId: string, namespace: string): Promise<boolean> {
    const result = await act('Adding the proxy failed', '', () => adminApi().addLocalProxy({ clusterId, namespace }));
    if (result.ok) actionNotice.value = `Proxy started at ${result.value.clientUrl}.`;
    return result.ok;
  }

  async function removeProxy(clusterId: string): Promise<boolean> {
    if (logTarget.value?.clusterId === clusterId && logTarget.value.memberName === proxyLogName) await closeLog();
    const result = await act('Removing the proxy failed', 'Proxy stopped and removed, with its connection.', () => adminApi().removeLocalProxy({ clusterId }));
    if (result.ok) await useConnectionsStore().load();
    return result.ok;
  }

  /** Makes (or reuses) the connection through the cluster's proxy and switches to it. */
  async function connectThroughProxy(clusterId: string): Promise<boolean> {
    const result = await act('Connecting through the proxy failed', '', () => adminApi().connectThroughProxy({ clusterId }));
    if (!result.ok) return false;
    actionNotice.value = `Now using ${result.value.name}.`;
    const connections = useConnectionsStore();
    await connections.load();
    connections.select(result.value.id);
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

  function dismiss(): void {
    actionState.clear();
    actionNotice.value = null;
  }

  return {
    localClusters,
    loading: listState.loading,
    error: listState.error,
    acting: actionState.loading,
    actionError: actionState.error,
    actionTitle,
    actionNotice,
    logTarget,
    logLines,
    logError: logState.error,
    load,
    follow,
    unfollow,
    create,
    destroy,
    controlMember,
    memberAction,
    addMember,
    healPartitions,
    addProxy,
    removeProxy,
    connectThroughProxy,
    openLog,
    closeLog,
    dismiss,
  };
});
