// etcd's static txn rules and compare evaluation: no key may be put twice in one txn path, no put
// may fall inside a delete range of the same txn (nested txns included, across their branches),
// branches are bounded by `txnOpsMax`, and compares are evaluated against one read view, with
// missing keys compared as zero values (a value compare on a missing key fails).
import { DuplicateKeyError, TooManyOpsError } from './errors.js';
import { compareBytes } from './encoding.js';
import { keyRange, rangeContains } from './keyRange.js';
import type { KeyRange } from './keyRange.js';
import type { Compare, KeyValue, RequestOp, TxnRequest } from './types.js';

/** Most operations (or compares) in one txn branch, as etcd's --max-txn-ops default. */
export const txnOpsMax = 128;

interface Intervals {
  readonly deletes: KeyRange[];
  readonly puts: Map<string, Buffer>;
}

/**
 * Throws DuplicateKeyError when a txn writes a key twice or puts a key one of its deletes covers,
 * and TooManyOpsError when a branch or the compare list is longer than `txnOpsMax`.
 */
export function checkTxnRequest(txn: TxnRequest): void {
  checkSizes(txn);
  checkIntervals(txn.success ?? []);
  checkIntervals(txn.failure ?? []);
}

function checkSizes(txn: TxnRequest): void {
  const compare = txn.compare ?? [];
  const success = txn.success ?? [];
  const failure = txn.failure ?? [];
  if (compare.length > txnOpsMax || success.length > txnOpsMax || failure.length > txnOpsMax) {
    throw new TooManyOpsError();
  }
  for (const op of [...success, ...failure]) if ('requestTxn' in op) checkSizes(op.requestTxn);
}

function anyDeleteContains(deletes: readonly KeyRange[], key: Buffer): boolean {
  return deletes.some((range) => rangeContains(range, key));
}

function checkIntervals(ops: readonly RequestOp[]): Intervals {
  const deletes: KeyRange[] = [];
  const puts = new Map<string, Buffer>();
  for (const op of ops) {
    if ('requestDeleteRange' in op) deletes.push(keyRange(op.requestDeleteRange.key, op.requestDeleteRange.rangeEnd));
  }
  for (const op of ops) {
    if (!('requestPut' in op)) continue;
    const key = Buffer.from(op.requestPut.key);
    const hex = key.toString('hex');
    if (puts.has(hex) || anyDeleteContains(deletes, key)) throw new DuplicateKeyError();
    puts.set(hex, key);
  }
  for (const op of ops) {
    if (!('requestTxn' in op)) continue;
    const branches = [checkIntervals(op.requestTxn.success ?? []), checkIntervals(op.requestTxn.failure ?? [])];
    for (const branch of branches) {
      for (const [hex, key] of branch.puts) {
        if (puts.has(hex) || anyDeleteContains(deletes, key)) throw new DuplicateKeyError();
      }
      for (const range of branch.deletes) {
        for (const key of puts.values()) if (rangeContains(range, key)) throw new DuplicateKeyError();
      }
    }
    for (const branch of branches) {
      for (const [hex, key] of branch.puts) puts.set(hex, key);
      deletes.push(...branch.deletes);
    }
  }
  return { deletes, puts };
}

/** Reads the kvs a compare looks at, in key order. */
export type CompareReader = (compare: Compare) => KeyValue[];

const zeroKv: KeyValue = {
  key: new Uint8Array(0),
  createRevision: 0,
  modRevision: 0,
  version: 0,
  value: new Uint8Array(0),
  lease: 0n,
};

/** True when `compare` holds for every key it names (zero values for a missing key). */
export function evaluateCompare(compare: Compare, read: CompareReader): boolean {
  const kvs = read(compare);
  if (kvs.length === 0) {
    if (compare.target === 'VALUE') return false;
    return compareOne(compare, zeroKv);
  }
  return kvs.every((kv) => compareOne(compare, kv));
}

function compareOne(compare: Compare, kv: KeyValue): boolean {
  const order = targetOrder(compare, kv);
  switch (compare.result) {
    case 'EQUAL':
      return order === 0;
    case 'NOT_EQUAL':
      return order !== 0;
    case 'LESS':
      return order < 0;
    case 'GREATER':
      return order > 0;
  }
}

function sign(n: number | bigint): number {
  return n > 0 ? 1 : n < 0 ? -1 : 0;
}

function targetOrder(compare: Compare, kv: KeyValue): number {
  switch (compare.target) {
    case 'VERSION':
      return sign(kv.version - compare.version);
    case 'CREATE':
      return sign(kv.createRevision - compare.createRevision);
    case 'MOD':
      return sign(kv.modRevision - compare.modRevision);
    case 'VALUE':
      return sign(compareBytes(kv.value, compare.value));
    case 'LEASE':
      return sign(kv.lease - compare.lease);
  }
}

/** The ops a txn runs given its compare outcome: the chosen branch. */
export function chosenBranch(txn: TxnRequest, succeeded: boolean): readonly RequestOp[] {
  return (succeeded ? txn.success : txn.failure) ?? [];
}
