// Distributed locks and leader elections as etcd's v3lock and v3election services run them,
// built from KV, transactions and watches on a member (the same recipes as etcd's concurrency
// package): an owner key `<name>/<lease in hex>` attached to the caller's lease; the owner is the
// key with the lowest create revision under the prefix; waiters watch the deletion of the key
// just before theirs.
import type { WatchOptions, WatchRegistration, WatchSink } from '../api/backend.js';
import type { DeleteRangeRequest, DeleteRangeResponse, KeyValue, RangeRequest, RangeResponse, TxnRequest, TxnResponse } from '../mvcc/types.js';
import { ServerError } from './errors.js';

/** An election's leadership handle, as etcd's LeaderKey. */
export interface LeaderKey {
  readonly name: Buffer;
  readonly key: Buffer;
  readonly rev: number;
  readonly lease: bigint;
}

/** Most predecessor hand-offs one Lock or Campaign call waits through before giving up. */
const waitRoundsMax = 100_000;
/**
 * What the recipes use of a member, already bound to the caller (so a lock or campaign runs with
 * the caller's permissions, as etcd's services run through a client carrying its token).
 */
export interface KvAccess {
  range(request: RangeRequest): Promise<RangeResponse>;
  txn(request: TxnRequest): Promise<TxnResponse>;
  deleteRange(request: DeleteRangeRequest): Promise<DeleteRangeResponse>;
  leaseGrant(id: bigint, ttlSeconds: number): Promise<{ readonly id: bigint; readonly ttlSeconds: number }>;
  watch(options: WatchOptions, sink: WatchSink): WatchRegistration;
}

/**
 * TTL of the lease granted for a Lock or Campaign that names none: etcd's servers open a
 * concurrency session with its default TTL and never keep it alive, so such a lock lasts 60 s.
 */
export const sessionTtlSeconds = 60;

/** The caller's lease, or a new one for a call that names none (lease 0), as etcd grants it. */
async function sessionLease(backend: KvAccess, lease: bigint): Promise<bigint> {
  if (lease !== 0n) return lease;
  return (await backend.leaseGrant(0n, sessionTtlSeconds)).id;
}

export class ElectionError extends Error {
  override readonly name = 'ElectionError';
}

/** The caller of a Lock or Campaign went away (cancelled or past its deadline) while it waited. */
export class WaitCancelledError extends Error {
  override readonly name = 'WaitCancelledError';
  constructor() {
    super('context canceled');
  }
}

/** The end of the range of keys under `prefix`. */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]!++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

function ownerKey(name: Uint8Array, lease: bigint): { prefix: Buffer; key: Buffer } {
  const prefix = Buffer.concat([Buffer.from(name), Buffer.from('/')]);
  return { prefix, key: Buffer.concat([prefix, Buffer.from(lease.toString(16))]) };
}

/** Creates the caller's key if absent; returns its create revision and current value. */
async function claim(backend: KvAccess, key: Buffer, value: Uint8Array, lease: bigint): Promise<{ rev: number; value: Buffer }> {
  const response = await backend.txn({
    compare: [{ target: 'CREATE', result: 'EQUAL', key, createRevision: 0 }],
    success: [{ requestPut: { key, value, lease } }],
    failure: [{ requestRange: { key } }],
  });
  if (response.succeeded) return { rev: response.revision, value: Buffer.from(value) };
  const first = response.responses[0];
  const kv = first && 'responseRange' in first ? first.responseRange.kvs[0] : undefined;
  if (!kv) throw new ServerError('TIMEOUT', 'etcdserver: the lock key vanished while it was claimed');
  return { rev: kv.createRevision, value: Buffer.from(kv.value) };
}

/**
 * Resolves once `key` is deleted at a revision after `fromRevision`; rejects with
 * WaitCancelledError as soon as `signal` aborts.
 */
function waitDelete(backend: KvAccess, key: Buffer, fromRevision: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(new WaitCancelledError());
      return;
    }
    let settled = false;
    // Set once the watch is registered; a watch may deliver (and so settle) before that.
    const watching: { registration?: WatchRegistration } = {};
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      watching.registration?.cancel();
      signal?.removeEventListener('abort', cancelled);
      outcome();
    };
    const cancelled = (): void => settle(() => reject(new WaitCancelledError()));
    const registration = backend.watch(
      { key, startRevision: fromRevision + 1, prevKv: false, noPut: true, noDelete: false },
      {
        events: (_revision, events) => {
          if (events.some((e) => e.type === 'DELETE')) settle(resolve);
          return true;
        },
        compacted: () => settle(resolve),
        progress: () => undefined,
      },
    );
    watching.registration = registration;
    if (settled) registration.cancel();
    else signal?.addEventListener('abort', cancelled, { once: true });
  });
}

/**
 * Waits until no key under `prefix` was created before `rev` (etcd's waitDeletes). Rejects with
 * WaitCancelledError when `signal` aborts, ServerError TIMEOUT after waitRoundsMax hand-offs.
 */
async function waitPredecessors(backend: KvAccess, prefix: Buffer, rev: number, signal?: AbortSignal): Promise<void> {
  for (let round = 0; round < waitRoundsMax; round++) {
    if (signal?.aborted === true) throw new WaitCancelledError();
    const older = await backend.range({
      key: prefix, rangeEnd: prefixEnd(prefix), maxCreateRevision: rev - 1, sortOrder: 'DESCEND', sortTarget: 'CREATE', limit: 1,
    });
    const last = older.kvs[0];
    if (!last) return;
    await waitDelete(backend, Buffer.from(last.key), older.revision, signal);
  }
  throw new ServerError('TIMEOUT');
}

/** Deletes `key` if it is still the one created at `rev` (a waiter giving up its place). */
async function withdraw(backend: KvAccess, key: Buffer, rev: number): Promise<void> {
  await backend.txn({
    compare: [{ target: 'CREATE', result: 'EQUAL', key, createRevision: rev }],
    success: [{ requestDeleteRange: { key } }],
  });
}

/**
 * etcd's v3lock Lock: resolves with the owner key once the caller holds the lock (lease 0: a 60 s
 * lease of its own). If the wait fails, or `signal` aborts because the caller went away, the
 * caller's key is deleted, as etcd's Mutex does, so it never takes the lock with nobody to
 * release it.
 */
export async function acquireLock(backend: KvAccess, name: Uint8Array, requestedLease: bigint, signal?: AbortSignal): Promise<Buffer> {
  const lease = await sessionLease(backend, requestedLease);
  const { prefix, key } = ownerKey(name, lease);
  const { rev } = await claim(backend, key, new Uint8Array(0), lease);
  try {
    await waitPredecessors(backend, prefix, rev, signal);
  } catch (error) {
    await withdraw(backend, key, rev);
    throw error;
  }
  return key;
}

export async function releaseLock(backend: KvAccess, key: Uint8Array): Promise<void> {
  await backend.deleteRange({ key });
}

/**
 * etcd's v3election Campaign: resolves with the leadership handle once the caller leads (lease 0:
 * a 60 s lease of its own). If `signal` aborts while it waits (the caller went away), it resigns,
 * as etcd's Campaign does, so it never becomes a leader nobody speaks for.
 */
export async function campaign(backend: KvAccess, name: Uint8Array, requestedLease: bigint, value: Uint8Array, signal?: AbortSignal): Promise<LeaderKey> {
  const lease = await sessionLease(backend, requestedLease);
  const { prefix, key } = ownerKey(name, lease);
  const claimed = await claim(backend, key, value, lease);
  const leader: LeaderKey = { name: Buffer.from(name), key, rev: claimed.rev, lease };
  if (!claimed.value.equals(Buffer.from(value))) await proclaim(backend, leader, value);
  try {
    await waitPredecessors(backend, prefix, claimed.rev, signal);
  } catch (error) {
    if (error instanceof WaitCancelledError) await resign(backend, leader);
    throw error;
  }
  return leader;
}

/** Updates the leader's value; refused with "election: not leader" if the handle is stale. */
export async function proclaim(backend: KvAccess, leader: LeaderKey, value: Uint8Array): Promise<void> {
  const response = await backend.txn({
    compare: [{ target: 'CREATE', result: 'EQUAL', key: leader.key, createRevision: leader.rev }],
    success: [{ requestPut: { key: leader.key, value, lease: leader.lease } }],
  });
  if (!response.succeeded) throw new ElectionError('election: not leader');
}

export async function resign(backend: KvAccess, leader: LeaderKey): Promise<void> {
  await withdraw(backend, leader.key, leader.rev);
}

/** The current leader's key-value, or "election: no leader". */
export async function currentLeader(backend: KvAccess, name: Uint8Array): Promise<{ kv: KeyValue; revision: number }> {
  const prefix = Buffer.concat([Buffer.from(name), Buffer.from('/')]);
  const response = await backend.range({ key: prefix, rangeEnd: prefixEnd(prefix), sortOrder: 'ASCEND', sortTarget: 'CREATE', limit: 1 });
  const kv = response.kvs[0];
  if (!kv) throw new ElectionError('election: no leader');
  return { kv, revision: response.revision };
}

/**
 * etcd's Observe: the current leader, then every change of leader or of its value, until the
 * consumer stops iterating or `signal` aborts (then it ends at once, releasing its watch, even
 * while it waits for a change).
 */
export async function* observe(backend: KvAccess, name: Uint8Array, signal?: AbortSignal): AsyncIterable<KeyValue> {
  const prefix = Buffer.concat([Buffer.from(name), Buffer.from('/')]);
  let wake: (() => void) | null = null;
  let changed = true;
  const registration = backend.watch(
    { key: prefix, rangeEnd: prefixEnd(prefix), startRevision: 0, prevKv: false, noPut: false, noDelete: false },
    {
      events: () => {
        changed = true;
        wake?.();
        return true;
      },
      compacted: () => undefined,
      progress: () => undefined,
    },
  );
  const stop = (): void => wake?.();
  const stopped = (): boolean => signal?.aborted === true;
  signal?.addEventListener('abort', stop, { once: true });
  let last: KeyValue | null = null;
  try {
    while (!stopped()) {
      if (!changed) await new Promise<void>((resolve) => (wake = resolve));
      if (stopped()) return;
      changed = false;
      wake = null;
      const leader = await currentLeader(backend, name).catch(() => null);
      if (leader && (!last || leader.kv.modRevision !== last.modRevision || !Buffer.from(leader.kv.key).equals(Buffer.from(last.key)))) {
        last = leader.kv;
        yield leader.kv;
      }
    }
  } finally {
    signal?.removeEventListener('abort', stop);
    registration.cancel();
  }
}
