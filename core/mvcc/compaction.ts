// Physical compaction in bounded steps, as etcd's scheduled compaction: applying a Compact only
// records it (the compact revision, which refuses older reads at once, and the pending
// compaction's target), and the revision records it removes are then deleted a step at a time,
// each step one LMDB transaction of at most `compactionStepRecordsMax` records, with the event
// loop free between steps (see MvccStore). The pending compaction and how far it got are stored
// with the deletions of each step, so a restart resumes where the last committed step ended.
//
// Reads at or above the compact revision stay right throughout: steps go in revision order, so a
// tombstone is removed only after every older version of its key, and the newest version of a
// key at or below the target is never removed unless it is a tombstone.
//
// Quota: the bytes a compaction frees are counted in `compactFreedBytes` and given back to
// `usedBytes` (settled) only where every member does it at the same point of the log — when
// the next Compact is applied, or when a write would exceed the quota — since a step's timing
// differs between members and quota decisions made at apply must not.
// Scheduling the steps is the store's; what a record means is writeBatch.ts's.
import { assert } from '../raft/assert.js';
import type { Backend } from './backend.js';
import { decodeKvRecord, decodeNumberRecord, decodeRevision, encodeNumberRecord, encodeRevision, frame, historyKey, unframe } from './encoding.js';
import { toBuffer } from './keyRange.js';
import type { StoreReader } from './storeReader.js';
import type { Revision } from './types.js';

/** Revision records examined per compaction step (one LMDB transaction). */
export const compactionStepRecordsMax = 256;

/** Accounting overhead per stored revision record, as etcd's quota cost per key-value. */
export const recordOverheadBytes = 256;

/** The quota cost of one revision record. */
export function recordCost(key: Uint8Array, value: Uint8Array): number {
  return key.length + value.length + recordOverheadBytes;
}

/**
 * A compaction applied but not yet physically done.
 * Invariant: every record at or before `after` that the compaction removes is gone, and its
 * cost is counted in the owner's `compactFreedBytes`.
 */
export interface PendingCompaction {
  readonly target: Revision;
  /** The last revision key a committed step examined; null before the first step. */
  after: Buffer | null;
}

/** The compaction state of a store (part of StoreCore). */
export interface CompactionCore {
  readonly backend: Backend;
  readonly reader: StoreReader;
  pendingCompaction: PendingCompaction | null;
  /** Bytes removed by compactions and not yet given back to the quota (see the header). */
  compactFreedBytes: number;
  usedBytes: number;
  saveCounters(): void;
}

const metaKeys = {
  target: Buffer.from('compactPendingTarget'),
  after: Buffer.from('compactPendingAfter'),
  freedBytes: Buffer.from('compactFreedBytes'),
};

/** Reads the compaction state stored by `saveCompaction`. */
export function loadCompaction(backend: Backend): { pending: PendingCompaction | null; freedBytes: number } {
  const meta = backend.table('meta');
  const target = meta.get(metaKeys.target);
  const after = meta.get(metaKeys.after);
  const freed = meta.get(metaKeys.freedBytes);
  const pending = target === undefined ? null : { target: decodeNumberRecord(target), after: after === undefined ? null : Buffer.from(unframe(after)) };
  return { pending, freedBytes: freed === undefined ? 0 : decodeNumberRecord(freed) };
}

/** Stores the compaction state in the open write transaction. */
export function saveCompaction(core: CompactionCore): void {
  const meta = core.backend.table('meta');
  const pending = core.pendingCompaction;
  if (pending === null) {
    meta.removeSync(metaKeys.target);
    meta.removeSync(metaKeys.after);
  } else {
    meta.putSync(metaKeys.target, encodeNumberRecord(pending.target));
    if (pending.after === null) meta.removeSync(metaKeys.after);
    else meta.putSync(metaKeys.after, frame(pending.after));
  }
  meta.putSync(metaKeys.freedBytes, encodeNumberRecord(core.compactFreedBytes));
}

/**
 * One bounded step of the pending compaction, inside the caller's open write transaction: removes
 * what it must among the next `compactionStepRecordsMax` revision records and records the
 * progress. Returns true when the compaction is done (nothing is pending any more).
 */
export function compactionStep(core: CompactionCore): boolean {
  const pending = core.pendingCompaction;
  assert(pending !== null, 'a compaction step has a pending compaction');
  const { backend, reader } = core;
  const end = encodeRevision(pending.target + 1, 0);
  const options = pending.after === null
    ? { start: encodeRevision(0, 0), end, limit: compactionStepRecordsMax }
    : { start: pending.after, end, limit: compactionStepRecordsMax, exclusiveStart: true };
  const removals: { revisionKey: Buffer; historyKey: Buffer; cost: number }[] = [];
  let last: Buffer | null = null;
  for (const { key, value } of backend.table('revisions').getRange(options)) {
    last = Buffer.from(key);
    const record = decodeKvRecord(value);
    const userKey = toBuffer(record.kv.key);
    const { sub } = decodeRevision(last);
    const superseded = reader.hasVersionBetween(userKey, { main: record.kv.modRevision, sub }, pending.target);
    if (superseded || record.kind === 'delete') {
      removals.push({ revisionKey: last, historyKey: historyKey(userKey, record.kv.modRevision, sub), cost: recordCost(userKey, record.kv.value) });
    }
  }
  for (const removal of removals) {
    assert(backend.table('revisions').removeSync(removal.revisionKey), 'compacted revision existed');
    assert(backend.table('history').removeSync(removal.historyKey), 'compacted history entry existed');
    core.compactFreedBytes += removal.cost;
  }
  if (last === null) core.pendingCompaction = null;
  else pending.after = last;
  saveCompaction(core);
  return core.pendingCompaction === null;
}

/**
 * Finishes the pending compaction, if any, and gives its freed bytes back to the quota, all in
 * the caller's open write transaction. Called only at points of the log every member shares.
 */
export function settleCompaction(core: CompactionCore): void {
  while (core.pendingCompaction !== null) compactionStep(core);
  if (core.compactFreedBytes === 0) return;
  core.usedBytes -= core.compactFreedBytes;
  assert(core.usedBytes >= 0, 'used bytes stay non-negative');
  core.compactFreedBytes = 0;
  saveCompaction(core);
  core.saveCounters();
}
