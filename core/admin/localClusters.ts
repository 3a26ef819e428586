// Local clusters the console launches on this machine: 1, 3 or 5 `rafter` member processes on
// loopback ports with data under one directory, each saved as a connection. Members can be
// started, stopped, restarted, killed, added (voter or learner), promoted, removed, partitioned
// through the member's fault hooks and healed; their logs are kept and streamed as events. A
// cluster may also run a grpc-proxy in front of its members (localProxy.ts): a process started
// with the cluster, stopped with it, restarted with the members of the day when they change, and
// reachable through a connection of its own.
// The clusters' definitions are saved beside their data (localClusterFile.ts), so after a restart
// of the app `restoreSaved` starts the same members on the same data again; closing the service
// stops the members and keeps their data, and only `destroy` removes a cluster for good.
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { EtcdClient } from '../client/etcdClient.js';
import type {
  ConnectionConfig,
  ConnectionSummary,
  LocalClusterInfo,
  LocalClusterSecurity,
  LocalClusterSecurityRequest,
  LocalMemberAction,
  LocalMemberInfo,
  LocalProxyInfo,
  ProxyStatus,
  SnapshotContents,
  TlsConfig,
} from './api.js';
import { clientOptions, consoleCallTimeoutMs } from './connectionRegistry.js';
import type { ConnectionRegistry } from './connectionRegistry.js';
import type { EventHub } from './eventHub.js';
import { readLocalClusters, writeLocalClusters } from './localClusterFile.js';
import type { SavedLocalCluster, SavedLocalMember, SavedLocalProxy } from './localClusterFile.js';
import {
  checkSecurityRequest,
  consoleTls,
  enableRootAuth,
  memberScheme,
  memberTlsFlags,
  noSecurity,
  prepareClusterTls,
  prepareMemberTls,
  rootUser,
  securityNotes,
} from './localClusterSecurity.js';
import { LocalMember, runMemberCommand } from './localMember.js';
import type { MemberCommand } from './localMember.js';
import { LocalProxy, proxyLogName } from './localProxy.js';
import { localPorts, loopbackPorts } from './localPorts.js';
import { memberRequest } from './memberHttp.js';
import { AdminFailure } from './result.js';

/** Most local clusters at once, and most members in one. */
export const localClustersMax = 8;
export const localMembersMax = 7;
/** Member lists read, and the pause between them, to learn whether a removal whose answer was lost took effect. */
export const removalChecksMax = 20;
export const removalCheckPauseMs = 250;

export interface LocalClusterSettings {
  /**
   * Directory under which each cluster gets its own data directory, and where their definitions
   * are saved (`clusters.json`). The app passes a folder under its data folder, never a temp dir.
   */
  baseDir: string;
  /** The `rafter` command: executable and leading arguments. */
  memberCommand: MemberCommand;
  /** Extra environment for member processes (the desktop app sets ELECTRON_RUN_AS_NODE). */
  memberEnv?: Readonly<Record<string, string>>;
  /** Where members also write their logs, one file each (`<cluster id>-<member>.log`); none when unset. */
  logsDir?: string;
}

interface LocalCluster {
  id: string;
  name: string;
  dataDir: string;
  token: string;
  connectionId: string;
  members: LocalMember[];
  nextMemberNumber: number;
  proxy: LocalProxy | null;
  security: LocalClusterSecurity;
  /** How the console reaches the members over TLS (undefined: plaintext). Invariant: matches `security.tls`. */
  tls: TlsConfig | undefined;
}

export class LocalClusters {
  private readonly clusters = new Map<string, LocalCluster>();
  /** The last write of the definitions; writes run one after another. */
  private saving: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly settings: LocalClusterSettings,
    private readonly connections: ConnectionRegistry,
    private readonly hub: EventHub,
  ) {}

  list(): LocalClusterInfo[] {
    return [...this.clusters.values()].map((cluster) => this.info(cluster));
  }

  /**
   * Launches `memberCount` members (from a snapshot file when `restoreFrom` is given), secured as
   * `securityRequest` asks: TLS made for them, and authentication turned on with a root user the
   * cluster's connection then signs in as (its password kept as a saved connection's is); and a
   * grpc-proxy in front of them with key namespace `proxyNamespace` unless it is null.
   */
  async create(name: string, memberCount: number, restoreFrom: string | null = null, securityRequest?: LocalClusterSecurityRequest, proxyNamespace: string | null = null): Promise<LocalClusterInfo> {
    const { security, rootPassword } = checkSecurityRequest(securityRequest);
    if (proxyNamespace !== null && security.tls !== 'off') {
      throw new AdminFailure('invalid_argument', 'A grpc-proxy can be put in front of a plaintext local cluster only; choose TLS off to add one.');
    }
    if (this.clusters.size >= localClustersMax) throw new AdminFailure('resource_exhausted', `At most ${localClustersMax} local clusters at once.`);
    if ([...this.clusters.values()].some((cluster) => cluster.name === name)) {
      throw new AdminFailure('already_exists', `A local cluster named "${name}" is already running.`);
    }
    await mkdir(this.settings.baseDir, { recursive: true });
    const dataDir = await mkdtemp(path.join(this.settings.baseDir, `${name.replace(/[^A-Za-z0-9_-]+/g, '_')}-`));
    const cluster: LocalCluster = {
      id: path.basename(dataDir),
      name,
      dataDir,
      token: `rafter-local-${randomBytes(6).toString('hex')}`,
      connectionId: '',
      members: [],
      nextMemberNumber: memberCount + 1,
      proxy: null,
      security,
      tls: undefined,
    };
    try {
      await prepareClusterTls(security, dataDir, name);
      cluster.tls = await consoleTls(security, dataDir);
      const urls = await this.memberUrls(memberCount, memberScheme(security));
      const names = urls.map((_, index) => `m${index + 1}`);
      const initialCluster = names.map((memberName, index) => `${memberName}=${urls[index]!.peerUrl}`).join(',');
      for (const memberName of names) await prepareMemberTls(security, dataDir, memberName);
      cluster.members = names.map((memberName, index) => this.member(cluster, memberName, urls[index]!, initialCluster, 'new', false));
      if (restoreFrom !== null) await this.restore(cluster, restoreFrom, initialCluster);
      this.clusters.set(cluster.id, cluster);
      await Promise.all(cluster.members.map((member) => member.start()));
      const config = this.connectionConfig(cluster);
      if (rootPassword !== null) await enableRootAuth(config, rootPassword);
      const signIn = rootPassword === null ? {} : { username: rootUser, password: rootPassword, rememberPassword: true };
      const summary = await this.connections.add({ ...config, ...signIn });
      cluster.connectionId = summary.id;
      await this.learnMemberIds(cluster);
      if (proxyNamespace !== null) await this.startNewProxy(cluster, proxyNamespace);
      await this.persist();
    } catch (error) {
      await this.destroyCluster(cluster);
      throw error;
    }
    this.changed();
    return this.info(cluster);
  }

  /**
   * Starts the members of every saved cluster again, on their saved ports and data, and makes sure
   * each cluster has its connection. Resolves to false when nothing was ever saved here (the first
   * run), true otherwise. A member that cannot start stays listed as stopped, its log saying why.
   */
  async restoreSaved(): Promise<boolean> {
    const saved = await readLocalClusters(this.settings.baseDir);
    if (saved === null) return false;
    for (const definition of saved) {
      const dataDir = path.join(this.settings.baseDir, definition.id);
      if (!existsSync(dataDir) || this.clusters.has(definition.id) || this.clusters.size >= localClustersMax) continue;
      const { proxy: savedProxy, security: savedSecurity, ...rest } = definition;
      const security = savedSecurity ?? noSecurity;
      const cluster: LocalCluster = { ...rest, dataDir, members: [], proxy: null, security, tls: await consoleTls(security, dataDir).catch(() => undefined) };
      for (const member of definition.members) await prepareMemberTls(security, dataDir, member.name).catch(() => undefined);
      cluster.members = definition.members.map((member) => this.savedMember(cluster, member));
      cluster.connectionId = await this.connections.ensure(definition.connectionId, {
        ...this.connectionConfig(cluster),
        ...(security.auth ? { username: rootUser } : {}),
      });
      if (savedProxy) cluster.proxy = await this.savedProxy(cluster, savedProxy);
      await this.signInWithoutPassword(cluster);
      this.clusters.set(cluster.id, cluster);
    }
    await this.persist();
    // Members the user stopped stay stopped; killed or crashed ones come back.
    const members = [...this.clusters.values()].flatMap((cluster) => cluster.members).filter((member) => !member.stoppedByUser);
    const proxies = [...this.clusters.values()].flatMap((cluster) => (cluster.proxy ? [cluster.proxy] : []));
    // In parallel: a member waits for its peers to elect a leader before it reports healthy; a
    // proxy is ready once it listens, whether or not the cluster answers yet.
    await Promise.all([...members, ...proxies].map((process) => process.start().catch(() => undefined)));
    this.changed();
    return true;
  }

  async destroy(clusterId: string): Promise<void> {
    await this.destroyCluster(this.cluster(clusterId));
    this.changed();
  }

  /** Tells subscribers of `localClusters` what every cluster looks like now. */
  changed(): void {
    if (!this.closed) this.hub.publish({ kind: 'localClusters', clusters: this.list() });
  }

  async control(clusterId: string, memberName: string, action: LocalMemberAction): Promise<LocalMemberInfo> {
    const member = this.memberOf(this.cluster(clusterId), memberName);
    try {
      if (action === 'start') await member.start();
      if (action === 'stop') await member.stop();
      if (action === 'kill') await member.kill();
      if (action === 'pause') member.pause();
      if (action === 'resume') member.resume();
      if (action === 'restart') {
        await member.stop();
        await member.start();
      }
    } finally {
      this.changed();
    }
    const stoppedByUser = action === 'stop';
    if (member.stoppedByUser !== stoppedByUser && action !== 'kill' && action !== 'pause' && action !== 'resume') {
      member.stoppedByUser = stoppedByUser;
      await this.persist();
    }
    return member.info();
  }

  /** Adds a member through the Cluster API, then starts its process to join. */
  async addMember(clusterId: string, asLearner: boolean): Promise<LocalMemberInfo> {
    const cluster = this.cluster(clusterId);
    if (cluster.members.length >= localMembersMax) throw new AdminFailure('resource_exhausted', `At most ${localMembersMax} members per local cluster.`);
    const name = `m${cluster.nextMemberNumber++}`;
    const urls = (await this.memberUrls(1, memberScheme(cluster.security)))[0]!;
    await prepareMemberTls(cluster.security, cluster.dataDir, name);
    const client = this.connections.client(cluster.connectionId);
    const added = await client.cluster.memberAdd([urls.peerUrl], { isLearner: asLearner });
    const initialCluster = [...cluster.members.map((member) => `${member.spec.name}=${member.spec.peerUrl}`), `${name}=${urls.peerUrl}`].join(',');
    const member = this.member(cluster, name, urls, initialCluster, 'existing', asLearner);
    member.memberId = added.member.id;
    cluster.members.push(member);
    await this.persist();
    await this.connections.setEndpoints(cluster.connectionId, cluster.members.map((candidate) => candidate.spec.clientUrl));
    try {
      await member.start();
      await this.restartProxy(cluster);
    } finally {
      this.changed();
    }
    return member.info();
  }

  async removeMember(clusterId: string, memberName: string): Promise<void> {
    const cluster = this.cluster(clusterId);
    const member = this.memberOf(cluster, memberName);
    if (cluster.members.length === 1) throw new AdminFailure('failed_precondition', 'The last member cannot be removed; destroy the cluster instead.');
    if (member.memberId === null) throw new AdminFailure('failed_precondition', `${memberName} has no member id yet.`);
    const others = cluster.members.filter((candidate) => candidate !== member);
    await this.removeThroughOthers(cluster, others, member.memberId);
    await member.stop();
    cluster.members = others;
    await this.persist();
    await this.connections.setEndpoints(cluster.connectionId, others.map((candidate) => candidate.spec.clientUrl));
    try {
      await this.restartProxy(cluster);
    } finally {
      this.changed();
    }
    await rm(member.spec.dataDir, { recursive: true, force: true });
  }

  /**
   * Asks the remaining members (never the one leaving, which shuts down once it applies its own
   * removal) to remove `memberId`. When the answer is lost (leadership moved while the change was
   * committed), reads the member list until it tells whether the removal took effect.
   */
  private async removeThroughOthers(cluster: LocalCluster, others: LocalMember[], memberId: string): Promise<void> {
    const config = { ...this.connections.config(cluster.connectionId), endpoints: others.map((candidate) => candidate.spec.clientUrl) };
    const client = new EtcdClient(clientOptions(config, consoleCallTimeoutMs));
    try {
      try {
        await client.cluster.memberRemove(memberId);
        return;
      } catch (error) {
        for (let check = 0; check < removalChecksMax; check++) {
          const list = await client.cluster.memberList().catch(() => null);
          if (list && !list.members.some((candidate) => candidate.id === memberId)) return;
          if (list) throw error;
          await delay(removalCheckPauseMs);
        }
        throw error;
      }
    } finally {
      client.close();
    }
  }

  async promoteMember(clusterId: string, memberName: string): Promise<LocalMemberInfo> {
    const cluster = this.cluster(clusterId);
    const member = this.memberOf(cluster, memberName);
    if (!member.spec.isLearner) throw new AdminFailure('failed_precondition', `${memberName} is already a voting member.`);
    if (member.memberId === null) throw new AdminFailure('failed_precondition', `${memberName} has no member id yet.`);
    await this.connections.client(cluster.connectionId).cluster.memberPromote(member.memberId);
    member.spec.isLearner = false;
    await this.persist();
    this.changed();
    return member.info();
  }

  /** Cuts `memberName` off from every other member, both ways, through its fault hooks. */
  async partition(clusterId: string, memberName: string): Promise<void> {
    const cluster = this.cluster(clusterId);
    const target = this.memberOf(cluster, memberName);
    if (!target.process) throw new AdminFailure('failed_precondition', `${memberName} is not running.`);
    const others = await Promise.all(cluster.members.filter((member) => member !== target).map((member) => this.hexId(member)));
    await this.setFaults(target, others, others);
    target.state = 'partitioned';
    this.changed();
  }

  async heal(clusterId: string): Promise<void> {
    const cluster = this.cluster(clusterId);
    await Promise.all(
      cluster.members
        .filter((member) => member.process && member.state !== 'paused')
        .map(async (member) => {
          await this.setFaults(member, [], []);
          if (member.state === 'partitioned') member.state = 'running';
        }),
    );
    this.changed();
  }

  /** What a snapshot file holds, read by `rafter snapshot status` in its own process (it opens the database). */
  async snapshotContents(snapshotFile: string): Promise<SnapshotContents> {
    const output = await runMemberCommand(this.settings.memberCommand, this.settings.memberEnv ?? {}, ['snapshot', 'status', snapshotFile, '-w', 'json']);
    const parsed = JSON.parse(output.split('\n').at(-1) ?? '') as { hash: number; revision: number; totalKeys: number; totalSize: number };
    return { revision: parsed.revision, totalKeys: parsed.totalKeys, databaseBytes: parsed.totalSize, hash: parsed.hash.toString(16) };
  }

  logs(clusterId: string, memberName: string, tailLines: number): string[] {
    const cluster = this.cluster(clusterId);
    if (memberName === proxyLogName && cluster.proxy) return cluster.proxy.log.slice(-tailLines);
    return this.memberOf(cluster, memberName).log.slice(-tailLines);
  }

  /** Starts a grpc-proxy in front of the cluster's members, at a port of its own. */
  async addProxy(clusterId: string, namespace: string): Promise<LocalProxyInfo> {
    const cluster = this.cluster(clusterId);
    if (cluster.proxy) throw new AdminFailure('already_exists', `${cluster.name} already runs a proxy at ${cluster.proxy.spec.clientUrl}.`);
    if (cluster.security.tls !== 'off') throw new AdminFailure('failed_precondition', `${cluster.name} uses TLS; a grpc-proxy can be put in front of a plaintext local cluster only.`);
    try {
      await this.startNewProxy(cluster, namespace);
      await this.persist();
    } finally {
      this.changed();
    }
    return cluster.proxy!.info();
  }

  /** Stops the cluster's proxy and removes the connection through it. */
  async removeProxy(clusterId: string): Promise<void> {
    const cluster = this.cluster(clusterId);
    const proxy = this.proxyOf(cluster);
    await this.dropProxy(cluster, proxy);
    await this.persist();
    this.changed();
  }

  /** The connection whose endpoint is the cluster's proxy, added the first time it is asked for. */
  async connectThroughProxy(clusterId: string): Promise<ConnectionSummary> {
    const cluster = this.cluster(clusterId);
    const proxy = this.proxyOf(cluster);
    const config = { name: `local: ${cluster.name} via proxy`, endpoints: [proxy.spec.clientUrl] };
    proxy.connectionId = await this.connections.ensure(proxy.connectionId ?? '', config);
    await this.persist();
    this.changed();
    const summary = this.connections.list().find((connection) => connection.id === proxy.connectionId);
    if (!summary) throw new AdminFailure('internal', 'The connection through the proxy vanished as it was made.');
    return summary;
  }

  async proxyStatus(clusterId: string): Promise<ProxyStatus> {
    return this.proxyOf(this.cluster(clusterId)).status();
  }

  /** The proxy of the local cluster whose connection, or whose proxy's connection, is `connectionId`. */
  proxyFor(connectionId: string): LocalProxy | null {
    for (const cluster of this.clusters.values()) {
      if (cluster.proxy && (cluster.connectionId === connectionId || cluster.proxy.connectionId === connectionId)) return cluster.proxy;
    }
    return null;
  }

  private proxyOf(cluster: LocalCluster): LocalProxy {
    if (!cluster.proxy) throw new AdminFailure('failed_precondition', `${cluster.name} runs no proxy; add one first.`);
    return cluster.proxy;
  }

  private async startNewProxy(cluster: LocalCluster, namespace: string): Promise<void> {
    const port = (await localPorts(1, this.takenPorts()))[0]!;
    const proxy = this.proxy(cluster, { clientUrl: `http://127.0.0.1:${port}`, namespace, connectionId: null });
    cluster.proxy = proxy;
    try {
      await proxy.start();
    } catch (error) {
      cluster.proxy = null;
      await proxy.kill();
      throw error;
    }
  }

  /** Starts the proxy again on the members of now (they changed), if it runs. */
  private async restartProxy(cluster: LocalCluster): Promise<void> {
    const proxy = cluster.proxy;
    if (!proxy) return;
    const running = proxy.process !== null;
    await proxy.stop();
    proxy.spec.endpoints = cluster.members.map((member) => member.spec.clientUrl);
    if (running) await proxy.start();
  }

  private async dropProxy(cluster: LocalCluster, proxy: LocalProxy): Promise<void> {
    await proxy.stop();
    cluster.proxy = null;
    if (proxy.connectionId !== null) await this.connections.remove(proxy.connectionId).catch(() => undefined);
  }

  private async savedProxy(cluster: LocalCluster, saved: SavedLocalProxy): Promise<LocalProxy> {
    const proxy = this.proxy(cluster, saved);
    if (saved.connectionId !== null) {
      proxy.connectionId = await this.connections.ensure(saved.connectionId, { name: `local: ${cluster.name} via proxy`, endpoints: [saved.clientUrl] });
    }
    return proxy;
  }

  private proxy(cluster: LocalCluster, saved: SavedLocalProxy): LocalProxy {
    const spec = { clientUrl: saved.clientUrl, namespace: saved.namespace, endpoints: cluster.members.map((member) => member.spec.clientUrl) };
    const proxy = new LocalProxy(
      spec,
      this.settings.memberCommand,
      this.settings.memberEnv ?? {},
      (lines) => this.hub.publish({ kind: 'memberLog', clusterId: cluster.id, memberName: proxyLogName, lines }),
      () => this.changed(),
    );
    proxy.connectionId = saved.connectionId;
    return proxy;
  }

  /**
   * Stops every member (SIGTERM, then SIGKILL after the stop timeout) and keeps their data and
   * definitions, so the next `restoreSaved` brings the clusters back (service shutdown).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.saving.catch(() => undefined);
    await Promise.all([...this.clusters.values()].flatMap((cluster) => [...cluster.members, ...(cluster.proxy ? [cluster.proxy] : [])].map((process) => process.stop())));
    this.clusters.clear();
  }

  /** Kills every member at once without waiting (a process exiting in a hurry); data is kept. */
  killNow(): void {
    for (const cluster of this.clusters.values()) {
      for (const member of cluster.members) member.killNow();
      cluster.proxy?.killNow();
    }
  }

  /**
   * Client and peer URLs for `count` new members, on ports no local member owns and no saved
   * connection names on this machine (a cluster the user runs by hand may be down just now).
   */
  private async memberUrls(count: number, scheme: 'http' | 'https'): Promise<{ clientUrl: string; peerUrl: string }[]> {
    const ports = await localPorts(count * 2, this.takenPorts());
    return Array.from({ length: count }, (_, i) => ({ clientUrl: `${scheme}://127.0.0.1:${ports[i * 2]!}`, peerUrl: `${scheme}://127.0.0.1:${ports[i * 2 + 1]!}` }));
  }

  /** Ports of local members and proxies, and of saved connections to this machine. */
  private takenPorts(): Set<number> {
    const taken = new Set<number>(loopbackPorts(this.connections.list().flatMap((connection) => connection.endpoints)));
    for (const cluster of this.clusters.values()) {
      for (const member of cluster.members) for (const url of [member.spec.clientUrl, member.spec.peerUrl]) taken.add(Number(new URL(url).port));
      if (cluster.proxy) taken.add(Number(new URL(cluster.proxy.spec.clientUrl).port));
    }
    return taken;
  }

  /** The connection settings of a cluster, without sign-in: its members' client URLs and the console's TLS. */
  private connectionConfig(cluster: LocalCluster): ConnectionConfig {
    return { name: `local: ${cluster.name}`, endpoints: cluster.members.map((member) => member.spec.clientUrl), ...(cluster.tls ? { tls: cluster.tls } : {}) };
  }

  /**
   * After a restart on a host that keeps no passwords, an auth-enabled cluster's connection has no
   * root password. With the cluster's own CA it signs in by its client certificate (CN root, which
   * etcd takes as the user) instead; otherwise the cluster's notes ask for the password.
   */
  private async signInWithoutPassword(cluster: LocalCluster): Promise<void> {
    if (!cluster.security.auth || cluster.security.tls !== 'ca') return;
    const summary = this.connections.list().find((connection) => connection.id === cluster.connectionId);
    if (!summary || summary.hasPassword || summary.username !== rootUser) return;
    const { username: _username, ...config } = this.connections.editable(cluster.connectionId).config;
    await this.connections.update(cluster.connectionId, config, { password: false, clientKey: true });
  }

  /** Writes the definitions of the clusters now held; one write at a time, in call order. */
  private persist(): Promise<void> {
    if (this.closed) return this.saving;
    const definitions = [...this.clusters.values()].filter((cluster) => cluster.connectionId !== '').map(definitionOf);
    this.saving = this.saving.catch(() => undefined).then(() => writeLocalClusters(this.settings.baseDir, definitions));
    return this.saving;
  }

  private savedMember(cluster: LocalCluster, saved: SavedLocalMember): LocalMember {
    const urls = { clientUrl: saved.clientUrl, peerUrl: saved.peerUrl };
    const member = this.member(cluster, saved.name, urls, saved.initialCluster, saved.initialState, saved.isLearner);
    member.memberId = saved.memberId;
    member.stoppedByUser = saved.stoppedByUser ?? false;
    return member;
  }

  private member(
    cluster: LocalCluster,
    name: string,
    urls: { clientUrl: string; peerUrl: string },
    initialCluster: string,
    initialState: 'new' | 'existing',
    isLearner: boolean,
  ): LocalMember {
    const logsDir = this.settings.logsDir;
    const logFile = logsDir === undefined ? {} : { logFile: path.join(logsDir, `${cluster.id}-${name}.log`) };
    const tls = { tlsFlags: memberTlsFlags(cluster.security, cluster.dataDir, name), ...(cluster.tls ? { httpTls: cluster.tls } : {}) };
    const spec = { name, ...urls, dataDir: path.join(cluster.dataDir, name), initialCluster, initialState, clusterToken: cluster.token, isLearner, ...logFile, ...tls };
    return new LocalMember(
      spec,
      this.settings.memberCommand,
      this.settings.memberEnv ?? {},
      (lines) => this.hub.publish({ kind: 'memberLog', clusterId: cluster.id, memberName: name, lines }),
      () => this.changed(),
    );
  }

  private async restore(cluster: LocalCluster, snapshotFile: string, initialCluster: string): Promise<void> {
    for (const member of cluster.members) {
      await runMemberCommand(this.settings.memberCommand, this.settings.memberEnv ?? {}, [
        'snapshot',
        'restore',
        snapshotFile,
        `--data-dir=${member.spec.dataDir}`,
        `--name=${member.spec.name}`,
        `--initial-cluster=${initialCluster}`,
        `--initial-cluster-token=${cluster.token}`,
        `--initial-advertise-peer-urls=${member.spec.peerUrl}`,
      ]);
    }
  }

  private async learnMemberIds(cluster: LocalCluster): Promise<void> {
    const { members } = await this.connections.client(cluster.connectionId).cluster.memberList();
    for (const member of cluster.members) member.memberId = members.find((candidate) => candidate.name === member.spec.name)?.id ?? null;
  }

  /** The member's id as its fault hooks name peers (Rafter's hex form). */
  private async hexId(member: LocalMember): Promise<string> {
    if (member.process) {
      const response = await memberRequest(`${member.spec.clientUrl}/rafter/v1/raft/status`, member.spec.httpTls, { method: 'GET', timeoutMs: 2_000 }).catch(() => null);
      if (response?.status === 200) return (JSON.parse(response.text) as { memberId: string }).memberId;
    }
    if (member.memberId === null) throw new AdminFailure('failed_precondition', `${member.spec.name} has no member id yet.`);
    return BigInt(member.memberId).toString(16);
  }

  private async setFaults(member: LocalMember, dropTo: string[], dropFrom: string[]): Promise<void> {
    const response = await memberRequest(`${member.spec.clientUrl}/rafter/v1/faults`, member.spec.httpTls, {
      method: 'POST',
      body: { dropTo, dropFrom, delayMs: 0 },
      timeoutMs: 5_000,
    }).catch((error: unknown) => {
      throw new AdminFailure('unavailable', `${member.spec.name} did not answer the fault hooks: ${error instanceof Error ? error.message : String(error)}`);
    });
    if (response.status !== 200) throw new AdminFailure('failed_precondition', `${member.spec.name} refused the fault hooks: ${response.text}`);
  }

  private async destroyCluster(cluster: LocalCluster): Promise<void> {
    if (cluster.proxy) await this.dropProxy(cluster, cluster.proxy);
    await Promise.all(cluster.members.map((member) => member.kill()));
    if (cluster.connectionId !== '') await this.connections.remove(cluster.connectionId).catch(() => undefined);
    this.clusters.delete(cluster.id);
    await this.persist();
    await rm(cluster.dataDir, { recursive: true, force: true });
  }

  private cluster(clusterId: string): LocalCluster {
    const cluster = this.clusters.get(clusterId);
    if (!cluster) throw new AdminFailure('not_found', 'That local cluster no longer exists.');
    return cluster;
  }

  private memberOf(cluster: LocalCluster, memberName: string): LocalMember {
    const member = cluster.members.find((candidate) => candidate.spec.name === memberName);
    if (!member) throw new AdminFailure('not_found', `${cluster.name} has no member named ${memberName}.`);
    return member;
  }

  private info(cluster: LocalCluster): LocalClusterInfo {
    const summary = this.connections.list().find((connection) => connection.id === cluster.connectionId);
    const signIn = summary?.hasPassword ? 'password' : summary && summary.username === null ? 'certificate' : 'password missing';
    return {
      id: cluster.id,
      name: cluster.name,
      dataDir: cluster.dataDir,
      connectionId: cluster.connectionId,
      members: cluster.members.map((member) => member.info()),
      proxy: cluster.proxy?.info() ?? null,
      security: { ...cluster.security },
      securityNotes: securityNotes(cluster.security, cluster.dataDir, signIn),
    };
  }
}

function definitionOf(cluster: LocalCluster): SavedLocalCluster {
  return {
    id: cluster.id,
    name: cluster.name,
    token: cluster.token,
    connectionId: cluster.connectionId,
    nextMemberNumber: cluster.nextMemberNumber,
    security: { ...cluster.security },
    members: cluster.members.map(({ spec, memberId, stoppedByUser }) => ({
      name: spec.name,
      clientUrl: spec.clientUrl,
      peerUrl: spec.peerUrl,
      initialCluster: spec.initialCluster,
      initialState: spec.initialState,
      isLearner: spec.isLearner,
      memberId,
      stoppedByUser,
    })),
    ...(cluster.proxy ? { proxy: { clientUrl: cluster.proxy.spec.clientUrl, namespace: cluster.proxy.spec.namespace, connectionId: cluster.proxy.connectionId } } : {}),
  };
}
