// The MVCC key-value store: etcd's data model on LMDB. Owns the revision counters, the applied
// Raft position, batched application of committed requests (one LMDB transaction per batch),
// current and historical reads, hashes, quota accounting, snapshots and defragmentation. Watch
// delivery (watchHub.ts) and lease expiry (core/lease) sit on top; the Raft log is the server's.
//
// Tables (see backend.ts): `live` storage key -> current KeyValue; `history` (escaped storage key,
// revision) -> put/delete marker; `revisions` (main, sub) -> the KeyValue or tombstone written
// then; `meta` counters and the applied position; `alarms`; `leases` (owned by core/lease);
// `auth`, `authUsers`, `authRoles` (owned by core/auth).
// Storage keys are user keys, except that long keys are cut and hashed (see encoding.ts).
import { crc32 } from 'node:zlib';
import fs from 'node:fs';
import path from 'node:path';
import { assert, fail } from '../raft/assert.js';
import { AlarmRegistry } from './alarms.js';
import { Backend, databaseFileName, syncFile } from './backend.js';
import type { GroupCommitOptions, Table, TableName } from './backend.js';
import { CompactedError, FutureRevisionError, StoreError } from './errors.js';
import { decodeLiveKv, decodeNumberRecord, encodeNumberRecord, encodeRevision } from './encoding.js';
import { serveRange, serveRangeInto } from './serveRange.js';
import { StoreReader } from './storeReader.js';
import { compactionStep, loadCompaction } from './compaction.js';
import type { PendingCompaction } from './compaction.js';
import { WriteBatch } from './writeBatch.js';
import type { LeaseAttachments, StoreCore } from './writeBatch.js';
import type {
  AlarmMember,
  CompactionRequest,
  CompactionResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  HashKvResult,
  KeyValue,
  PutRequest,
  PutResponse,
  RangeKvSink,
  RangeRequest,
  RangeResponse,
  RangeSummary,
  Revision,
  RevisionEvents,
  TxnRequest,
  TxnResponse,
} from './types.js';

/** The revision of a store nobody has written to yet (etcd starts at 1, too). */
export const initialRevision = 1;

/** etcd's default --quota-backend-bytes (2 GiB). */
export const quotaBackendBytesDefault = 2 * 1024 * 1024 * 1024;

/** How to open a store. */
export interface MvccStoreOptions {
  /** Directory holding the database file; created if missing. */
  readonly dir: string;
  /**
   * Quota on the store's logical size (see `StoreSizes.usedBytes`); writes beyond it fail with
   * NoSpaceError and raise a NOSPACE alarm. Defaults to `quotaBackendBytesDefault`.
   */
  readonly quotaBackendBytes?: number;
  /** This member's id, recorded on the NOSPACE alarm the quota raises. */
  readonly memberId?: bigint;
  /** UNSAFE, fault tests only (--unsafe-no-fsync): never flush the database file. */
  readonly unsafeNoFsync?: boolean;
  /**
   * Group commit (see Backend): batches become durable when the group commits, not each at its
   * own commit. Only for an owner that can redo what a crash loses (the member, from its WAL).
   */
  readonly groupCommit?: GroupCommitOptions;
}

/** The last Raft entry whose effects are in the store. */
export interface AppliedPosition {
  readonly index: number;
  readonly term: number;
}

/** etcd's Status sizes plus the quota figures. */
export interface StoreSizes {
  /** etcd's dbSize: bytes of the database file in use by pages, free or not. */
  readonly dbSizeBytes: number;
  /** etcd's dbSizeInUse: bytes of pages holding data. */
  readonly dbSizeInUseBytes: number;
  /**
   * Deterministic logical size the quota is checked against: key and value bytes plus
   * `recordOverheadBytes` per stored revision record. Identical on every member with the same
   * history, so quota decisions made at apply never diverge between members.
   */
  readonly usedBytes: number;
  readonly quotaBackendBytes: number;
}

/** Called after a batch commits with every revision it wrote, in order. */
export type CommitListener = (revisions: readonly RevisionEvents[]) => void;

const metaKeys = {
  revision: Buffer.from('revision'),
  compactRevision: Buffer.from('compactRevision'),
  usedBytes: Buffer.from('usedBytes'),
  appliedIndex: Buffer.from('appliedIndex'),
  appliedTerm: Buffer.from('appliedTerm'),
};

const noLeases: LeaseAttachments = {
  exists: () => false,
  attach: () => assert(false, 'no lessor: a lease cannot be attached'),
  detach: () => assert(false, 'no lessor: a lease cannot be detached'),
};

/** An MVCC store in one directory. One instance per directory per process. */
export class MvccStore {
  readonly backend: Backend;
  readonly reader: StoreReader;
  private readonly core: StoreCore;
  private readonly listeners = new Set<CommitListener>();
  private readonly abortListeners = new Set<() => void>();
  private inBatch = false;
  private closed = false;
  /** The running background compaction; null when none runs. */
  private compacting: Promise<void> | null = null;

  private constructor(options: MvccStoreOptions) {
    this.backend = Backend.open(options.dir, options.unsafeNoFsync ?? false);
    if (options.groupCommit !== undefined) this.backend.groupCommits(options.groupCommit);
    this.reader = new StoreReader(this.backend);
    const meta = this.backend.table('meta');
    const readNumber = (key: Buffer): number => {
      const bytes = meta.get(key);
      return bytes === undefined ? 0 : decodeNumberRecord(bytes);
    };
    const backend = this.backend;
    const compaction = loadCompaction(backend);
    this.core = {
      backend,
      reader: this.reader,
      alarms: new AlarmRegistry(backend),
      memberId: options.memberId ?? 0n,
      quotaBackendBytes: options.quotaBackendBytes ?? quotaBackendBytesDefault,
      leases: noLeases,
      // A new store is at revision 1, as etcd's is: the first write makes revision 2.
      revision: Math.max(initialRevision, readNumber(metaKeys.revision)),
      compactRevision: readNumber(metaKeys.compactRevision),
      usedBytes: readNumber(metaKeys.usedBytes),
      pendingCompaction: compaction.pending,
      compactFreedBytes: compaction.freedBytes,
      saveCounters(): void {
        const table = backend.table('meta');
        table.putSync(metaKeys.revision, encodeNumberRecord(this.revision));
        table.putSync(metaKeys.compactRevision, encodeNumberRecord(this.compactRevision));
        table.putSync(metaKeys.usedBytes, encodeNumberRecord(this.usedBytes));
      },
    };
  }

  /**
   * Opens (or creates) the store in `options.dir`. A compaction a previous process left pending
   * resumes in the background.
   */
  static open(options: MvccStoreOptions): MvccStore {
    const store = new MvccStore(options);
    store.scheduleCompaction();
    return store;
  }

  /**
   * Installs a database file written by `snapshotTo` as the store of `dir`, replacing any store
   * there. The store in `dir` must be closed. Open it afterwards with `MvccStore.open`.
   * `moveFlushed`: the file is already flushed to disk and may be moved rather than copied (a
   * received snapshot on the same filesystem), which keeps the swap short: no copy, no flush of
   * the whole file in the turn that swaps.
   */
  static installSnapshot(snapshotPath: string, dir: string, options: { readonly moveFlushed?: boolean } = {}): void {
    fs.mkdirSync(dir, { recursive: true });
    const target = path.join(dir, databaseFileName);
    fs.rmSync(`${target}-lock`, { force: true });
    if (options.moveFlushed === true && moveFile(snapshotPath, target)) {
      syncFile(dir);
      return;
    }
    fs.copyFileSync(snapshotPath, `${target}.installing`);
    syncFile(`${target}.installing`);
    fs.renameSync(`${target}.installing`, target);
    syncFile(dir);
  }

  /** The current revision: the last one any write produced (`initialRevision` for a new store). */
  get revision(): Revision {
    return this.core.revision;
  }

  /** The revision of the last compaction (0 if never compacted). */
  get compactRevision(): Revision {
    return this.core.compactRevision;
  }

  /** Connects the lessor: puts with a lease check and update it. */
  setLeaseAttachments(leases: LeaseAttachments): void {
    this.core.leases = leases;
  }

  /** Subscribes to committed revisions; returns the unsubscribe function. */
  onCommit(listener: CommitListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Subscribes to aborted batches (nothing of them was written): owners of in-memory state
   * derived from the tables (the lessor) reload it. Returns the unsubscribe function.
   */
  onAbort(listener: () => void): () => void {
    this.abortListeners.add(listener);
    return () => this.abortListeners.delete(listener);
  }

  /** etcd's Range at the current revision or a past one. Throws CompactedError, FutureRevisionError. */
  range(request: RangeRequest): RangeResponse {
    const view = this.core.revision;
    return serveRange(this.reader, request, { view, compacted: this.core.compactRevision, reported: view });
  }

  /**
   * etcd's Range with the kvs handed to `sink` as they are read (see serveRangeInto); null when
   * the request must go through `range` instead, which then answers it (errors included).
   */
  rangeInto(request: RangeRequest, sink: RangeKvSink): RangeSummary | null {
    const view = this.core.revision;
    return serveRangeInto(this.reader, request, { view, compacted: this.core.compactRevision, reported: view }, sink);
  }

  /**
   * Applies a batch of committed requests in ONE write transaction and records `applied` (the
   * last Raft entry of the batch) in it. `action` calls the batch once per request and may catch
   * each request's StoreError: a failed request writes nothing (a NOSPACE alarm excepted) and the
   * batch goes on. If `action` throws, nothing of the batch is written and no event is delivered.
   * Commit listeners run after the commit, in revision order.
   */
  applyBatch<T>(applied: AppliedPosition | null, action: (batch: WriteBatch) => T): T {
    assert(!this.inBatch, 'batches do not nest');
    const saved = {
      revision: this.core.revision,
      compact: this.core.compactRevision,
      used: this.core.usedBytes,
      pending: copyPending(this.core.pendingCompaction),
      freed: this.core.compactFreedBytes,
    };
    const batch = new WriteBatch(this.core);
    this.inBatch = true;
    let result: T;
    try {
      result = this.backend.transact(() => {
        const value = action(batch);
        // Revisions written in the batch move the counters; they are saved once for all of them.
        if (batch.committed.length > 0) this.core.saveCounters();
        if (applied !== null) this.saveApplied(applied);
        return value;
      });
    } catch (error) {
      this.core.revision = saved.revision;
      this.core.compactRevision = saved.compact;
      this.core.usedBytes = saved.used;
      this.core.pendingCompaction = saved.pending;
      this.core.compactFreedBytes = saved.freed;
      this.core.alarms.reload();
      for (const listener of this.abortListeners) listener();
      throw error;
    } finally {
      batch.end();
      this.inBatch = false;
    }
    this.scheduleCompaction();
    if (batch.committed.length > 0) for (const listener of this.listeners) listener(batch.committed);
    return result;
  }

  /** Starts the background compaction when one is pending and none runs. */
  private scheduleCompaction(): void {
    if (this.core.pendingCompaction === null || this.compacting !== null) return;
    this.compacting = this.runCompaction().finally(() => {
      this.compacting = null;
    });
  }

  /**
   * Runs the pending compaction one step (one transaction) per event-loop turn until it is done or
   * the store closes. Batches run synchronously, so none interleaves with a step.
   */
  private async runCompaction(): Promise<void> {
    while (this.core.pendingCompaction !== null) {
      await nextTurn();
      if (this.closed || this.core.pendingCompaction === null) return;
      this.backend.transact(() => compactionStep(this.core));
    }
  }

  /** True while a compaction is applied but not yet physically done. */
  get compactionPending(): boolean {
    return this.core.pendingCompaction !== null;
  }

  /**
   * Resolves once no compaction is pending (etcd's physical Compact waits for this), or the store
   * closed.
   */
  async compactionDone(): Promise<void> {
    while (this.compacting !== null) await this.compacting;
  }

  /** Finishes the pending compaction now, in one synchronous run of steps (each its own transaction). */
  finishCompaction(): void {
    assert(!this.inBatch, 'a compaction is finished outside batches');
    while (this.core.pendingCompaction !== null) this.backend.transact(() => compactionStep(this.core));
  }

  private saveApplied(applied: AppliedPosition): void {
    const previous = this.appliedPosition();
    if (applied.index < previous.index) fail(`applied index ${applied.index} goes back from ${previous.index}`);
    const meta = this.backend.table('meta');
    meta.putSync(metaKeys.appliedIndex, encodeNumberRecord(applied.index));
    meta.putSync(metaKeys.appliedTerm, encodeNumberRecord(applied.term));
  }

  /** The applied Raft position stored with the data ({0, 0} for a new store). */
  appliedPosition(): AppliedPosition {
    const meta = this.backend.table('meta');
    const index = meta.get(metaKeys.appliedIndex);
    const term = meta.get(metaKeys.appliedTerm);
    return {
      index: index === undefined ? 0 : decodeNumberRecord(index),
      term: term === undefined ? 0 : decodeNumberRecord(term),
    };
  }

  /** The applied Raft index stored with the data (0 for a new store). */
  appliedIndex(): number {
    return this.appliedPosition().index;
  }

  /**
   * Runs one request in its own batch (no applied position). A StoreError is rethrown after the
   * commit, so what the failure itself records (a NOSPACE alarm) persists.
   */
  private single<T>(action: (batch: WriteBatch) => T): T {
    let failure: StoreError | undefined;
    const result = this.applyBatch(null, (batch): T | undefined => {
      try {
        return action(batch);
      } catch (error) {
        if (!(error instanceof StoreError)) throw error;
        failure = error;
        return undefined;
      }
    });
    if (failure !== undefined) throw failure;
    assert(result !== undefined, 'a request without failure has a result');
    return result;
  }

  /** One Put in its own batch (no applied position). */
  put(request: PutRequest): PutResponse {
    return this.single((batch) => batch.put(request));
  }

  /** One DeleteRange in its own batch. */
  deleteRange(request: DeleteRangeRequest): DeleteRangeResponse {
    return this.single((batch) => batch.deleteRange(request));
  }

  /** One Txn in its own batch. */
  txn(request: TxnRequest): TxnResponse {
    return this.single((batch) => batch.txn(request));
  }

  /**
   * One Compact in its own batch, done physically (and its freed bytes given back to the quota)
   * before it returns. A member applies Compact with `WriteBatch.compact` instead, which leaves
   * the removal to bounded background steps.
   */
  compact(request: CompactionRequest): CompactionResponse {
    return this.single((batch) => {
      const response = batch.compact(request);
      batch.settleCompaction();
      return response;
    });
  }

  /**
   * Raises an alarm (etcd's Alarm ACTIVATE) in its own batch; returns false if it was active.
   * The server applies alarm requests from the log with `WriteBatch.activateAlarm`.
   */
  activateAlarm(alarm: AlarmMember): boolean {
    return this.applyBatch(null, (batch) => batch.activateAlarm(alarm));
  }

  /** Disarms an alarm (etcd's Alarm DEACTIVATE); returns false if it was not active. */
  deactivateAlarm(alarm: AlarmMember): boolean {
    return this.applyBatch(null, (batch) => batch.deactivateAlarm(alarm));
  }

  /** Active alarms. */
  alarms(): AlarmMember[] {
    return this.core.alarms.list();
  }

  /** Every current key-value, in key order (used to rebuild lease attachments at open). */
  *liveKeyValues(): Generator<KeyValue> {
    for (const { value } of this.backend.table('live').getRange({})) yield decodeLiveKv(value);
  }

  /**
   * etcd's HashKV: a CRC32 over every stored revision record at or below `revision` (0 = current).
   * Stores fed the same requests (and compactions) hash equal. Throws CompactedError and
   * FutureRevisionError as a read at that revision would.
   */
  hashKv(revision: Revision = 0): HashKvResult {
    // What a pending compaction has removed so far differs between members; finished, it does not.
    this.finishCompaction();
    const current = this.core.revision;
    const hashRevision = revision === 0 ? current : revision;
    if (hashRevision > current) throw new FutureRevisionError();
    if (hashRevision < this.core.compactRevision) throw new CompactedError(this.core.compactRevision);
    let hash = 0;
    const revisions = this.backend.table('revisions');
    for (const { key, value } of revisions.getRange({ end: encodeRevision(hashRevision + 1, 0) })) {
      hash = crc32(value, crc32(key, hash));
    }
    return { hash, compactRevision: this.core.compactRevision, hashRevision, revision: current };
  }

  /**
   * etcd's Hash: a CRC32 over every table except the applied Raft position, the auth tables
   * included (etcd hashes its whole backend, auth buckets too; HashKV covers only the keys).
   */
  hash(): number {
    this.finishCompaction();
    let hash = 0;
    const tables: TableName[] = ['live', 'history', 'revisions', 'alarms', 'leases', 'meta', 'auth', 'authUsers', 'authRoles'];
    for (const name of tables) {
      hash = crc32(Buffer.from(name), hash);
      hash = hashTable(this.backend.table(name), name === 'meta', hash);
    }
    return hash;
  }

  sizes(): StoreSizes {
    return { ...this.backend.sizes(), usedBytes: this.core.usedBytes, quotaBackendBytes: this.core.quotaBackendBytes };
  }

  /** Writes a consistent copy of the database to the file `filePath` (a snapshot). */
  async snapshotTo(filePath: string): Promise<void> {
    fs.mkdirSync(path.dirname(filePath), { recursive: true });
    fs.rmSync(filePath, { force: true });
    await this.backend.copyTo(filePath);
  }

  /**
   * Rewrites the database without free pages and swaps it in; data and counters are unchanged.
   * Returns false when writes kept landing during the copy and the swap was given up.
   */
  async defragment(): Promise<boolean> {
    const swapped = await this.backend.defragment();
    if (swapped) this.core.alarms.reload();
    return swapped;
  }

  /** Commits the open group (if any) and flushes it to disk, meta page included (each commit flushes only its data pages). */
  sync(): Promise<void> {
    return this.backend.sync();
  }

  close(): void {
    this.closed = true;
    this.listeners.clear();
    this.abortListeners.clear();
    this.backend.close();
  }
}

/** Renames `from` to `to`; false when they are on different filesystems (then nothing moved). */
function moveFile(from: string, to: string): boolean {
  try {
    fs.renameSync(from, to);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EXDEV') return false;
    throw error;
  }
}

function copyPending(pending: PendingCompaction | null): PendingCompaction | null {
  return pending === null ? null : { target: pending.target, after: pending.after };
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function hashTable(table: Table, skipApplied: boolean, seed: number): number {
  let hash = seed;
  for (const { key, value } of table.getRange({})) {
    if (skipApplied && (key.equals(metaKeys.appliedIndex) || key.equals(metaKeys.appliedTerm))) continue;
    hash = crc32(value, crc32(key, hash));
  }
  return hash;
}
