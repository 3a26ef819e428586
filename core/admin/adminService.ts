// The AdminService: the console's back end, implementing the AdminApi over the etcd client.
// Each method is a few lines over a feature module (connections, keys, watches, cluster status,
// maintenance, leases, auth, raft inspection, local clusters, preferences); failures become
// `{ ok: false, error }` at this boundary. Where no `rafter` member command is configured, local
// clusters answer `unavailable` with a message saying so.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { AdminApi, AdminError, EventListener, EventTopic, LocalClusterInfo, Result } from './api.js';
import * as auth from './authService.js';
import { explainMissingCertificate, translateClientError } from './clientErrors.js';
import { ClusterService } from './clusterService.js';
import { ConnectionRegistry, probeConnection } from './connectionRegistry.js';
import { EventHub } from './eventHub.js';
import { FolderLock } from './folderLock.js';
import { SecretFile, type SecretCipher } from './secretFile.js';
import { LocalClusters } from './localClusters.js';
import type { LocalClusterSettings } from './localClusters.js';
import { PreferencesFile } from './preferencesFile.js';
import * as keys from './keysService.js';
import * as leases from './leasesService.js';
import * as maintenance from './maintenanceService.js';
import { mergeTermSamples, raftLogWindow, raftProgress, recordedLeaderHistory } from './raftInspection.js';
import { raftTraffic } from './raftTraffic.js';
import { AdminFailure, attempt, failure, ok } from './result.js';
import { WatchSessions } from './watchSessions.js';

export interface AdminServiceOptions {
  /** JSON file that keeps saved connections across restarts (without passwords); null keeps them in memory. */
  connectionsFile?: string | null;
  /** JSON file that keeps the console's preferences; null or absent keeps them in memory. */
  preferencesFile?: string | null;
  /**
   * Where and how local clusters run; their definitions are saved in `baseDir` and the clusters
   * come back on `open`. Null or absent: local clusters are unavailable. `appDataOptions` fills
   * all of this for the app's data folder.
   */
  localClusters?: LocalClusterSettings | null;
  /**
   * The data folder to lock while the service is open (see folderLock.ts), so two consoles never
   * share it; `open` throws FolderLockedError when another console holds it. Absent: no lock.
   */
  lockFolder?: string | null;
  /**
   * File for saved connection passwords and the host's cipher for them (the desktop app's
   * keychain). Absent: passwords are kept for the session only.
   */
  secrets?: { file: string; cipher: SecretCipher } | null;
  /**
   * Why passwords are not saved when `secrets` is absent, as the connection form shows it.
   * Absent: the web console's reason (`webPasswordNotice`).
   */
  passwordNotice?: string;
}

/** Name and size of the local cluster created on the first run. */
export const defaultLocalClusterName = 'default';
export const defaultLocalClusterMembers = 3;

/** Why local clusters are not available, as the console shows it. */
export const localClustersUnavailable =
  'Local clusters run Rafter’s member process (`rafter`), which this build of the console does not ship. Run the console from a source checkout (npm start), or connect to a running etcd or Rafter cluster.';

/** Why the web console saves no password (it has no keychain to encrypt one with). */
export const webPasswordNotice =
  'Passwords are not saved in the web console: one typed here lasts until the console restarts.';

/** Why file dialogs are not available outside the desktop app. */
export const fileDialogUnavailable =
  'File dialogs exist only in the desktop app; type a path on the machine that runs the console host.';

function unavailable<T>(message: string): Promise<Result<T>> {
  return Promise.resolve(failure('unavailable', message));
}

export class AdminService implements AdminApi {
  private readonly hub = new EventHub();
  private readonly connections: ConnectionRegistry;
  private readonly watches = new WatchSessions(this.hub);
  private readonly cluster: ClusterService;
  private readonly local: LocalClusters | null;
  private readonly preferences: PreferencesFile;
  /** True once `open` found no saved local clusters: this is the first run in this data folder. */
  private firstRun = false;
  private lock: FolderLock | null = null;

  constructor(private readonly options: AdminServiceOptions = {}) {
    this.connections = new ConnectionRegistry(options.connectionsFile ?? null, options.secrets ? new SecretFile(options.secrets.file, options.secrets.cipher) : null);
    const settings = options.localClusters ?? null;
    this.local = settings ? new LocalClusters(settings, this.connections, this.hub) : null;
    this.cluster = new ClusterService(
      this.hub,
      (connectionId) => this.connections.client(connectionId),
      (connectionId) => this.local?.proxyFor(connectionId)?.status() ?? null,
      (connectionId) => this.connections.ready(connectionId),
      (connectionId) => this.connections.check(connectionId),
    );
    this.preferences = new PreferencesFile(options.preferencesFile ?? null);
  }

  /** Runs `work` on the local cluster supervisor, or answers unavailable when there is none. */
  private onLocal<T>(work: (local: LocalClusters) => Promise<T> | T): Promise<Result<T>> {
    const local = this.local;
    if (!local) return unavailable(localClustersUnavailable);
    return this.run(async () => work(local));
  }

  /**
   * Loads saved connections and preferences and starts the saved local clusters' members again
   * (their data kept from the last run); call once before serving.
   */
  async open(): Promise<void> {
    if (this.options.lockFolder) {
      await mkdir(this.options.lockFolder, { recursive: true });
      this.lock = await FolderLock.acquire(this.options.lockFolder);
    }
    try {
      for (const file of [this.options.connectionsFile, this.options.preferencesFile]) {
        if (file) await mkdir(path.dirname(file), { recursive: true });
      }
      await this.connections.load();
      await this.preferences.load();
      if (this.local) this.firstRun = !(await this.local.restoreSaved());
    } catch (error) {
      // A console that cannot open (a damaged saved file) leaves the folder to the next one.
      await this.close();
      throw error;
    }
  }

  /**
   * On the first run (no local cluster was ever saved in this data folder), creates and starts the
   * default 3-member local cluster and makes its connection the one the console opens on.
   * Resolves to the new cluster, or null when this is not the first run or local clusters are
   * unavailable. Call after `open`.
   */
  async createFirstRunCluster(): Promise<LocalClusterInfo | null> {
    if (!this.local || !this.firstRun) return null;
    this.firstRun = false;
    const cluster = await this.local.create(defaultLocalClusterName, defaultLocalClusterMembers);
    await this.preferences.update({ connectionId: cluster.connectionId });
    return cluster;
  }

  /** Stops watches, status ticks and clients, and stops local members (their data is kept). */
  async close(): Promise<void> {
    this.hub.close();
    this.watches.close();
    this.connections.close();
    await this.local?.close();
    await this.lock?.release();
    this.lock = null;
  }

  /** Kills local members without waiting, for a process that must exit now; data is kept. */
  killLocalMembersNow(): void {
    this.local?.killNow();
  }

  private run<T>(work: () => Promise<T>): Promise<Result<T>> {
    return attempt(work, translateClientError);
  }

  private async on<T>(connectionId: string, work: (client: ReturnType<ConnectionRegistry['client']>) => Promise<T>): Promise<Result<T>> {
    const result = await this.run(async () => {
      await this.connections.ready(connectionId);
      return work(this.connections.client(connectionId));
    });
    if (result.ok || !['connection_failed', 'unavailable', 'deadline_exceeded'].includes(result.error.code)) return result;
    const sshFailure = await this.connections.sshFailure(connectionId);
    if (sshFailure) return failure(sshFailure.code, sshFailure.message);
    if (result.error.code !== 'connection_failed') return result;
    const certificateGiven = this.connections.tlsOrNull(connectionId)?.certPem !== undefined;
    return { ok: false, error: explainMissingCertificate(result.error, certificateGiven) };
  }

  // ---------------------------------------------------------------- connections
  listConnections: AdminApi['listConnections'] = () => this.run(() => Promise.resolve(this.connections.list()));
  addConnection: AdminApi['addConnection'] = ({ config }) => this.run(() => this.connections.add(config));
  removeConnection: AdminApi['removeConnection'] = ({ connectionId }) =>
    this.run(async () => {
      await this.connections.remove(connectionId);
      this.cluster.forget(connectionId);
      return null;
    });
  getConnection: AdminApi['getConnection'] = ({ connectionId }) => this.run(() => Promise.resolve(this.connections.editable(connectionId)));
  updateConnection: AdminApi['updateConnection'] = ({ connectionId, config, keepPassword, keepClientKey, keepSshSecrets }) =>
    this.run(async () => {
      const updated = await this.connections.update(connectionId, config, { password: keepPassword, clientKey: keepClientKey, sshSecrets: keepSshSecrets ?? false });
      this.cluster.forget(connectionId);
      return updated;
    });
  testConnection: AdminApi['testConnection'] = async ({ config, secretsFrom }) => {
    const result = await this.run(() => probeConnection(secretsFrom === undefined ? config : this.connections.withSecretsOf(secretsFrom, config)));
    return result.ok ? result : { ok: false, error: explainMissingCertificate(result.error, config.tls?.certPem !== undefined) };
  };
  connectionCapabilities: AdminApi['connectionCapabilities'] = () =>
    this.run(() =>
      Promise.resolve(
        this.connections.canSavePasswords
          ? { canSavePasswords: true, passwordNotice: null }
          : { canSavePasswords: false, passwordNotice: this.options.passwordNotice ?? webPasswordNotice },
      ),
    );

  // ---------------------------------------------------------------- cluster
  clusterStatus: AdminApi['clusterStatus'] = ({ connectionId }) => this.run(() => this.cluster.status(connectionId));
  moveLeader: AdminApi['moveLeader'] = ({ connectionId, targetMemberId }) =>
    this.run(async () => {
      await this.cluster.moveLeader(connectionId, targetMemberId);
      return null;
    });

  clusterHistory: AdminApi['clusterHistory'] = ({ connectionId }) => this.run(() => Promise.resolve(this.cluster.history(connectionId)));
  addMember: AdminApi['addMember'] = ({ connectionId, peerUrls, isLearner }) =>
    this.on(connectionId, async (client) => {
      const added = await client.cluster.memberAdd(peerUrls, { isLearner });
      // The new member starts with every member's peer URLs as its --initial-cluster (itself unnamed until it starts).
      const initialCluster = added.members
        .flatMap((member) => member.peerUrls.map((url) => `${member.id === added.member.id ? '<new member name>' : member.name || member.id}=${url}`))
        .join(',');
      return { memberId: added.member.id, initialCluster };
    });
  removeMember: AdminApi['removeMember'] = ({ connectionId, memberId }) =>
    this.on(connectionId, async (client) => {
      await client.cluster.memberRemove(memberId);
      return null;
    });
  promoteMember: AdminApi['promoteMember'] = ({ connectionId, memberId }) =>
    this.on(connectionId, async (client) => {
      await client.cluster.memberPromote(memberId);
      return null;
    });
  listLocalClusters: AdminApi['listLocalClusters'] = () => this.onLocal((local) => local.list());
  createLocalCluster: AdminApi['createLocalCluster'] = ({ name, memberCount, security, proxy }) =>
    this.onLocal((local) => local.create(name, memberCount, null, security, proxy?.namespace ?? null));
  destroyLocalCluster: AdminApi['destroyLocalCluster'] = ({ clusterId }) =>
    this.onLocal(async (local) => {
      await local.destroy(clusterId);
      return null;
    });
  controlMember: AdminApi['controlMember'] = ({ clusterId, memberName, action }) =>
    this.onLocal((local) => local.control(clusterId, memberName, action));
  addLocalMember: AdminApi['addLocalMember'] = ({ clusterId, asLearner }) => this.onLocal((local) => local.addMember(clusterId, asLearner));
  removeLocalMember: AdminApi['removeLocalMember'] = ({ clusterId, memberName }) =>
    this.onLocal(async (local) => {
      await local.removeMember(clusterId, memberName);
      return null;
    });
  promoteLocalMember: AdminApi['promoteLocalMember'] = ({ clusterId, memberName }) =>
    this.onLocal((local) => local.promoteMember(clusterId, memberName));
  partitionMember: AdminApi['partitionMember'] = ({ clusterId, memberName }) =>
    this.onLocal(async (local) => {
      await local.partition(clusterId, memberName);
      return null;
    });
  healPartitions: AdminApi['healPartitions'] = ({ clusterId }) =>
    this.onLocal(async (local) => {
      await local.heal(clusterId);
      return null;
    });
  memberLogs: AdminApi['memberLogs'] = ({ clusterId, memberName, tailLines }) =>
    this.onLocal((local) => local.logs(clusterId, memberName, tailLines));
  addLocalProxy: AdminApi['addLocalProxy'] = ({ clusterId, namespace }) => this.onLocal((local) => local.addProxy(clusterId, namespace));
  removeLocalProxy: AdminApi['removeLocalProxy'] = ({ clusterId }) =>
    this.onLocal(async (local) => {
      await local.removeProxy(clusterId);
      return null;
    });
  connectThroughProxy: AdminApi['connectThroughProxy'] = ({ clusterId }) => this.onLocal((local) => local.connectThroughProxy(clusterId));
  localProxyStatus: AdminApi['localProxyStatus'] = ({ clusterId }) => this.onLocal((local) => local.proxyStatus(clusterId));

  // ---------------------------------------------------------------- keys
  listKeys: AdminApi['listKeys'] = ({ connectionId, prefix, cursor, limit, skip }) =>
    this.on(connectionId, (client) => keys.listKeys(client, prefix, cursor, limit, skip));
  listFolder: AdminApi['listFolder'] = ({ connectionId, prefix, cursor, limit }) =>
    this.on(connectionId, (client) => keys.listFolder(client, prefix, cursor, limit));
  getKey: AdminApi['getKey'] = ({ connectionId, key, revision }) => this.on(connectionId, (client) => keys.getKey(client, key, revision));
  keyHistory: AdminApi['keyHistory'] = ({ connectionId, key, limit }) => this.on(connectionId, (client) => keys.keyHistory(client, key, limit));
  putKey: AdminApi['putKey'] = ({ connectionId, key, value, leaseId }) =>
    this.on(connectionId, (client) => keys.putKey(client, key, value, leaseId));
  deleteKey: AdminApi['deleteKey'] = ({ connectionId, key }) => this.on(connectionId, (client) => keys.deleteKeys(client, key, false));
  deletePrefix: AdminApi['deletePrefix'] = ({ connectionId, prefix }) =>
    prefix === ''
      ? Promise.resolve(failure('invalid_argument', 'Deleting by an empty prefix would delete every key; give a prefix.'))
      : this.on(connectionId, (client) => keys.deleteKeys(client, prefix, true));
  exportKeys: AdminApi['exportKeys'] = ({ connectionId, prefix }) => this.on(connectionId, (client) => keys.exportKeys(client, prefix));
  importKeys: AdminApi['importKeys'] = ({ connectionId, document, overwrite, atomic }) =>
    this.on(connectionId, (client) => (atomic ? keys.importKeysAtomically(client, document, overwrite) : keys.importKeys(client, document, overwrite)));

  // ---------------------------------------------------------------- watches
  startWatch: AdminApi['startWatch'] = (request) => this.on(request.connectionId, (client) => this.watches.start(client, request));
  stopWatch: AdminApi['stopWatch'] = ({ watchId }) =>
    this.run(() => {
      this.watches.stop(watchId);
      return Promise.resolve(null);
    });
  listWatches: AdminApi['listWatches'] = () => this.run(() => Promise.resolve(this.watches.list()));

  // ---------------------------------------------------------------- raft
  raftTermTimeline: AdminApi['raftTermTimeline'] = ({ connectionId }) =>
    this.on(connectionId, async (client) =>
      mergeTermSamples(await recordedLeaderHistory(client, this.connections.inspectionAccess(connectionId)), this.cluster.timeline(connectionId)),
    );
  raftLogWindow: AdminApi['raftLogWindow'] = ({ connectionId, memberId, fromIndex, limit }) =>
    this.on(connectionId, (client) => raftLogWindow(client, this.connections.inspectionAccess(connectionId), memberId, fromIndex, limit));
  raftProgress: AdminApi['raftProgress'] = ({ connectionId }) =>
    this.on(connectionId, (client) => raftProgress(client, this.connections.inspectionAccess(connectionId)));
  raftTraffic: AdminApi['raftTraffic'] = ({ connectionId, cursors, waitMs }) =>
    this.on(connectionId, (client) => raftTraffic(client, this.connections.inspectionAccess(connectionId), cursors, waitMs));

  // ---------------------------------------------------------------- snapshots and maintenance
  saveSnapshot: AdminApi['saveSnapshot'] = ({ connectionId, path, operationId }) =>
    this.on(connectionId, (client) => maintenance.saveSnapshot(client, this.hub, path, operationId));
  snapshotStatus: AdminApi['snapshotStatus'] = ({ path: snapshotPath }) =>
    this.run(async () => {
      const status = await maintenance.snapshotStatus(snapshotPath);
      if (!status.checksumValid) return status;
      if (!this.local) return { ...status, contentsError: 'Reading what a snapshot holds needs Rafter’s member command, which this build does not ship.' };
      try {
        return { ...status, contents: await this.local.snapshotContents(snapshotPath) };
      } catch (error) {
        const reason = error instanceof AdminFailure ? error.message.split('\n').at(-1) ?? error.message : String(error);
        return { ...status, contentsError: `Its contents could not be read: ${reason}` };
      }
    });
  restoreSnapshot: AdminApi['restoreSnapshot'] = ({ path: snapshotPath, clusterName, memberCount }) =>
    this.onLocal(async (local) => {
      const status = await maintenance.snapshotStatus(snapshotPath);
      if (!status.checksumValid) throw new AdminFailure('failed_precondition', `${snapshotPath} does not end with a valid SHA-256; it is damaged or not a snapshot.`);
      return local.create(clusterName, memberCount, snapshotPath);
    });
  compact: AdminApi['compact'] = ({ connectionId, revision, physical }) =>
    this.on(connectionId, async (client) => {
      await client.kv.compact(revision, { physical });
      return null;
    });
  defragment: AdminApi['defragment'] = ({ connectionId }) => this.on(connectionId, (client) => maintenance.defragmentAll(client));
  listAlarms: AdminApi['listAlarms'] = ({ connectionId }) => this.on(connectionId, (client) => maintenance.listAlarms(client));
  disarmAlarm: AdminApi['disarmAlarm'] = ({ connectionId, memberId, alarm }) =>
    this.on(connectionId, async (client) => {
      await client.maintenance.alarmDisarm({ memberId, alarm });
      return null;
    });
  pickFile: AdminApi['pickFile'] = () => unavailable(fileDialogUnavailable);

  // ---------------------------------------------------------------- leases
  listLeases: AdminApi['listLeases'] = ({ connectionId }) => this.on(connectionId, (client) => leases.listLeases(client));
  grantLease: AdminApi['grantLease'] = ({ connectionId, ttlSeconds }) => this.on(connectionId, (client) => leases.grantLease(client, ttlSeconds));
  revokeLease: AdminApi['revokeLease'] = ({ connectionId, leaseId }) =>
    this.on(connectionId, async (client) => {
      await client.lease.revoke(leaseId);
      return null;
    });
  keepAliveLease: AdminApi['keepAliveLease'] = ({ connectionId, leaseId }) =>
    this.on(connectionId, async (client) => ({ ttlSeconds: (await client.lease.keepAliveOnce(leaseId)).ttl }));

  // ---------------------------------------------------------------- auth
  authStatus: AdminApi['authStatus'] = ({ connectionId }) =>
    this.on(connectionId, async (client) => ({ enabled: (await client.auth.authStatus()).enabled }));
  setAuthEnabled: AdminApi['setAuthEnabled'] = ({ connectionId, enabled }) =>
    this.on(connectionId, async (client) => {
      await (enabled ? client.auth.authEnable() : client.auth.authDisable());
      return null;
    });
  listUsers: AdminApi['listUsers'] = ({ connectionId }) => this.on(connectionId, (client) => auth.listUsers(client));
  addUser: AdminApi['addUser'] = ({ connectionId, name, password }) =>
    this.on(connectionId, async (client) => {
      await client.auth.userAdd(name, password);
      return null;
    });
  deleteUser: AdminApi['deleteUser'] = ({ connectionId, name }) =>
    this.on(connectionId, async (client) => {
      await client.auth.userDelete(name);
      return null;
    });
  changePassword: AdminApi['changePassword'] = ({ connectionId, name, password }) =>
    this.on(connectionId, async (client) => {
      await client.auth.userChangePassword(name, password);
      return null;
    });
  grantRole: AdminApi['grantRole'] = ({ connectionId, user, role }) =>
    this.on(connectionId, async (client) => {
      await client.auth.userGrantRole(user, role);
      return null;
    });
  revokeRole: AdminApi['revokeRole'] = ({ connectionId, user, role }) =>
    this.on(connectionId, async (client) => {
      await client.auth.userRevokeRole(user, role);
      return null;
    });
  listRoles: AdminApi['listRoles'] = ({ connectionId }) => this.on(connectionId, (client) => auth.listRoles(client));
  addRole: AdminApi['addRole'] = ({ connectionId, name }) =>
    this.on(connectionId, async (client) => {
      await client.auth.roleAdd(name);
      return null;
    });
  deleteRole: AdminApi['deleteRole'] = ({ connectionId, name }) =>
    this.on(connectionId, async (client) => {
      await client.auth.roleDelete(name);
      return null;
    });
  grantPermission: AdminApi['grantPermission'] = ({ connectionId, role, permission }) =>
    this.on(connectionId, async (client) => {
      await auth.grantPermission(client, role, permission);
      return null;
    });
  revokePermission: AdminApi['revokePermission'] = ({ connectionId, role, key, rangeEnd }) =>
    this.on(connectionId, async (client) => {
      await auth.revokePermission(client, role, key, rangeEnd);
      return null;
    });

  // ---------------------------------------------------------------- preferences
  loadPreferences: AdminApi['loadPreferences'] = () => this.run(() => Promise.resolve(this.preferences.get()));
  savePreferences: AdminApi['savePreferences'] = ({ changes }) => this.run(() => this.preferences.update(changes));

  // ---------------------------------------------------------------- events
  subscribe(topic: EventTopic, listener: EventListener): Promise<Result<{ subscriptionId: string }>> {
    if (topic.kind === 'memberLog' && !this.local) return unavailable(localClustersUnavailable);
    const subscriptionId = this.hub.subscribe(topic, listener);
    if (subscriptionId === null) {
      const error: AdminError = { code: 'resource_exhausted', message: 'Too many live subscriptions; close some pages or watches.' };
      return Promise.resolve({ ok: false, error });
    }
    if (topic.kind === 'watch') this.watches.flushHeld(topic.watchId);
    return Promise.resolve(ok({ subscriptionId }));
  }

  unsubscribe(subscriptionId: string): Promise<Result<null>> {
    return Promise.resolve(this.hub.unsubscribe(subscriptionId) ? ok(null) : failure('not_found', 'No such subscription.'));
  }
}
