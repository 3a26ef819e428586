// The write half of the store: Put, DeleteRange, Txn, Compact and lease-driven deletes, each
// applied inside the caller's LMDB write transaction with its own main revision (and one sub
// revision per changed key). Every request is validated before its first write, so a typed error
// leaves nothing behind and the batch can go on with the next request. Events are collected here
// and delivered by the store after the transaction commits.
import { assert } from '../raft/assert.js';
import type { AlarmRegistry } from './alarms.js';
import type { Backend } from './backend.js';
import {
  CompactedError,
  FutureRevisionError,
  KeyNotFoundError,
  LeaseNotFoundError,
  LeaseProvidedError,
  NoSpaceError,
  ValueProvidedError,
} from './errors.js';
import { recordCost, saveCompaction, settleCompaction } from './compaction.js';
import type { CompactionCore } from './compaction.js';
import { encodeKvRecord, encodeRevision, historyKey, storageKey } from './encoding.js';
import { checkKey, keyRange, rangeIsEmpty, toBuffer } from './keyRange.js';
import { checkReadRevision, serveRange } from './serveRange.js';
import type { ReadableRevisions } from './serveRange.js';
import { encodeHistoryValue } from './storeReader.js';
import type { StoreReader } from './storeReader.js';
import { checkTxnRequest, chosenBranch, evaluateCompare } from './txnRules.js';
import type {
  AlarmMember,
  CompactionRequest,
  CompactionResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  Event,
  KeyValue,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  RequestOp,
  ResponseOp,
  Revision,
  RevisionEvents,
  TxnRequest,
  TxnResponse,
} from './types.js';

export { recordOverheadBytes } from './compaction.js';

/** The lease side of puts and deletes: implemented by core/lease's lessor. */
export interface LeaseAttachments {
  exists(id: bigint): boolean;
  attach(id: bigint, key: Buffer): void;
  detach(id: bigint, key: Buffer): void;
}

/** The store state a batch reads and advances. Owned by MvccStore. */
export interface StoreCore extends CompactionCore {
  readonly backend: Backend;
  readonly reader: StoreReader;
  readonly alarms: AlarmRegistry;
  readonly memberId: bigint;
  readonly quotaBackendBytes: number;
  leases: LeaseAttachments;
  revision: Revision;
  compactRevision: Revision;
  usedBytes: number;
  /** Persists revision, compact revision and used bytes in the open transaction. */
  saveCounters(): void;
}

/** One main revision being written. */
interface RevisionContext {
  readonly begin: Revision;
  readonly main: Revision;
  sub: number;
  readonly events: Event[];
}

/** Nested compare outcomes of a txn, decided before any write (as etcd's txn path). */
interface TxnPlan {
  readonly succeeded: boolean;
  readonly nested: Map<number, TxnPlan>;
}

const putCost = recordCost;

/**
 * Applies requests inside one open write transaction (see MvccStore.applyBatch). Each method is
 * one request: it gets its own revision and result, or throws a typed StoreError having written
 * nothing (except a NOSPACE alarm, which persists).
 */
export class WriteBatch {
  /** Committed-to-be changes, per revision, in order. */
  readonly committed: RevisionEvents[] = [];
  /** Invariant: false once the transaction that owns this batch has ended. */
  private open = true;

  constructor(private readonly core: StoreCore) {}

  /** Ends the batch; any later use is a bug. Called by the store when its transaction ends. */
  end(): void {
    this.open = false;
  }

  /** Crashes unless the batch's transaction is still open (writes outside one would autocommit). */
  assertOpen(): void {
    assert(this.open, 'a write batch is used only inside its transaction');
  }

  /** etcd's Alarm ACTIVATE inside this batch. Returns false if the alarm was active. */
  activateAlarm(alarm: AlarmMember): boolean {
    this.assertOpen();
    return this.core.alarms.activate(alarm);
  }

  /** etcd's Alarm DEACTIVATE inside this batch. Returns false if the alarm was not active. */
  deactivateAlarm(alarm: AlarmMember): boolean {
    this.assertOpen();
    return this.core.alarms.deactivate(alarm);
  }

  /** A range that sees every earlier write of this batch. */
  range(request: RangeRequest): RangeResponse {
    this.assertOpen();
    return serveRange(this.core.reader, request, this.bounds());
  }

  /** etcd's Put. Throws the errors of `checkPut` and NoSpaceError. */
  put(request: PutRequest): PutResponse {
    this.assertOpen();
    this.checkPut(request);
    this.checkQuota(putCost(request.key, request.value ?? new Uint8Array(0)));
    return this.inRevision((context) => this.execPut(context, request));
  }

  /** etcd's DeleteRange. Throws the errors of `keyRange`. Deleting nothing keeps the revision. */
  deleteRange(request: DeleteRangeRequest): DeleteRangeResponse {
    this.assertOpen();
    keyRange(request.key, request.rangeEnd);
    return this.inRevision((context) => this.execDelete(context, request));
  }

  /**
   * etcd's Txn: compares, then one branch, all in one main revision. Throws DuplicateKeyError,
   * TooManyOpsError, and the errors of its puts and ranges (checked before any write).
   */
  txn(request: TxnRequest): TxnResponse {
    this.assertOpen();
    checkTxnRequest(request);
    validateOps(request);
    const plan = this.planTxn(request);
    const cost = this.checkTxnPath(request, plan);
    if (cost > 0) this.checkQuota(cost);
    return this.inRevision((context) => this.execTxn(context, request, plan));
  }

  /** Deletes `keys` (those that exist) in one revision: a lease revoke. Returns the revision. */
  deleteKeys(keys: readonly Buffer[]): Revision {
    this.assertOpen();
    const sorted = keys.slice().sort((a, b) => Buffer.compare(a, b));
    return this.inRevision((context) => {
      for (const key of sorted) {
        const prev = this.core.reader.liveGet(key);
        if (prev !== undefined) this.writeDelete(context, key, prev);
      }
      return context.sub > 0 ? context.main : context.begin;
    });
  }

  /**
   * etcd's Compact: reads below `revision` fail from here on, and every revision record at or
   * below it that a later one at or below it supersedes, and every tombstone, is scheduled for
   * removal (see compaction.ts: the store removes them in bounded steps after the commit). A
   * compaction still pending is finished first, and the bytes earlier compactions freed are given
   * back to the quota. Throws CompactedError when `revision` is not above the compacted one,
   * FutureRevisionError when it is above the current one.
   */
  compact(request: CompactionRequest): CompactionResponse {
    this.assertOpen();
    const target = request.revision;
    if (target <= this.core.compactRevision) throw new CompactedError(this.core.compactRevision);
    if (target > this.core.revision) throw new FutureRevisionError();
    settleCompaction(this.core);
    this.core.compactRevision = target;
    this.core.pendingCompaction = { target, after: null };
    this.core.saveCounters();
    saveCompaction(this.core);
    return { revision: this.core.revision };
  }

  /**
   * Finishes the pending compaction in this batch and gives the bytes it freed back to the quota
   * (a single store's Compact, done before it returns, as the store's callers expect).
   */
  settleCompaction(): void {
    this.assertOpen();
    settleCompaction(this.core);
  }

  private bounds(): ReadableRevisions {
    const view = this.core.revision;
    return { view, compacted: this.core.compactRevision, reported: view };
  }

  private inRevision<T>(action: (context: RevisionContext) => T): T {
    const begin = this.core.revision;
    const context: RevisionContext = { begin, main: begin + 1, sub: 0, events: [] };
    const result = action(context);
    if (context.sub > 0) {
      // The counters are saved once, at the end of the batch (MvccStore.applyBatch).
      this.core.revision = context.main;
      this.committed.push({ revision: context.main, events: context.events });
    }
    return result;
  }

  private checkPut(request: PutRequest): void {
    checkKey(request.key);
    const lease = request.lease ?? 0n;
    if (request.ignoreValue === true && (request.value?.length ?? 0) > 0) throw new ValueProvidedError();
    if (request.ignoreLease === true && lease !== 0n) throw new LeaseProvidedError();
    if (request.ignoreValue === true || request.ignoreLease === true) {
      if (this.core.reader.liveGet(toBuffer(request.key)) === undefined) throw new KeyNotFoundError();
    }
    if (lease !== 0n && !this.core.leases.exists(lease)) throw new LeaseNotFoundError(lease);
  }

  private checkQuota(cost: number): void {
    if (this.core.alarms.has('NOSPACE')) throw new NoSpaceError();
    // Bytes a compaction freed count once the write needs them; every member settles here alike.
    if (this.core.usedBytes + cost > this.core.quotaBackendBytes) settleCompaction(this.core);
    if (this.core.usedBytes + cost > this.core.quotaBackendBytes) {
      this.core.alarms.activate({ memberId: this.core.memberId, alarm: 'NOSPACE' });
      throw new NoSpaceError();
    }
  }

  private execPut(context: RevisionContext, request: PutRequest): PutResponse {
    const key = toBuffer(request.key);
    const prev = this.core.reader.liveGet(key);
    const value = request.ignoreValue === true && prev !== undefined ? prev.value : (request.value ?? new Uint8Array(0));
    const lease = request.ignoreLease === true && prev !== undefined ? prev.lease : (request.lease ?? 0n);
    this.writePut(context, key, value, lease, prev);
    return request.prevKv === true && prev !== undefined ? { revision: context.main, prevKv: prev } : { revision: context.main };
  }

  private execDelete(context: RevisionContext, request: DeleteRangeRequest): DeleteRangeResponse {
    const range = keyRange(request.key, request.rangeEnd);
    const prevKvs: KeyValue[] = [];
    if (!rangeIsEmpty(range)) {
      for (const kv of this.core.reader.liveRange(range, 0, true).kvs) {
        this.writeDelete(context, toBuffer(kv.key), kv);
        prevKvs.push(kv);
      }
    }
    const revision = context.sub > 0 ? context.main : context.begin;
    return { revision, deleted: prevKvs.length, prevKvs: request.prevKv === true ? prevKvs : [] };
  }

  private execTxn(context: RevisionContext, request: TxnRequest, plan: TxnPlan): TxnResponse {
    const responses: ResponseOp[] = [];
    chosenBranch(request, plan.succeeded).forEach((op, index) => {
      if ('requestRange' in op) {
        const view = context.sub > 0 ? context.main : context.begin;
        const bounds = { view, compacted: this.core.compactRevision, reported: view };
        responses.push({ responseRange: serveRange(this.core.reader, op.requestRange, bounds) });
      } else if ('requestPut' in op) {
        responses.push({ responsePut: this.execPut(context, op.requestPut) });
      } else if ('requestDeleteRange' in op) {
        responses.push({ responseDeleteRange: this.execDelete(context, op.requestDeleteRange) });
      } else {
        const nested = plan.nested.get(index);
        assert(nested !== undefined, 'every nested txn of the chosen branch is planned');
        responses.push({ responseTxn: this.execTxn(context, op.requestTxn, nested) });
      }
    });
    const revision = context.sub > 0 ? context.main : context.begin;
    return { revision, succeeded: plan.succeeded, responses };
  }

  /** Evaluates every compare on the chosen path against the state before the txn. */
  private planTxn(request: TxnRequest): TxnPlan {
    const reader = this.core.reader;
    const succeeded = (request.compare ?? []).every((compare) =>
      evaluateCompare(compare, (c) => reader.liveRange(keyRange(c.key, c.rangeEnd), 0, true).kvs),
    );
    const nested = new Map<number, TxnPlan>();
    chosenBranch(request, succeeded).forEach((op, index) => {
      if ('requestTxn' in op) nested.set(index, this.planTxn(op.requestTxn));
    });
    return { succeeded, nested };
  }

  /** Checks the puts and ranges of the chosen path; returns the quota cost of its puts. */
  private checkTxnPath(request: TxnRequest, plan: TxnPlan): number {
    let cost = 0;
    chosenBranch(request, plan.succeeded).forEach((op, index) => {
      if ('requestPut' in op) {
        this.checkPut(op.requestPut);
        cost += putCost(op.requestPut.key, op.requestPut.value ?? new Uint8Array(0));
      } else if ('requestRange' in op) {
        checkReadRevision(op.requestRange.revision ?? 0, this.bounds());
      } else if ('requestTxn' in op) {
        const nested = plan.nested.get(index);
        assert(nested !== undefined, 'every nested txn of the chosen branch is planned');
        cost += this.checkTxnPath(op.requestTxn, nested);
      }
    });
    return cost;
  }

  private writePut(context: RevisionContext, key: Buffer, value: Uint8Array, lease: bigint, prev: KeyValue | undefined): void {
    const kv: KeyValue = {
      key,
      value,
      lease,
      createRevision: prev === undefined ? context.main : prev.createRevision,
      modRevision: context.main,
      version: prev === undefined ? 1 : prev.version + 1,
    };
    const { backend } = this.core;
    // The live value and the revision record are the same bytes.
    const record = encodeKvRecord('put', kv);
    backend.table('live').putSync(storageKey(key), record);
    backend.table('history').putSync(historyKey(key, context.main, context.sub), encodeHistoryValue('put', key));
    backend.table('revisions').putSync(encodeRevision(context.main, context.sub), record);
    context.sub += 1;
    this.core.usedBytes += putCost(key, value);
    if (prev !== undefined && prev.lease !== 0n) this.core.leases.detach(prev.lease, key);
    if (lease !== 0n) this.core.leases.attach(lease, key);
    context.events.push(prev === undefined ? { type: 'PUT', kv } : { type: 'PUT', kv, prevKv: prev });
  }

  private writeDelete(context: RevisionContext, key: Buffer, prev: KeyValue): void {
    const kv: KeyValue = {
      key,
      value: new Uint8Array(0),
      lease: 0n,
      createRevision: 0,
      modRevision: context.main,
      version: 0,
    };
    const { backend } = this.core;
    const removed = backend.table('live').removeSync(storageKey(key));
    assert(removed, 'a deleted key was live');
    backend.table('history').putSync(historyKey(key, context.main, context.sub), encodeHistoryValue('delete', key));
    backend.table('revisions').putSync(encodeRevision(context.main, context.sub), encodeKvRecord('delete', kv));
    context.sub += 1;
    this.core.usedBytes += putCost(key, kv.value);
    if (prev.lease !== 0n) this.core.leases.detach(prev.lease, key);
    context.events.push({ type: 'DELETE', kv, prevKv: prev });
  }
}

/** Checks keys of every op in both branches (as etcd validates a txn before proposing it). */
function validateOps(request: TxnRequest): void {
  const ops: readonly RequestOp[] = [...(request.success ?? []), ...(request.failure ?? [])];
  for (const compare of request.compare ?? []) keyRange(compare.key, compare.rangeEnd);
  for (const op of ops) {
    if ('requestRange' in op) keyRange(op.requestRange.key, op.requestRange.rangeEnd);
    else if ('requestPut' in op) checkKey(op.requestPut.key);
    else if ('requestDeleteRange' in op) keyRange(op.requestDeleteRange.key, op.requestDeleteRange.rangeEnd);
    else validateOps(op.requestTxn);
  }
}
