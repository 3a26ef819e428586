// Which permissions a KV or lease request needs, as etcd's auth applier decides: a range reads its
// keys; a put writes its key (and reads it with prev_kv) and may attach a lease only when it could
// write every key of that lease; a delete writes its range (and reads it with prev_kv); a txn needs
// read on every compare and everything either branch would need, whichever branch runs; revoking
// a lease needs write on all its keys unless the caller has the root role. Each check throws
// AuthError (authStore.ts) for the first thing refused.
import type { Lessor } from '../lease/lessor.js';
import type { RequestOp, TxnRequest } from '../mvcc/types.js';
import type { AuthInfo, AuthStore } from './authStore.js';

function leaseKeys(lessor: Lessor, id: bigint): Buffer[] {
  return id !== 0n && lessor.exists(id) ? lessor.timeToLive(id, true).keys : [];
}

/** etcd's checkLeasePuts: a lease's keys must all be writable, unless the caller is root. */
export function checkLeaseRevoke(auth: AuthStore, lessor: Lessor, caller: AuthInfo | null, id: bigint): void {
  const keys = leaseKeys(lessor, id);
  if (keys.length === 0 || auth.isAdmin(caller)) return;
  for (const key of keys) auth.checkKeys(caller, key, undefined, 'WRITE');
}

/** The permissions of one request of a txn branch (or a lone put, delete or range). */
export function checkWritePermitted(auth: AuthStore, lessor: Lessor, caller: AuthInfo | null, op: RequestOp): void {
  if ('requestRange' in op) {
    auth.checkKeys(caller, op.requestRange.key, op.requestRange.rangeEnd, 'READ');
  } else if ('requestPut' in op) {
    const put = op.requestPut;
    auth.checkKeys(caller, put.key, undefined, 'WRITE');
    checkLeaseRevoke(auth, lessor, caller, put.lease ?? 0n);
    if (put.prevKv) auth.checkKeys(caller, put.key, undefined, 'READ');
  } else if ('requestDeleteRange' in op) {
    const del = op.requestDeleteRange;
    if (del.prevKv) auth.checkKeys(caller, del.key, del.rangeEnd, 'READ');
    auth.checkKeys(caller, del.key, del.rangeEnd, 'WRITE');
  } else {
    checkTxnPermitted(auth, lessor, caller, op.requestTxn);
  }
}

/** etcd's checkTxnAuth: every compare is a read; both branches are checked, whichever runs. */
export function checkTxnPermitted(auth: AuthStore, lessor: Lessor, caller: AuthInfo | null, txn: TxnRequest): void {
  for (const compare of txn.compare ?? []) auth.checkKeys(caller, compare.key, compare.rangeEnd, 'READ');
  for (const op of txn.success ?? []) checkWritePermitted(auth, lessor, caller, op);
  for (const op of txn.failure ?? []) checkWritePermitted(auth, lessor, caller, op);
}
