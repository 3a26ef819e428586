// A Rafter member: wires the Raft driver, the WAL and snapshot files, the MVCC store with its
// lessor and watch hub, the peer transport and the client API server. It implements the API's
// EtcdBackend: writes are proposed through Raft and answered once applied; linearizable reads wait
// for a ReadIndex round; serializable reads are served locally. Lease renewals and membership
// calls that only the leader can answer are forwarded to it over the peer port.
import fs from 'node:fs';
import path from 'node:path';
import { randomInt } from 'node:crypto';
import type { MemberConfig } from '../cli/flags.js';
import type { EtcdBackend, HeaderInfo, LeaseTimeToLive, MemberInfo, SnapshotStream, StatusInfo, WatchOptions, WatchRegistration, WatchSink } from '../api/backend.js';
import { ClientServer } from '../api/clientServer.js';
import { MvccStore } from '../mvcc/mvccStore.js';
import { WatchHub } from '../mvcc/watchHub.js';
import { PeriodicCompactionPolicy, RevisionCompactionPolicy, type CompactionPolicy } from '../mvcc/compactionPolicy.js';
import { Lessor } from '../lease/lessor.js';
import type { AlarmMember, CompactionRequest, CompactionResponse, DeleteRangeRequest, DeleteRangeResponse, HashKvResult, PutRequest, PutResponse, RangeRequest, RangeResponse, RequestOp, TxnRequest, TxnResponse } from '../mvcc/types.js';
import { PeerTransport, QueryError } from '../transport/peerTransport.js';
import { ConfChangeRefusedError, ProposalDroppedError, TransferRefusedError } from '../raft/errors.js';
import type { ConfChange } from '../raft/confChange.js';
import type { Entry, NodeId, Snapshot } from '../raft/types.js';
import { index } from '../raft/types.js';
import { applyEntries, encodeConfChangeContext, type ConfChangeContext } from './applier.js';
import { dataPaths, decodeSnapshotState, encodeSnapshotState, type DataPaths, type RecoveredState } from './dataDir.js';
import { openDurableState, toServerError } from './memberBootstrap.js';
import { watchThroughHub } from './watchAdapter.js';
import { ServerError } from './errors.js';
import { encodeRequest, type InternalRequest } from './internalRequest.js';
import { memberIdFor, Membership, normaliseUrls, type Member as MemberRecord } from './membership.js';
import { decodeMessage, encodeMessage } from './messageCodec.js';
import { RaftDriver } from './raftDriver.js';
import { MemberMetrics } from './metrics.js';
import { RequestIdGenerator, Waiters } from './waiters.js';
import { inspectionRoutes } from './inspection.js';
import type { Message } from '../raft/message.js';
import type { SnapshotFiles } from '../snap/snapshotFiles.js';
import type { Wal } from '../wal/wal.js';
import type { Ready } from '../raft/raftNode.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
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
const leaseExpiryCheckMs = 500;
const leaseCheckpointMs = 60_000;
/** How often the leader asks the auto-compaction policy whether a compaction is due. */
const autoCompactionPollMs = 1_000;
/** Share of the leader's commit index a learner must have replicated before it may be promoted (etcd's). */
const learnerReadyFraction = 0.9;

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
  private readonly paths: DataPaths;
  private readonly log: Logger;
  private readonly waiters = new Waiters();
  private readonly ids: RequestIdGenerator;
  private store: MvccStore;
  private lessor: Lessor;
  private readonly hub: WatchHub;
  private readonly wal: Wal;
  private readonly snapshotFiles: SnapshotFiles;
  private readonly storage: RecoveredState['storage'];
  private membership: Membership;
  private readonly driver: RaftDriver;
  private readonly transport: PeerTransport;
  private clientServer: ClientServer | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private snapshotIndex: number;
  private snapshotting = false;
  private readonly snapshotsInFlight = new Set<string>();
  private stopped = false;
  private proposalQueue: { id: bigint; data: Uint8Array }[] = [];
  private readonly removedNotices = new Map<string, number>();
  private readonly removedPeerUrls = new Map<string, string>();
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
  ) {
    this.log = log;
    this.paths = dataPaths(config.dataDir);
    this.maxRequestBytes = config.maxRequestBytes;
    this.maxTxnOps = config.maxTxnOps;
    this.memberId = recovered.memberId;
    this.clusterId = recovered.clusterId;
    this.wal = recovered.wal;
    this.snapshotFiles = recovered.snapshotFiles;
    this.storage = recovered.storage;
    this.membership = recovered.membership;
    this.snapshotIndex = recovered.snapshotIndex;
    this.ids = new RequestIdGenerator(BigInt(`0x${this.memberId}`), Date.now());
    this.store = MvccStore.open({ dir: this.paths.db, quotaBackendBytes: config.quotaBackendBytes, memberId: BigInt(`0x${this.memberId}`) });
    this.lessor = this.newLessor();
    this.hub = new WatchHub(this.store);
    this.stoppedPromise = new Promise((resolve) => (this.resolveStopped = resolve));
    const tickMs = Math.max(1, Math.floor(config.heartbeatIntervalMs / 5));
    this.transport = new PeerTransport({
      clusterId: this.clusterId,
      memberId: this.memberId,
      onMessage: (from, payload) => this.receive(from, payload),
      onSnapshot: (from, header, body) => this.receiveSnapshot(from, header, body),
      onUnreachable: (peer) => this.driver.withNode((node) => node.reportUnreachable(peer as NodeId)),
      onQuery: (_from, request) => this.answerQuery(request),
      log: { warn: (message) => this.log('warn', message) },
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
        send: (messages) => this.send(messages),
        applySnapshot: (snapshot) => this.applySnapshotState(snapshot),
        applyEntries: (entries) => this.apply(entries),
        softStateChanged: (soft, term) => this.onSoftState(soft.leader, soft.role, term),
        afterReady: (applied) => this.maybeSnapshot(applied),
      },
    });
    void options;
  }

  /** Opens or creates the data directory, joins or forms the cluster and starts serving. */
  static async start(options: MemberOptions): Promise<Member> {
    const config = options.config;
    const log: Logger = options.log ?? ((level, message) => process.stderr.write(`${level}: ${message}\n`));
    const recovered = await openDurableState(config, options.unsafeNoFsync ?? false, log);
    const member = new Member(config, recovered, options, log);
    await member.listen();
    return member;
  }

  private async listen(): Promise<void> {
    const peerUrl = this.config.listenPeerUrls[0]!;
    this.peerPort = await this.transport.listen(peerUrl.hostname.replace(/^\[|\]$/g, ''), Number(peerUrl.port));
    for (const member of this.membership.list()) {
      if (member.id !== this.memberId) this.transport.setPeer(member.id, member.peerUrls);
    }
    const endpoints = inspectionRoutes(this);
    this.clientServer = new ClientServer(this, endpoints);
    const ports = await this.clientServer.listen(this.config.listenClientUrls.map((url) => ({ host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port) })));
    this.clientUrls = this.config.advertiseClientUrls.map((url, i) => (url.port === '0' ? `${url.protocol}//${url.hostname}:${ports[i] ?? ports[0]}` : url.origin));
    this.driver.start();
    this.timers.push(setInterval(() => this.expireLeases(), leaseExpiryCheckMs), setInterval(() => this.checkpointLeases(), leaseCheckpointMs));
    const policy = this.compactionPolicy();
    if (policy) this.timers.push(setInterval(() => this.autoCompact(policy), autoCompactionPollMs));
    for (const timer of this.timers) timer.unref();
    void this.publishAttributes();
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
    if (this.membership.isRemoved(from)) {
      this.tellRemoved(from);
      return;
    }
    let message: Message;
    try {
      message = decodeMessage(payload);
    } catch (error) {
      this.log('warn', `dropped an undecodable peer message: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    this.driver.step(message);
  }

  /**
   * A member removed from the cluster keeps talking until it learns of its removal (it may never
   * receive the entry that removed it): tell it, at most once per election timeout, so it stops.
   */
  private tellRemoved(peer: string): void {
    const now = Date.now();
    if ((this.removedNotices.get(peer) ?? 0) > now) return;
    this.removedNotices.set(peer, now + this.config.electionTimeoutMs * 4);
    const url = this.removedPeerUrls.get(peer);
    if (url === undefined) return;
    this.transport.query(url, peer, { call: 'removed', by: this.memberId }).catch(() => undefined);
  }

  private send(messages: readonly Message[]): void {
    for (const message of messages) {
      if (message.type === 'snapshot') {
        void this.sendSnapshot(message);
        continue;
      }
      this.transport.send(message.to, encodeMessage(message));
    }
    this.metrics.messagesSent += messages.length;
  }

  private async sendSnapshot(message: Message): Promise<void> {
    if (this.snapshotsInFlight.has(message.to)) return;
    this.snapshotsInFlight.add(message.to);
    const file = path.join(this.paths.tmp, `send-${message.to}-${Date.now()}.db`);
    try {
      await this.store.snapshotTo(file);
      this.log('info', `sending a snapshot at index ${message.snapshot?.meta.index ?? 0} to ${message.to} (${fs.statSync(file).size} bytes)`);
      const stream = fs.createReadStream(file);
      // If the peer drops the transfer early, the stream may still open or fail after `finally`
      // removed the file; its errors must never become uncaught.
      stream.on('error', () => undefined);
      try {
        await this.transport.sendSnapshot(message.to, encodeMessage(message), stream);
      } finally {
        stream.destroy();
      }
      this.driver.withNode((node) => node.reportSnapshot(message.to, true));
    } catch (error) {
      this.log('warn', `sending a snapshot to ${message.to} failed: ${error instanceof Error ? error.message : String(error)}`);
      this.driver.withNode((node) => node.reportSnapshot(message.to, false));
    } finally {
      this.snapshotsInFlight.delete(message.to);
      fs.rmSync(file, { force: true });
    }
  }

  private async receiveSnapshot(from: string, header: Buffer, body: AsyncIterable<Buffer>): Promise<void> {
    const message = decodeMessage(header);
    fs.mkdirSync(this.paths.tmp, { recursive: true });
    const file = path.join(this.paths.tmp, `receive-${from}-${Date.now()}.db`);
    const out = fs.createWriteStream(file);
    for await (const chunk of body) {
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', resolve));
    }
    await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
    await this.driver.idle();
    this.log('info', `installing a snapshot at index ${message.snapshot?.meta.index ?? 0} from ${from}`);
    // Synchronous from closing the old store to rebinding the watch hub: nothing can read between.
    this.lessor.close();
    this.store.close();
    MvccStore.installSnapshot(file, this.paths.db);
    fs.rmSync(file, { force: true });
    this.store = MvccStore.open({ dir: this.paths.db, quotaBackendBytes: this.config.quotaBackendBytes, memberId: BigInt(`0x${this.memberId}`) });
    this.lessor = this.newLessor();
    this.hub.rebind(this.store);
    this.driver.step(message);
  }

  private async persistSnapshot(snapshot: Snapshot): Promise<void> {
    const state = decodeSnapshotState(snapshot.data);
    await this.snapshotFiles.save(snapshot.meta, state as never);
    await this.wal.saveSnapshotMarker({ index: snapshot.meta.index, term: snapshot.meta.term });
    this.storage.applySnapshot(snapshot);
    this.snapshotIndex = snapshot.meta.index;
  }

  private async persist(ready: Ready): Promise<void> {
    if (ready.hardState !== null || ready.entries.length > 0) {
      const started = performance.now();
      await this.wal.save(ready.hardState, ready.entries);
      this.metrics.walFsync.observe((performance.now() - started) / 1000);
    }
    if (ready.entries.length > 0) this.storage.append(ready.entries);
    if (ready.hardState !== null) this.storage.setHardState(ready.hardState);
  }

  private applySnapshotState(snapshot: Snapshot): void {
    this.membership = Membership.fromImage(decodeSnapshotState(snapshot.data).membership);
    this.syncTransportPeers();
  }

  private syncTransportPeers(): void {
    const wanted = new Set<string>();
    for (const member of this.membership.list()) {
      if (member.id === this.memberId) continue;
      wanted.add(member.id);
      this.transport.setPeer(member.id, member.peerUrls);
    }
    for (const peer of this.transport.peers()) if (!wanted.has(peer)) this.transport.removePeer(peer);
  }

  private apply(entries: readonly Entry[]): void {
    const started = performance.now();
    const outcomes = applyEntries(this.store, this.lessor, entries, {
      confChange: (change, context) => this.applyConfChange(change, context),
      membershipRequest: (request) => {
        if (request.kind === 'memberAttributes') this.membership.publish(request.memberId as NodeId, request.name, request.clientUrls);
        else if (request.kind === 'memberUpdate') {
          this.membership.updatePeerUrls(request.memberId as NodeId, request.peerUrls);
          this.syncTransportPeers();
        }
      },
      alarm: (request) =>
        request.action === 'activate'
          ? this.store.activateAlarm({ memberId: request.memberId, alarm: request.alarm })
          : this.store.deactivateAlarm({ memberId: request.memberId, alarm: request.alarm }),
    });
    this.metrics.applyDuration.observe((performance.now() - started) / 1000);
    this.metrics.proposalsApplied += entries.length;
    for (const [id, outcome] of outcomes) {
      if (outcome.ok) this.waiters.trigger(id, outcome.value);
      else this.waiters.fail(id, outcome.error);
    }
  }

  private applyConfChange(change: ConfChange, context: ConfChangeContext): void {
    this.driver.node.applyConfChange(change);
    const id = change.nodeId;
    switch (change.type) {
      case 'addVoter':
      case 'addLearner':
        if (context.member) this.membership.add({ ...context.member, isLearner: change.type === 'addLearner' });
        break;
      case 'promoteLearner':
        this.membership.promote(id);
        break;
      case 'removeVoter': {
        const url = this.membership.get(id)?.peerUrls[0];
        if (url !== undefined) this.removedPeerUrls.set(id, url);
        this.membership.remove(id);
        break;
      }
    }
    this.syncTransportPeers();
    if (change.type === 'removeVoter' && id === this.memberId) {
      this.log('warn', 'this member has been removed from the cluster; shutting down');
      setImmediate(() => void this.stop('removed from the cluster'));
    }
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
      await this.store.sync();
      const conf = this.driver.status().conf;
      const data = encodeSnapshotState({ membership: this.membership.image() });
      const snapshot = this.storage.createSnapshot(index(applied), conf, data);
      await this.snapshotFiles.save(snapshot.meta, { membership: this.membership.image() } as never);
      await this.wal.saveSnapshotMarker({ index: snapshot.meta.index, term: snapshot.meta.term });
      await this.wal.releaseTo(snapshot.meta.index);
      await this.snapshotFiles.purge();
      const compactTo = applied - this.config.snapshotCatchupEntries;
      if (compactTo > this.storage.firstIndex()) this.storage.compact(index(compactTo));
      this.snapshotIndex = applied;
      this.metrics.snapshots++;
      this.log('info', `saved a snapshot at index ${applied}`);
    } finally {
      this.snapshotting = false;
    }
  }

  // ---- Proposals and reads -------------------------------------------------------------------

  private async propose<T>(request: InternalRequest): Promise<T> {
    if (this.stopped) throw new ServerError('STOPPED');
    const id = this.ids.take();
    const data = encodeRequest({ id, request });
    if (data.length > this.maxRequestBytes) throw new ServerError('REQUEST_TOO_LARGE');
    await this.ensureLeader();
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

  async range(request: RangeRequest): Promise<RangeResponse> {
    if (!request.serializable) await this.linearizable();
    this.metrics.ranges++;
    return this.store.range(request);
  }

  put(request: PutRequest): Promise<PutResponse> {
    return this.propose({ kind: 'put', put: request });
  }

  deleteRange(request: DeleteRangeRequest): Promise<DeleteRangeResponse> {
    return this.propose({ kind: 'deleteRange', deleteRange: request });
  }

  async txn(request: TxnRequest): Promise<TxnResponse> {
    if (readOnly(request.success) && readOnly(request.failure)) {
      await this.linearizable();
      return this.store.txn(request);
    }
    return this.propose({ kind: 'txn', txn: request });
  }

  compact(request: CompactionRequest): Promise<CompactionResponse> {
    return this.propose({ kind: 'compaction', compaction: request });
  }

  // ---- Leases -----------------------------------------------------------------------------

  async leaseGrant(id: bigint, ttlSeconds: number): Promise<{ id: bigint; ttlSeconds: number }> {
    const leaseId = id !== 0n ? id : this.ids.take() & 0x7fff_ffff_ffff_ffffn;
    return this.propose({ kind: 'leaseGrant', id: leaseId, ttlSeconds });
  }

  async leaseRevoke(id: bigint): Promise<void> {
    await this.propose({ kind: 'leaseRevoke', id });
  }

  async leaseRenew(id: bigint): Promise<number> {
    if (this.driver.isLeader()) return this.lessor.renew(id);
    return Number(await this.forwardToLeader({ call: 'leaseRenew', id: id.toString() }));
  }

  async leaseTimeToLive(id: bigint, withKeys: boolean): Promise<LeaseTimeToLive> {
    if (this.driver.isLeader()) {
      const ttl = this.lessor.timeToLive(id, withKeys);
      return { ttlSeconds: ttl.ttlSeconds, grantedTtlSeconds: ttl.grantedTtlSeconds, keys: ttl.keys };
    }
    const answer = (await this.forwardToLeader({ call: 'leaseTimeToLive', id: id.toString(), withKeys })) as { ttl: number; granted: number; keys: string[] };
    return { ttlSeconds: answer.ttl, grantedTtlSeconds: answer.granted, keys: answer.keys.map((k) => Buffer.from(k, 'base64')) };
  }

  leaseList(): Promise<bigint[]> {
    return Promise.resolve(this.lessor.list());
  }

  private expireLeases(): void {
    if (this.stopped || !this.driver.isLeader()) return;
    for (const id of this.lessor.expired()) {
      this.propose({ kind: 'leaseRevoke', id }).catch(() => undefined);
    }
  }

  /** etcd's --auto-compaction-mode/--auto-compaction-retention; null when retention is 0 (off). */
  private compactionPolicy(): CompactionPolicy | null {
    const retention = this.config.autoCompactionRetention;
    if (retention <= 0) return null;
    return this.config.autoCompactionMode === 'periodic'
      ? new PeriodicCompactionPolicy(retention, () => Date.now())
      : new RevisionCompactionPolicy(retention, () => Date.now());
  }

  /** On the leader, proposes the compaction the policy asks for (through Raft, like a client's). */
  private autoCompact(policy: CompactionPolicy): void {
    if (this.stopped || !this.driver.isLeader()) return;
    const revision = policy.poll(this.store.revision, this.store.compactRevision);
    if (revision === null || revision <= this.store.compactRevision) return;
    this.log('info', `auto-compacting to revision ${revision}`);
    this.propose({ kind: 'compaction', compaction: { revision } }).catch((error: unknown) => {
      this.log('warn', `auto-compaction to ${revision} failed: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  private checkpointLeases(): void {
    if (this.stopped || !this.driver.isLeader()) return;
    const checkpoints = this.lessor.checkpoints();
    if (checkpoints.length > 0) this.propose({ kind: 'leaseCheckpoint', checkpoints }).catch(() => undefined);
  }

  // ---- Watches ----------------------------------------------------------------------------

  watch(options: WatchOptions, sink: WatchSink): WatchRegistration {
    return watchThroughHub(this.hub, () => this.store.revision, options, sink);
  }

  // ---- Membership ---------------------------------------------------------------------------

  private members(): MemberInfo[] {
    return this.membership.list().map((m) => ({ id: m.id, name: m.name, peerUrls: m.peerUrls, clientUrls: m.clientUrls, isLearner: m.isLearner }));
  }

  async memberList(linearizable: boolean): Promise<MemberInfo[]> {
    if (linearizable) await this.linearizable();
    return this.members();
  }

  private async proposeConfChange(change: Omit<ConfChange, 'context'>, member: MemberRecord | null): Promise<void> {
    if (!this.driver.isLeader()) {
      // The leader answers once the change is applied there; wait until it is applied here too, so
      // the member list this member answers with already shows it.
      const answer = (await this.forwardToLeader({ call: 'confChange', change: { type: change.type, nodeId: change.nodeId }, member })) as { applied?: number } | null;
      if (typeof answer?.applied === 'number') await this.driver.waitApplied(answer.applied);
      return;
    }
    if (change.type === 'promoteLearner') this.checkLearnerReady(change.nodeId);
    const requestId = this.ids.take();
    const context = encodeConfChangeContext({ requestId: requestId.toString(), member });
    const applied = this.waiters.wait<void>(requestId, requestTimeoutMs);
    try {
      this.driver.withNode((node) => node.proposeConfChange({ ...change, context }));
    } catch (error) {
      this.waiters.fail(requestId, this.confChangeError(error));
    }
    await applied;
  }

  /**
   * etcd's rule for promotion: the learner must have replicated at least 90% of the leader's log,
   * so promoting it never adds a voter that cannot yet take part in quorums.
   */
  private checkLearnerReady(id: NodeId): void {
    const status = this.driver.status();
    const progress = status.progress?.[id];
    if (!progress || progress.match < learnerReadyFraction * status.commit) throw new ServerError('LEARNER_NOT_READY');
  }

  private confChangeError(error: unknown): Error {
    if (error instanceof ConfChangeRefusedError) {
      if (error.reason === 'learnerBehind') return new ServerError('LEARNER_NOT_READY');
      if (error.reason === 'notLearner') return new ServerError('MEMBER_NOT_LEARNER');
      if (error.reason === 'notMember') return new ServerError('MEMBER_NOT_FOUND');
      if (error.reason === 'changePending') return new ServerError('NOT_CAPABLE', 'etcdserver: a membership change is already in progress');
      return new ServerError('INVALID_ARGUMENT', `etcdserver: ${error.message}`);
    }
    if (error instanceof ProposalDroppedError) return new ServerError('NO_LEADER');
    return error instanceof Error ? error : new Error(String(error));
  }

  async memberAdd(peerUrls: readonly string[], isLearner: boolean): Promise<{ member: MemberInfo; members: MemberInfo[] }> {
    const urls = normaliseUrls(peerUrls);
    if (urls.length === 0) throw new ServerError('MEMBER_BAD_URLS');
    const id = memberIdFor(urls, this.config.initialClusterToken, Date.now());
    this.membership.validateAdd(id, urls, isLearner);
    const member: MemberRecord = { id, name: '', peerUrls: urls, clientUrls: [], isLearner };
    await this.proposeConfChange({ type: isLearner ? 'addLearner' : 'addVoter', nodeId: id }, member);
    return { member, members: this.members() };
  }

  async memberRemove(id: string): Promise<MemberInfo[]> {
    if (!this.membership.get(id as NodeId)) throw new ServerError('MEMBER_NOT_FOUND');
    await this.proposeConfChange({ type: 'removeVoter', nodeId: id as NodeId }, null);
    return this.members();
  }

  async memberUpdate(id: string, peerUrls: readonly string[]): Promise<MemberInfo[]> {
    const urls = normaliseUrls(peerUrls);
    this.membership.validateUpdate(id as NodeId, urls);
    await this.propose({ kind: 'memberUpdate', memberId: id, peerUrls: urls });
    return this.members();
  }

  async memberPromote(id: string): Promise<MemberInfo[]> {
    this.membership.validatePromote(id as NodeId);
    await this.proposeConfChange({ type: 'promoteLearner', nodeId: id as NodeId }, null);
    return this.members();
  }

  private async publishAttributes(): Promise<void> {
    for (let attempt = 0; attempt < 20 && !this.stopped; attempt++) {
      const self = this.membership.get(this.memberId);
      if (self && self.name === this.config.name && self.clientUrls.join(',') === this.clientUrls.join(',')) return;
      try {
        await this.propose({ kind: 'memberAttributes', memberId: this.memberId, name: this.config.name, clientUrls: this.clientUrls });
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, this.config.electionTimeoutMs).unref());
      }
    }
  }

  // ---- Forwarding to the leader over the peer port ----------------------------------------------

  private async forwardToLeader(request: Record<string, unknown>): Promise<unknown> {
    await this.ensureLeader();
    const leader = this.driver.leader();
    const member = leader === null ? undefined : this.membership.get(leader);
    if (!member || member.peerUrls.length === 0) throw new ServerError('NO_LEADER');
    try {
      return await this.transport.query(member.peerUrls[0]!, member.id, request, requestTimeoutMs);
    } catch (error) {
      if (error instanceof QueryError) throw toServerError(error.message);
      throw error;
    }
  }

  private async answerQuery(request: unknown): Promise<unknown> {
    const q = request as { call?: string; id?: string; withKeys?: boolean; change?: { type: ConfChange['type']; nodeId: NodeId }; member?: MemberRecord | null };
    try {
      switch (q.call) {
        case 'members':
          return { clusterId: this.clusterId, members: this.members() };
        case 'removed':
          // A current member says this one was removed: believe it only from a known member.
          if (typeof (q as { by?: unknown }).by === 'string' && this.membership.get((q as { by: string }).by as NodeId)) {
            this.log('warn', 'this member has been removed from the cluster; shutting down');
            setImmediate(() => void this.stop('removed from the cluster'));
          }
          return null;
        case 'leaseRenew':
          if (!this.driver.isLeader()) throw new ServerError('NOT_LEADER');
          return this.lessor.renew(BigInt(q.id ?? '0'));
        case 'leaseTimeToLive': {
          if (!this.driver.isLeader()) throw new ServerError('NOT_LEADER');
          const ttl = this.lessor.timeToLive(BigInt(q.id ?? '0'), q.withKeys ?? false);
          return { ttl: ttl.ttlSeconds, granted: ttl.grantedTtlSeconds, keys: ttl.keys.map((k) => Buffer.from(k).toString('base64')) };
        }
        case 'confChange':
          if (!this.driver.isLeader()) throw new ServerError('NOT_LEADER');
          await this.proposeConfChange(q.change!, q.member ?? null);
          return { applied: this.driver.applied };
        default:
          throw new Error(`unknown query ${String(q.call)}`);
      }
    } catch (error) {
      // The asker rebuilds the typed error from etcd's message.
      throw new Error(error instanceof Error ? error.message : String(error));
    }
  }

  // ---- Maintenance ------------------------------------------------------------------------------

  status(): Promise<StatusInfo> {
    const raft = this.driver.status();
    const sizes = this.store.sizes();
    return Promise.resolve({
      version: etcdApiVersion,
      dbSize: sizes.dbSizeBytes,
      dbSizeInUse: sizes.dbSizeInUseBytes,
      leader: raft.leader ?? '0',
      raftIndex: raft.lastIndex,
      raftTerm: raft.term,
      raftAppliedIndex: this.driver.applied,
      errors: this.store.alarms().map((a) => `memberID:${a.memberId} alarm:${a.alarm}`),
      isLearner: raft.conf.learners.includes(this.memberId),
    });
  }

  alarmList(): AlarmMember[] {
    return this.store.alarms();
  }

  async alarmActivate(memberId: bigint, alarm: AlarmMember['alarm']): Promise<AlarmMember[]> {
    await this.propose({ kind: 'alarm', action: 'activate', memberId, alarm });
    return this.store.alarms();
  }

  async alarmDeactivate(memberId: bigint, alarm: AlarmMember['alarm']): Promise<AlarmMember[]> {
    await this.propose({ kind: 'alarm', action: 'deactivate', memberId, alarm });
    return this.store.alarms();
  }

  async defragment(): Promise<void> {
    await this.store.defragment();
  }

  hash(): Promise<number> {
    return Promise.resolve(this.store.hash());
  }

  hashKv(revision: number): Promise<HashKvResult> {
    return Promise.resolve(this.store.hashKv(revision));
  }

  async snapshot(): Promise<SnapshotStream> {
    fs.mkdirSync(this.paths.tmp, { recursive: true });
    const file = path.join(this.paths.tmp, `client-snapshot-${Date.now()}-${randomInt(0, 1e9)}.db`);
    await this.store.snapshotTo(file);
    const sizeBytes = fs.statSync(file).size;
    async function* chunks(): AsyncIterable<Uint8Array> {
      try {
        for await (const chunk of fs.createReadStream(file, { highWaterMark: 256 * 1024 })) yield chunk as Buffer;
      } finally {
        fs.rmSync(file, { force: true });
      }
    }
    return { sizeBytes, chunks: chunks() };
  }

  async moveLeader(targetId: string): Promise<void> {
    if (!this.driver.isLeader()) throw new ServerError('NOT_LEADER');
    const target = targetId as NodeId;
    if (!this.membership.get(target) || this.membership.get(target)?.isLearner) throw new ServerError('BAD_LEADER_TRANSFEREE');
    try {
      this.driver.withNode((node) => node.transferLeader(target));
    } catch (error) {
      if (error instanceof TransferRefusedError) throw new ServerError('BAD_LEADER_TRANSFEREE');
      throw error;
    }
    const deadline = Date.now() + this.config.electionTimeoutMs * 6;
    while (this.driver.leader() !== target) {
      if (Date.now() > deadline) throw new ServerError('TIMEOUT_LEADER_FAIL');
      await this.driver.waitForLeader(this.config.heartbeatIntervalMs);
      await new Promise((resolve) => setTimeout(resolve, this.config.heartbeatIntervalMs).unref());
    }
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
    for (const timer of this.timers) clearInterval(timer);
    this.driver.stop();
    this.waiters.failAll(new ServerError('STOPPED'));
    await this.clientServer?.close();
    await this.transport.close();
    await this.driver.idle();
    this.hub.close();
    this.lessor.close();
    await this.wal.close();
    this.store.close();
    this.resolveStopped(reason);
  }
}
