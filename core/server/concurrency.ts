// Distributed locks and leader elections as etcd's v3lock and v3election services run them,
// built from KV, transactions and watches on a member (the same recipes as etcd's concurrency
// package): an owner key `<name>/<lease in hex>` attached to the caller's lease; the owner is the
// key with the lowest create revision under the prefix; waiters watch the deletion of the key
// just before theirs.
import type { WatchOptions, WatchRegistration, WatchSink } from '../api/backend.js';
import type { DeleteRangeRequest, DeleteRangeResponse, KeyValue, RangeRequest, RangeResponse, TxnRequest, TxnResponse } from '../mvcc/types.js';
import { ServerError } from './errors.js';

/**
 * What the recipes use of a member, already bound to the caller (so a lock or campaign runs with
 * the caller's permissions, as etcd's services run through a client carrying its token).
 */
export interface KvAccess {
  range(request: RangeRequest): Promise<RangeResponse>;
  txn(request: TxnRequest): Promise<TxnResponse>;
  deleteRange(request: DeleteRangeRequest): Promise<DeleteRangeResponse>;
  watch(options: WatchOptions, sink: WatchSink): WatchRegistration;
}

/** An election's leadership handle, as etcd's LeaderKey. */
export interface LeaderKey {
  readonly name: Buffer;
  readonly key: Buffer;
  readonly rev: number;
  readonly lease: bigint;
}

/** Most predecessor hand-offs one Lock or Campaign call waits through before giving up. */
const waitRoundsMax = 100_000;

export class ElectionError extends Error {
  override readonly name = 'ElectionError';
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
  if (lease === 0n) throw new ServerError('INVALID_ARGUMENT', 'etcdserver: a lock or campaign needs a lease');
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

/** Resolves once `key` is deleted at a revision after `fromRevision`. */
function waitDelete(backend: KvAccess, key: Buffer, fromRevision: number): Promise<void> {
  return new Promise((resolve) => {
    const registration = backend.watch(
      { key, startRevision: fromRevision + 1, prevKv: false, noPut: true, noDelete: false },
      {
        events: (_revision, events) => {
          if (events.some((e) => e.type === 'DELETE')) {
            registration.cancel();
            resolve();
          }
          return true;
        },
        compacted: () => resolve(),
        progress: () => undefined,
      },
    );
  });
}

/** Waits until no key under `prefix` was created before `rev` (etcd's waitDeletes). */
async function waitPredecessors(backend: KvAccess, prefix: Buffer, rev: number): Promise<void> {
  for (let round = 0; round < waitRoundsMax; round++) {
    const older = await backend.range({
      key: prefix, rangeEnd: prefixEnd(prefix), maxCreateRevision: rev - 1, sortOrder: 'DESCEND', sortTarget: 'CREATE', limit: 1,
    });
    const last = older.kvs[0];
    if (!last) return;
    await waitDelete(backend, Buffer.from(last.key), older.revision);
  }
  throw new ServerError('TIMEOUT');
}

/** etcd's v3lock Lock: resolves with the owner key once the caller holds the lock. */
export async function acquireLock(backend: KvAccess, name: Uint8Array, lease: bigint): Promise<Buffer> {
  const { prefix, key } = ownerKey(name, lease);
  const { rev } = await claim(backend, key, new Uint8Array(0), lease);
  await waitPredecessors(backend, prefix, rev);
  return key;
}

export async function releaseLock(backend: KvAccess, key: Uint8Array): Promise<void> {
  await backend.deleteRange({ key });
}

/** etcd's v3election Campaign: resolves with the leadership handle once the caller leads. */
export async function campaign(backend: KvAccess, name: Uint8Array, lease: bigint, value: Uint8Array): Promise<LeaderKey> {
  const { prefix, key } = ownerKey(name, lease);
  const claimed = await claim(backend, key, value, lease);
  const leader: LeaderKey = { name: Buffer.from(name), key, rev: claimed.rev, lease };
  if (!claimed.value.equals(Buffer.from(value))) await proclaim(backend, leader, value);
  await waitPredecessors(backend, prefix, claimed.rev);
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
  await backend.txn({
    compare: [{ target: 'CREATE', result: 'EQUAL', key: leader.key, createRevision: leader.rev }],
    success: [{ requestDeleteRange: { key: leader.key } }],
  });
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
 * consumer stops iterating.
 */
export async function* observe(backend: KvAccess, name: Uint8Array): AsyncIterable<KeyValue> {
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
  let last: KeyValue | null = null;
  try {
    while (true) {
      if (!changed) await new Promise<void>((resolve) => (wake = resolve));
      changed = false;
      wake = null;
      const leader = await currentLeader(backend, name).catch(() => null);
      if (leader && (!last || leader.kv.modRevision !== last.modRevision || !Buffer.from(leader.kv.key).equals(Buffer.from(last.key)))) {
        last = leader.kv;
        yield leader.kv;
      }
    }
  } finally {
    registration.cancel();
  }
}
