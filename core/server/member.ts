// A Rafter member: wires the Raft driver, the WAL and snapshot files, the MVCC store with its
// lessor and watch hub, the peer transport and the client API server. It implements the API's
// EtcdBackend: writes are proposed through Raft and answered once applied; linearizable reads wait
// for a ReadIndex round; serializable reads are served locally. Lease calls that only the leader
// can answer are forwarded to it over the peer port. Membership (clusterMembers.ts), store
// transfers to lagging followers (snapshotTransfer.ts), peer queries (peerQueries.ts) and the
// leader's periodic work (leaderDuties.ts) are delegated.
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { LogLevel, MemberConfig } from './memberConfig.js';
import type { EtcdBackend, HeaderInfo, LeaseTimeToLive, MemberInfo, SnapshotStream, StatusInfo, WatchOptions, WatchRegistration, WatchSink } from '../api/backend.js';
import { ClientServer } from '../api/clientServer.js';
import { MvccStore } from '../mvcc/mvccStore.js';
import { WatchHub } from '../mvcc/watchHub.js';
import { Lessor } from '../lease/lessor.js';
import type { AlarmMember, CompactionRequest, CompactionResponse, DeleteRangeRequest, DeleteRangeResponse, HashKvResult, PutRequest, PutResponse, RangeKvSink, RangeRequest, RangeResponse, RangeSummary, RequestOp, TxnRequest, TxnResponse } from '../mvcc/types.js';
import { PeerTransport, QueryError } from '../transport/peerTransport.js';
import { ProposalDroppedError } from '../raft/errors.js';
import type { Entry, NodeId, Snapshot } from '../raft/types.js';
import { index } from '../raft/types.js';
import { applyEntries } from './applier.js';
import { ApplyGuard } from './applyGuard.js';
import { dataPaths, decodeSnapshotState, encodeSnapshotState, type DataPaths, type RecoveredState } from './dataDir.js';
import { openDurableState, toServerError } from './memberBootstrap.js';
import { watchThroughHub } from './watchAdapter.js';
import { ServerError } from './errors.js';
import { describeRequest, encodeRequest, type InternalRequest } from './internalRequest.js';
import { ClusterMembers, type ClusterMembersHost } from './clusterMembers.js';
import { SnapshotTransfer, streamStoreCopy } from './snapshotTransfer.js';
import { answerPeerQuery } from './peerQueries.js';
import { LeaderDuties } from './leaderDuties.js';
import { decodeMessage, encodeMessage } from './messageCodec.js';
import { RaftDriver } from './raftDriver.js';
import { resolveMemberTls, type MemberTls } from './memberTls.js';
import { MemberMetrics } from './metrics.js';
import { RequestIdGenerator, Waiters } from './waiters.js';
import { MemberAuth } from './memberAuth.js';
import { AppliedIndexWaiters } from './appliedIndexWaiters.js';
import type { AuthInfo } from '../auth/authStore.js';
import type { Credentials } from '../auth/credentials.js';
import { inspectionRoutes } from './inspection.js';
import { MessageTap } from './messageTap.js';
import type { Message } from '../raft/message.js';
import type { SnapshotFiles } from '../snap/snapshotFiles.js';
import type { Wal } from '../wal/wal.js';
import type { Ready } from '../raft/raftNode.js';

export type { LogLevel };
export type Logger = (level: LogLevel, message: string) => void;

export interface MemberOptions {
  readonly config: MemberConfig;
  readonly log?: Logger;
  /** UNSAFE, tests only: no fsync anywhere (fault tests show lost writes are detected). */
  readonly unsafeNoFsync?: boolean;
}

export const rafterVersion = '0.1.0';
/** The etcd API version Rafter speaks. */
export const etcdApiVersion = '3.4.0';
const requestTimeoutMs = 7_000;

/** How often dropped messages from unknown senders are logged. */
const strangerWarnIntervalMs = 10_000;
/** Free space under which a failed write is blamed on a full disk. */
const fullDiskBytes = 16 * 1024 * 1024;

/** An error naming what the member was doing when `error` struck, keeping it as the cause. */
function failedWhile(doing: string, error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  return new Error(`${doing} failed: ${message}`, { cause: error });
}

/**
 * "; the disk holding <dir> is nearly full (<n> bytes free)" for the first of `dirs` on a nearly
 * full disk, else ''. A full disk does not always say ENOSPC: LMDB reports a short write as EIO
 * ("Input/output error"), so the free space is what names the cause.
 */
function fullDiskHint(dirs: readonly string[]): string {
  for (const dir of dirs) {
    try {
      const stats = fs.statfsSync(dir);
      const free = stats.bavail * stats.bsize;
      if (free < fullDiskBytes) return `; the disk holding ${dir} is nearly full (${free} bytes free)`;
    } catch {
      // gone or unreadable: say nothing of it
    }
  }
  return '';
}

/** Whether a transaction only reads (then it is served like a range, without a log entry). */
function readOnly(ops: readonly RequestOp[] | undefined): boolean {
  return (ops ?? []).every((op) => 'requestRange' in op || ('requestTxn' in op && readOnly(op.requestTxn.success) && readOnly(op.requestTxn.failure)));
}

export class Member implements EtcdBackend {
  readonly maxRequestBytes: number;
  readonly maxTxnOps: number;
  readonly memberId: NodeId;
  readonly clusterId: string;
  readonly metrics = new MemberMetrics();
  /** Raft traffic for the console's live view; records only while someone reads it. */
  readonly messageTap = new MessageTap();
  private readonly paths: DataPaths;
  private readonly unsafeNoFsync: boolean;
  private readonly log: Logger;
  private readonly waiters = new Waiters();
  private readonly ids: RequestIdGenerator;
  private store: MvccStore;
  private readonly applyGuard: ApplyGuard;
  private lessor: Lessor;
  private readonly hub: WatchHub;
  private readonly wal: Wal;
  private readonly snapshotFiles: SnapshotFiles;
  private readonly storage: RecoveredState['storage'];
  private readonly clusterMembers: ClusterMembers;
  private readonly snapshotTransfer: SnapshotTransfer;
  private readonly driver: RaftDriver;
  private readonly transport: PeerTransport;
  private clientServer: ClientServer | null = null;
  /** Where /metrics and /health are also served (--listen-metrics-urls), with bound ports. */
  metricsUrls: string[] = [];
  private readonly leaderDuties: LeaderDuties;
  private snapshotIndex: number;
  private snapshotting = false;
  /** The entries applied since the store's last group commit; null when it holds them all. */
  private uncommitted: { first: number; last: number } | null = null;
  /** When a message from an unknown sender was last logged. */
  private strangerWarnedAtMs = 0;
  private stopped = false;
  private proposalQueue: { id: bigint; data: Uint8Array }[] = [];
  /** Users, roles, tokens and the checks made with them. */
  readonly auth: MemberAuth;
  /** Callers waiting for this member to apply an index (a token made by a later entry). */
  private readonly appliedWaiters: AppliedIndexWaiters;
  private readonly stoppedPromise: Promise<string>;
  private resolveStopped!: (reason: string) => void;
  /** Terms and leaders as seen here, newest last (the console's term timeline). */
  readonly leaderHistory: { term: number; leader: string | null; atMs: number }[] = [];
  clientUrls: string[] = [];
  peerPort = 0;

  private constructor(
    readonly config: MemberConfig,
    recovered: RecoveredState,
    options: MemberOptions,
    log: Logger,
    private readonly tls: MemberTls,
  ) {
    this.log = log;
    this.unsafeNoFsync = options.unsafeNoFsync ?? false;
    this.paths = dataPaths(config.dataDir, config.walDir);
    this.maxRequestBytes = config.maxRequestBytes;
    this.maxTxnOps = config.maxTxnOps;
    this.memberId = recovered.memberId;
    this.clusterId = recovered.clusterId;
    this.wal = recovered.wal;
    this.snapshotFiles = recovered.snapshotFiles;
    this.storage = recovered.storage;
    this.snapshotIndex = recovered.snapshotIndex;
    this.ids = new RequestIdGenerator(BigInt(`0x${this.memberId}`), Date.now());
    this.store = this.openStore();
    this.applyGuard = this.openApplyGuard();
    this.lessor = this.newLessor();
    this.auth = new MemberAuth(
      this.store.backend,
      {
        propose: (request, caller) => this.propose(request, caller),
        linearizable: () => this.linearizable(),
        waitApplied: (at, timeoutMs) => (this.stopped ? Promise.resolve(false) : this.appliedWaiters.wait(at, timeoutMs)),
        lessor: () => this.lessor,
      },
      {
        bcryptCost: config.bcryptCost, tokenTtlSeconds: config.authTokenTtlSeconds, jwt: config.authToken.kind === 'jwt' ? config.authToken.jwt : null,
        // etcd takes a verified certificate's common name as the user only under --client-cert-auth
        // (auto TLS, which trusts no CA, turns it off).
        clientCertAuth: config.tls.client.clientCertAuth && !(config.tls.client.autoTls && config.tls.client.certFile === ''),
        requestTimeoutMs,
      },
    );
    this.store.onAbort(() => this.auth.store.reload());
    this.appliedWaiters = new AppliedIndexWaiters(Math.max(recovered.snapshotIndex, this.store.appliedIndex()));
    this.hub = new WatchHub(this.store);
    this.stoppedPromise = new Promise((resolve) => (this.resolveStopped = resolve));
    const tickMs = Math.max(1, Math.floor(config.heartbeatIntervalMs / 5));
    this.transport = new PeerTransport({
      clusterId: this.clusterId,
      memberId: this.memberId,
      onMessage: (from, payload) => this.receive(from, payload),
      onDroppedMessage: (from, payload) => this.tapDropped(from, payload),
      onSnapshot: (from, header, body) => this.snapshotTransfer.receive(from, header, body),
      onUnreachable: (peer) => this.driver.withNode((node) => node.reportUnreachable(peer as NodeId)),
      onQuery: (_from, request) => this.answerQuery(request),
      log: { warn: (message) => this.log('warn', message) },
      ...(tls.peer ? { tls: { client: tls.peer.client } } : {}),
    });
    this.driver = new RaftDriver({
      id: this.memberId,
      storage: this.storage,
      applied: index(recovered.snapshotIndex),
      tickMs,
      electionTicks: Math.max(2, Math.round(config.electionTimeoutMs / tickMs)),
      heartbeatTicks: Math.max(1, Math.round(config.heartbeatIntervalMs / tickMs)),
      seed: randomInt(0, 2 ** 31),
      hooks: {
        persistSnapshot: (snapshot) => this.persistSnapshot(snapshot),
        persist: (ready) => this.persist(ready),
        callersWaiting: () => this.waiters.size > 0,
        send: (messages) => this.send(messages),
        applySnapshot: (snapshot) => this.applySnapshotState(snapshot),
        applyEntries: (entries) => this.apply(entries),
        softStateChanged: (soft, term) => this.onSoftState(soft.leader, soft.role, term),
        afterReady: (applied) => this.maybeSnapshot(applied),
        fatal: (error) => {
          const message = `${error.message}${fullDiskHint([config.dataDir, this.paths.db, this.paths.wal, this.paths.snap])}`;
          this.log('error', `stopping: ${message}`);
          void this.stop(`fatal: ${message}`);
        },
      },
    });
    this.clusterMembers = this.newClusterMembers(recovered);
    this.leaderDuties = new LeaderDuties({
      config,
      log: (level, message) => this.log(level, message),
      leading: () => !this.stopped && this.driver.isLeader(),
      lessor: () => this.lessor,
      store: () => this.store,
      propose: (request) => this.propose(request),
    });
    this.snapshotTransfer = new SnapshotTransfer({
      tmpDir: this.paths.tmp,
      transport: this.transport,
      driver: this.driver,
      log: (level, message) => this.log(level, message),
      copyStore: (file) => this.store.snapshotTo(file),
      installStore: (file) => this.installStore(file),
      knownSender: (from, message) => {
        const known = this.knownSender(from, message);
        if (known && this.messageTap.active) this.messageTap.record('receive', message);
        return known;
      },
    });
  }

  /** Called in the constructor once the driver and the transport exist. */
  private newClusterMembers(recovered: RecoveredState): ClusterMembers {
    const host: ClusterMembersHost = {
      memberId: this.memberId,
      config: this.config,
      driver: this.driver,
      transport: this.transport,
      waiters: this.waiters,
      ids: this.ids,
      requestTimeoutMs,
      log: (level, message) => this.log(level, message),
      clientUrls: () => this.clientUrls,
      isStopped: () => this.stopped,
      stop: (reason) => void this.stop(reason),
      propose: (request) => this.propose(request),
      linearizable: () => this.linearizable(),
      forwardToLeader: (request) => this.forwardToLeader(request),
    };
    return new ClusterMembers(host, recovered.membership, recovered.remotes);
  }

  /**
   * Reads what earlier runs left while applying entries; refuses to start (closing the store)
   * when runs keep dying on the same entry.
   */
  private openApplyGuard(): ApplyGuard {
    let guard: ApplyGuard;
    try {
      guard = ApplyGuard.open({
        dir: path.dirname(this.paths.db),
        storeApplied: this.store.appliedIndex(),
        storeDir: this.paths.db,
        describeEntry: (at) => this.describeEntry(at),
      });
    } catch (error) {
      this.store.close();
      throw error;
    }
    const recovery = guard.recovery;
    if (recovery !== null) {
      const entry = this.describeEntry(recovery.entryIndex);
      this.log(
        'warn',
        `the last run stopped while applying entry ${recovery.entryIndex}${entry === null ? '' : ` (${entry})`}` +
          `${recovery.error === null ? '' : `: ${recovery.error}`}; applying it again (${recovery.deaths} such ${recovery.deaths === 1 ? 'stop' : 'stops'} in a row)`,
      );
    }
    return guard;
  }

  /** "term T, <request>" for the log entry at `at`, or null when the log no longer holds it. */
  private describeEntry(at: number): string | null {
    if (at < this.storage.firstIndex() || at > this.storage.lastIndex()) return null;
    const entry = this.storage.entries(index(at), index(at + 1), Number.MAX_SAFE_INTEGER)[0];
    if (entry === undefined) return null;
    const what = entry.type === 'confChange' ? 'a membership change' : entry.data.length === 0 ? 'an empty entry' : describeRequest(entry.data);
    return `term ${entry.term}, ${what}`;
  }

  /** Opens or creates the data directory, joins or forms the cluster and starts serving. */
  static async start(options: MemberOptions): Promise<Member> {
    const config = options.config;
    const log: Logger = options.log ?? ((level, message) => process.stderr.write(`${level}: ${message}\n`));
    const tls = resolveMemberTls(config, log);
    const recovered = await openDurableState(config, options.unsafeNoFsync ?? false, log, tls.peer?.client);
    let member: Member;
    try {
      member = new Member(config, recovered, options, log, tls);
    } catch (error) {
      await recovered.wal.close();
      throw error;
    }
    await member.listen();
    return member;
  }

  private async listen(): Promise<void> {
    const peerUrl = this.config.listenPeerUrls[0]!;
    const peerTls = peerUrl.protocol === 'https:' ? this.tls.peer?.server : undefined;
    this.peerPort = await this.transport.listen(peerUrl.hostname.replace(/^\[|\]$/g, ''), Number(peerUrl.port), peerTls, this.tls.peer?.refusal);
    this.clusterMembers.syncTransportPeers();
    const endpoints = inspectionRoutes(this);
    this.clientServer = new ClientServer(this, endpoints);
    const ports = await this.clientServer.listen(
      this.config.listenClientUrls.map((url) => ({
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: Number(url.port),
        tls: url.protocol === 'https:' ? this.tls.client?.server : undefined,
        refusal: this.tls.client?.refusal,
      })),
    );
    this.clientUrls = this.config.advertiseClientUrls.map((url, i) => (url.port === '0' ? `${url.protocol}//${url.hostname}:${ports[i] ?? ports[0]}` : url.origin));
    const metricsPorts = await this.clientServer.listenMetrics(this.config.listenMetricsUrls.map((url) => ({ host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port) })));
    this.metricsUrls = this.config.listenMetricsUrls.map((url, i) => `${url.protocol}//${url.host.replace(/:\d+$/, '')}:${metricsPorts[i]!}`);
    this.driver.start();
    this.leaderDuties.start();
    void this.clusterMembers.publishAttributes();
  }

  /**
   * The lessor, with etcd's minimum TTL: one and a half election timeouts, rounded up to whole
   * seconds, so a lease always outlives a leader change.
   */
  private newLessor(): Lessor {
    const minTtlSeconds = Math.max(1, Math.ceil((1.5 * this.config.electionTimeoutMs) / 1000));
    return new Lessor(this.store, { clock: () => Date.now(), minTtlSeconds });
  }

  /** Resolves with the reason once the member has stopped (shutdown, removal, fatal error). */
  whenStopped(): Promise<string> {
    return this.stoppedPromise;
  }

  // ---- Raft plumbing -------------------------------------------------------------------------

  private receive(from: string, payload: Buffer): void {
    if (this.clusterMembers.dropFromRemoved(from)) return;
    let message: Message;
    try {
      message = decodeMessage(payload);
    } catch (error) {
      this.log('warn', `dropped an undecodable peer message: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    if (!this.knownSender(from, message)) return;
    if (this.messageTap.active) this.messageTap.record('receive', message);
    this.driver.step(message);
  }

  /** A message a `dropFrom` fault swallowed: described only while the tap is on. */
  private tapDropped(from: string, payload: Buffer): void {
    if (!this.messageTap.active) return;
    try {
      const message = decodeMessage(payload);
      if (message.from === from) this.messageTap.record('receive', message, true);
    } catch {
      // an undecodable message is logged where it would have been stepped; nothing to show here
    }
  }

  /**
   * Whether a peer message comes from a member of the cluster (or a member named when this one
   * joined, not removed since), as the connection it came on says: etcd's peers refuse streams
   * from unknown members too. Anything else (a member not yet known here, a stranger, a message
   * naming another sender) is dropped; Raft retries.
   */
  private knownSender(from: string, message: Message): boolean {
    const known = message.from === from && this.clusterMembers.get(message.from) !== undefined;
    if (!known) {
      const now = Date.now();
      if (now >= this.strangerWarnedAtMs + strangerWarnIntervalMs) {
        this.strangerWarnedAtMs = now;
        this.log('warn', `dropped a peer message from ${message.from} on a connection from ${from}: not a member of this cluster (said at most every 10 s)`);
      }
    }
    return known;
  }

  private send(messages: readonly Message[]): void {
    for (const message of messages) {
      if (message.type === 'snapshot') {
        if (this.messageTap.active) this.messageTap.record('send', message);
        void this.snapshotTransfer.send(message);
        continue;
      }
      const queued = this.transport.send(message.to, encodeMessage(message));
      if (this.messageTap.active) this.messageTap.record('send', message, !queued);
    }
    this.metrics.messagesSent += messages.length;
  }

  private openStore(): MvccStore {
    // The store commits once per --backend-batch-interval rather than once per applied batch:
    // what a crash loses is replayed from the WAL, from the applied index stored with the data,
    // and the WAL keeps everything after it (its segments are released only after a snapshot,
    // which syncs the store first).
    return MvccStore.open({
      dir: this.paths.db,
      quotaBackendBytes: this.config.quotaBackendBytes,
      memberId: BigInt(`0x${this.memberId}`),
      unsafeNoFsync: this.unsafeNoFsync,
      groupCommit: {
        intervalMs: this.config.backendBatchIntervalMs,
        callsMax: this.config.backendBatchLimit,
        onCommit: (seconds) => {
          this.uncommitted = null;
          this.metrics.backendCommit.observe(seconds);
        },
        onFailure: (error) => {
          // The group's entries never reached the store: as for a batch that failed to apply,
          // the guard records them, so a restart that fails the same way counts toward a refusal.
          const range = this.uncommitted ?? { first: this.driver.applied, last: this.driver.applied };
          const failure = failedWhile(`applying entries ${range.first}–${range.last} to the store in ${this.paths.db}`, error);
          this.applyGuard.begin(range.first, range.last);
          this.applyGuard.failed(failure);
          const message = `${failure.message}${fullDiskHint([this.config.dataDir, this.paths.db, this.paths.wal, this.paths.snap])}`;
          this.log('error', `stopping: ${message}`);
          void this.stop(`fatal: ${message}`);
        },
      },
    });
  }

  /**
   * Swaps in the database file of a received snapshot (flushed to disk by the receiver) as the
   * store. Synchronous from closing the old store to rebinding the watch hub: nothing can read in
   * between.
   */
  private installStore(file: string): void {
    this.lessor.close();
    this.store.close();
    MvccStore.installSnapshot(file, this.paths.db, { moveFlushed: true });
    this.store = this.openStore();
    this.lessor = this.newLessor();
    this.auth.rebind(this.store.backend);
    this.store.onAbort(() => this.auth.store.reload());
    this.hub.rebind(this.store);
  }

  private async persistSnapshot(snapshot: Snapshot): Promise<void> {
    const state = decodeSnapshotState(snapshot.data);
    try {
      await this.snapshotFiles.save(snapshot.meta, state as never);
      await this.wal.saveSnapshotMarker({ index: snapshot.meta.index, term: snapshot.meta.term });
    } catch (error) {
      throw failedWhile(`recording the snapshot at index ${snapshot.meta.index} received from the leader in ${this.paths.snap}`, error);
    }
    this.storage.applySnapshot(snapshot);
    this.snapshotIndex = snapshot.meta.index;
  }

  private async persist(ready: Ready): Promise<void> {
    if (ready.hardState !== null || ready.entries.length > 0) {
      const started = performance.now();
      // A new commit index alone (no entries, same term and vote) is written, not waited for on disk.
      await this.wal.save(ready.hardState, ready.entries, { sync: ready.mustSync, immediate: true });
      if (ready.mustSync) this.metrics.walFsync.observe((performance.now() - started) / 1000);
    }
    if (ready.entries.length > 0) this.storage.append(ready.entries);
    if (ready.hardState !== null) this.storage.setHardState(ready.hardState);
  }

  private applySnapshotState(snapshot: Snapshot): void {
    this.clusterMembers.restore(decodeSnapshotState(snapshot.data).membership);
    this.appliedWaiters.advance(snapshot.meta.index);
  }

  private apply(entries: readonly Entry[]): void {
    const started = performance.now();
    let outcomes: ReturnType<typeof applyEntries>;
    // The guard records every entry applied since the store's last commit: under group commit
    // they are all lost together if the process dies, and the first of them is where a restart
    // that dies again would be stuck.
    this.uncommitted = { first: this.uncommitted?.first ?? entries[0]!.index, last: entries.at(-1)!.index };
    this.applyGuard.begin(this.uncommitted.first, this.uncommitted.last);
    try {
      outcomes = applyEntries(this.store, this.lessor, this.auth.store, entries, {
        confChange: (change, context) => this.clusterMembers.applyConfChange(change, context),
        membershipRequest: (request) => this.clusterMembers.applyRequest(request),
        alarm: (request) =>
          request.action === 'activate'
            ? this.store.activateAlarm({ memberId: request.memberId, alarm: request.alarm })
            : this.store.deactivateAlarm({ memberId: request.memberId, alarm: request.alarm }),
      });
    } catch (error) {
      const failure = failedWhile(`applying entries ${entries[0]?.index ?? 0}–${entries.at(-1)?.index ?? 0} to the store in ${this.paths.db}`, error);
      this.applyGuard.failed(failure);
      throw failure;
    }
    this.applyGuard.end();
    this.metrics.applyDuration.observe((performance.now() - started) / 1000);
    this.metrics.proposalsApplied += entries.length;
    for (const [id, outcome] of outcomes) {
      if (outcome.ok) this.waiters.trigger(id, outcome.value);
      else this.waiters.fail(id, outcome.error);
    }
    this.appliedWaiters.advance(entries.at(-1)?.index ?? 0);
  }

  private onSoftState(leader: NodeId | null, role: string, term: number): void {
    this.leaderHistory.push({ term, leader, atMs: Date.now() });
    if (this.leaderHistory.length > 1000) this.leaderHistory.splice(0, this.leaderHistory.length - 1000);
    this.metrics.leaderChanges++;
    if (role === 'leader') this.lessor.promote(this.config.electionTimeoutMs * 2);
    else if (this.lessor.isPrimary) this.lessor.demote();
    this.log('info', leader === null ? `term ${term}: no leader` : `term ${term}: leader is ${leader}${leader === this.memberId ? ' (this member)' : ''}`);
  }

  private async maybeSnapshot(applied: number): Promise<void> {
    if (this.snapshotting || applied - this.snapshotIndex < this.config.snapshotCount) return;
    this.snapshotting = true;
    try {
      await this.saveSnapshot(applied);
    } catch (error) {
      throw failedWhile(`saving a snapshot at index ${applied} in ${this.paths.snap}`, error);
    } finally {
      this.snapshotting = false;
    }
  }

  private async saveSnapshot(applied: number): Promise<void> {
    await this.store.sync();
    const conf = this.driver.status().conf;
    const data = encodeSnapshotState({ membership: this.clusterMembers.image() });
    const snapshot = this.storage.createSnapshot(index(applied), conf, data);
    await this.snapshotFiles.save(snapshot.meta, { membership: this.clusterMembers.image() } as never);
    await this.wal.saveSnapshotMarker({ index: snapshot.meta.index, term: snapshot.meta.term });
    await this.wal.releaseTo(snapshot.meta.index, this.config.maxWals);
    await this.snapshotFiles.purge();
    const compactTo = applied - this.config.snapshotCatchupEntries;
    if (compactTo > this.storage.firstIndex()) this.storage.compact(index(compactTo));
    this.snapshotIndex = applied;
    this.metrics.snapshots++;
    this.log('info', `saved a snapshot at index ${applied}`);
  }

  // ---- Proposals and reads -------------------------------------------------------------------

  /** Proposes `request` as `caller` (null: the member's own request) and resolves with its result. */
  private async propose<T>(request: InternalRequest, caller: AuthInfo | null = null): Promise<T> {
    if (this.stopped) throw new ServerError('STOPPED');
    const id = this.ids.take();
    const data = encodeRequest({ id, request, caller });
    if (data.length > this.maxRequestBytes) throw new ServerError('REQUEST_TOO_LARGE');
    if (this.driver.leader() === null) await this.ensureLeader();
    const result = this.waiters.wait<T>(id, requestTimeoutMs);
    this.queueProposal(id, data);
    try {
      return await result;
    } catch (error) {
      this.metrics.proposalsFailed++;
      throw error;
    }
  }

  /**
   * Proposals that arrive in the same turn of the event loop go to Raft as one batch: one append,
   * one round of messages and one WAL write for all of them.
   */
  private queueProposal(id: bigint, data: Uint8Array): void {
    this.proposalQueue.push({ id, data });
    if (this.proposalQueue.length > 1) return;
    setImmediate(() => {
      const batch = this.proposalQueue;
      this.proposalQueue = [];
      try {
        this.driver.withNode((node) => node.proposeBatch(batch.map((p) => p.data)));
        this.metrics.proposalsPending = this.waiters.size;
      } catch (error) {
        const failure = error instanceof ProposalDroppedError ? new ServerError(error.reason === 'noLeader' ? 'NO_LEADER' : 'LEADER_CHANGED') : (error as Error);
        for (const p of batch) this.waiters.fail(p.id, failure);
      }
    });
  }

  private async ensureLeader(): Promise<void> {
    if (this.driver.leader() !== null) return;
    const found = await this.driver.waitForLeader(this.config.electionTimeoutMs * 4);
    if (!found) throw new ServerError('NO_LEADER');
  }

  private async linearizable(): Promise<void> {
    await this.ensureLeader();
    await this.driver.readBarrier();
  }

  header(): HeaderInfo {
    return { clusterId: this.clusterId, memberId: this.memberId, raftTerm: this.driver.term(), revision: this.store.revision };
  }

  async range(request: RangeRequest, credentials: Credentials): Promise<RangeResponse> {
    if (!request.serializable) await this.linearizable();
    this.metrics.ranges++;
    return this.auth.read(credentials, (info) => this.auth.checkRange(info, request.key, request.rangeEnd), () => this.store.range(request));
  }

  async rangeInto(request: RangeRequest, credentials: Credentials, sink: RangeKvSink): Promise<RangeSummary | RangeResponse> {
    if (!request.serializable) await this.linearizable();
    this.metrics.ranges++;
    return this.auth.read(credentials, (info) => this.auth.checkRange(info, request.key, request.rangeEnd), () => this.store.rangeInto(request, sink) ?? this.store.range(request));
  }

  async put(request: PutRequest, credentials: Credentials): Promise<PutResponse> {
    return this.propose({ kind: 'put', put: request }, this.auth.callerAtOnce() ?? (await this.auth.caller(credentials)));
  }

  async deleteRange(request: DeleteRangeRequest, credentials: Credentials): Promise<DeleteRangeResponse> {
    return this.propose({ kind: 'deleteRange', deleteRange: request }, this.auth.callerAtOnce() ?? (await this.auth.caller(credentials)));
  }

  async txn(request: TxnRequest, credentials: Credentials): Promise<TxnResponse> {
    if (readOnly(request.success) && readOnly(request.failure)) {
      await this.linearizable();
      return this.auth.read(credentials, (info) => this.auth.checkTxn(info, request), () => this.store.txn(request));
    }
    return this.propose({ kind: 'txn', txn: request }, this.auth.callerAtOnce() ?? (await this.auth.caller(credentials)));
  }

  /** Compaction needs the root role once auth is on (etcd's current releases; 3.4.23 let anyone compact). */
  async compact(request: CompactionRequest, credentials: Credentials): Promise<CompactionResponse> {
    await this.auth.requireAdmin(credentials);
    const response = await this.propose<CompactionResponse>({ kind: 'compaction', compaction: request }, await this.auth.caller(credentials));
    // physical: etcd answers once the compaction's records are gone from the backend.
    if (request.physical === true) await this.store.compactionDone();
    return response;
  }

  // ---- Leases -----------------------------------------------------------------------------

  async leaseGrant(id: bigint, ttlSeconds: number, credentials: Credentials): Promise<{ id: bigint; ttlSeconds: number }> {
    const leaseId = id !== 0n ? id : this.ids.take() & 0x7fff_ffff_ffff_ffffn;
    const caller = await this.auth.requireUser(credentials);
    return this.propose({ kind: 'leaseGrant', id: leaseId, ttlSeconds }, caller);
  }

  async leaseRevoke(id: bigint, credentials: Credentials): Promise<void> {
    const caller = await this.auth.requireUser(credentials);
    await this.propose({ kind: 'leaseRevoke', id }, caller ?? { user: '', revision: 0 });
  }

  async leaseRenew(id: bigint, credentials: Credentials): Promise<number> {
    await this.auth.checkLeaseKeys(credentials, [id], 'WRITE');
    if (this.driver.isLeader()) return this.lessor.renew(id);
    return Number(await this.forwardToLeader({ call: 'leaseRenew', id: id.toString() }));
  }

  async leaseTimeToLive(id: bigint, withKeys: boolean, credentials: Credentials): Promise<LeaseTimeToLive> {
    if (withKeys) await this.auth.checkLeaseKeys(credentials, [id], 'READ');
    else await this.auth.requireUser(credentials);
    if (this.driver.isLeader()) {
      const ttl = this.lessor.timeToLive(id, withKeys);
      return { ttlSeconds: ttl.ttlSeconds, grantedTtlSeconds: ttl.grantedTtlSeconds, keys: ttl.keys };
    }
    const answer = (await this.forwardToLeader({ call: 'leaseTimeToLive', id: id.toString(), withKeys })) as { ttl: number; granted: number; keys: string[] };
    return { ttlSeconds: answer.ttl, grantedTtlSeconds: answer.granted, keys: answer.keys.map((k) => Buffer.from(k, 'base64')) };
  }

  async leaseList(credentials: Credentials): Promise<bigint[]> {
    const ids = this.lessor.list();
    await this.auth.checkLeaseKeys(credentials, ids, 'READ');
    return ids;
  }

  // ---- Watches ----------------------------------------------------------------------------

  /** Watchers registered now, over every stream (a metric, and a leak check). */
  get watcherCount(): number {
    return this.hub.size;
  }

  async watchPermitted(options: WatchOptions, credentials: Credentials): Promise<void> {
    const info = await this.auth.resolve(credentials);
    this.auth.checkRange(info ?? { user: '', revision: 0 }, options.key, options.rangeEnd);
  }

  watch(options: WatchOptions, sink: WatchSink): WatchRegistration {
    return watchThroughHub(this.hub, () => this.store.revision, options, sink);
  }

  // ---- Membership ---------------------------------------------------------------------------

  /** Any user may list members; with auth on, a caller without credentials may not (etcd's current releases). */
  async memberList(linearizable: boolean, credentials: Credentials): Promise<MemberInfo[]> {
    await this.auth.requireUser(credentials);
    return this.clusterMembers.memberList(linearizable);
  }

  async memberAdd(peerUrls: readonly string[], isLearner: boolean, credentials: Credentials): Promise<{ member: MemberInfo; members: MemberInfo[] }> {
    await this.auth.requireAdmin(credentials);
    return this.clusterMembers.memberAdd(peerUrls, isLearner);
  }

  async memberRemove(id: string, credentials: Credentials): Promise<MemberInfo[]> {
    await this.auth.requireAdmin(credentials);
    return this.clusterMembers.memberRemove(id);
  }

  async memberUpdate(id: string, peerUrls: readonly string[], credentials: Credentials): Promise<MemberInfo[]> {
    await this.auth.requireAdmin(credentials);
    return this.clusterMembers.memberUpdate(id, peerUrls);
  }

  async memberPromote(id: string, credentials: Credentials): Promise<MemberInfo[]> {
    await this.auth.requireAdmin(credentials);
    return this.clusterMembers.memberPromote(id);
  }

  // ---- Forwarding to the leader over the peer port ----------------------------------------------

  /**
   * Sends a call to the leader's peer port. A leader that cannot be reached (it just died) never
   * saw the call, so it is sent again, a heartbeat apart, until a new leader answers or the request
   * timeout passes ("no leader"), as etcd waits for a leader.
   */
  private async forwardToLeader(request: Record<string, unknown>): Promise<unknown> {
    const deadline = Date.now() + requestTimeoutMs;
    for (;;) {
      await this.ensureLeader();
      const leader = this.driver.leader();
      const member = leader === null ? undefined : this.clusterMembers.get(leader);
      if (!member || member.peerUrls.length === 0) throw new ServerError('NO_LEADER');
      try {
        return await this.transport.query(member.peerUrls[0]!, member.id, request, Math.max(1, deadline - Date.now()));
      } catch (error) {
        if (!(error instanceof QueryError)) throw error;
        if (!error.unsent) throw toServerError(error.message);
        if (Date.now() >= deadline || this.stopped) throw new ServerError('NO_LEADER');
        await new Promise((resolve) => setTimeout(resolve, this.config.heartbeatIntervalMs).unref());
      }
    }
  }

  private answerQuery(request: unknown): Promise<unknown> {
    return answerPeerQuery({ clusterId: this.clusterId, clusterMembers: this.clusterMembers, driver: this.driver, lessor: this.lessor }, request);
  }

  // ---- Maintenance ------------------------------------------------------------------------------

  async status(credentials: Credentials): Promise<StatusInfo> {
    await this.auth.requireAdmin(credentials);
    const raft = this.driver.status();
    const sizes = this.store.sizes();
    return {
      version: etcdApiVersion,
      dbSize: sizes.dbSizeBytes,
      dbSizeInUse: sizes.dbSizeInUseBytes,
      leader: raft.leader ?? '0',
      raftIndex: raft.lastIndex,
      raftTerm: raft.term,
      raftAppliedIndex: this.driver.applied,
      errors: this.store.alarms().map((a) => `memberID:${a.memberId} alarm:${a.alarm}`),
      isLearner: raft.conf.learners.includes(this.memberId),
    };
  }

  async alarmList(credentials: Credentials): Promise<AlarmMember[]> {
    await this.auth.requireUser(credentials);
    return this.store.alarms();
  }

  async alarmActivate(memberId: bigint, alarm: AlarmMember['alarm'], credentials: Credentials): Promise<AlarmMember[]> {
    await this.auth.requireAdmin(credentials);
    await this.propose({ kind: 'alarm', action: 'activate', memberId, alarm });
    return this.store.alarms();
  }

  async alarmDeactivate(memberId: bigint, alarm: AlarmMember['alarm'], credentials: Credentials): Promise<AlarmMember[]> {
    await this.auth.requireAdmin(credentials);
    await this.propose({ kind: 'alarm', action: 'deactivate', memberId, alarm });
    return this.store.alarms();
  }

  async defragment(credentials: Credentials): Promise<void> {
    await this.auth.requireAdmin(credentials, true);
    await this.store.defragment();
  }

  /** Waits for a pending compaction's background steps, so the hash does not finish it in one turn. */
  async hash(credentials: Credentials): Promise<number> {
    await this.auth.requireAdmin(credentials, true);
    await this.store.compactionDone();
    return this.store.hash();
  }

  async hashKv(revision: number, credentials: Credentials): Promise<HashKvResult> {
    await this.auth.requireAdmin(credentials, true);
    await this.store.compactionDone();
    return this.store.hashKv(revision);
  }

  async snapshot(credentials: Credentials): Promise<SnapshotStream> {
    await this.auth.requireAdmin(credentials, true);
    return streamStoreCopy(this.paths.tmp, (file) => this.store.snapshotTo(file));
  }

  async moveLeader(targetId: string, credentials: Credentials): Promise<void> {
    await this.auth.requireAdmin(credentials);
    return this.clusterMembers.moveLeader(targetId);
  }

  // ---- Inspection (read-only, for the console) ---------------------------------------------------

  raftStatus() {
    return this.driver.status();
  }

  /** Up to `limit` log entries from `from` (inclusive) that are still in memory. */
  logEntries(from: number, limit: number): Entry[] {
    const first = this.storage.firstIndex();
    const last = this.storage.lastIndex();
    const lo = Math.max(first, from);
    const hi = Math.min(last + 1, lo + limit);
    if (lo >= hi) return [];
    return [...this.storage.entries(index(lo), index(hi), Number.MAX_SAFE_INTEGER)];
  }

  transportFaults() {
    return this.transport.currentFaults();
  }

  setTransportFaults(faults: Parameters<PeerTransport['setFaults']>[0]): void {
    this.transport.setFaults(faults);
  }

  transportStats() {
    return this.transport.stats;
  }

  storeSizes() {
    return this.store.sizes();
  }

  async health(): Promise<{ healthy: boolean; reason: string }> {
    if (this.stopped) return { healthy: false, reason: 'stopped' };
    if (this.driver.leader() === null) return { healthy: false, reason: 'RAFT NO LEADER' };
    if (this.store.alarms().length > 0) return { healthy: false, reason: `ALARM ${this.store.alarms().map((a) => a.alarm).join(',')}` };
    try {
      await this.linearizable();
      return { healthy: true, reason: '' };
    } catch (error) {
      return { healthy: false, reason: error instanceof Error ? error.message : String(error) };
    }
  }

  /** Stops serving and closes everything; the data directory stays as it is. */
  async stop(reason = 'shutdown'): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.messageTap.close();
    this.leaderDuties.stop();
    this.driver.stop();
    this.waiters.failAll(new ServerError('STOPPED'));
    await this.clientServer?.close();
    await this.transport.close();
    await this.driver.idle();
    this.hub.close();
    this.lessor.close();
    await this.auth.close();
    this.appliedWaiters.close();
    await this.wal.close();
    this.store.close();
    this.applyGuard.close();
    this.metrics.close();
    this.resolveStopped(reason);
  }
}
