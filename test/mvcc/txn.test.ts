import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DuplicateKeyError,
  FutureRevisionError,
  KeyNotFoundError,
  LeaseNotFoundError,
  LeaseProvidedError,
  TooManyOpsError,
  ValueProvidedError,
} from '../../core/mvcc/errors.js';
import type { MvccStore } from '../../core/mvcc/mvccStore.js';
import { txnOpsMax } from '../../core/mvcc/txnRules.js';
import type { RequestOp, TxnResponse } from '../../core/mvcc/types.js';
import { b, cleanup, keysOf, openStore, valuesOf } from './tempStore.js';

let store: MvccStore;
beforeEach(() => {
  store = openStore();
});
afterEach(cleanup);

const put = (key: string, value: string): RequestOp => ({ requestPut: { key: b(key), value: b(value) } });

describe('Put', () => {
  it('creates a key at a new revision and versions it on every write', () => {
    expect(store.put({ key: b('k'), value: b('v1') }).revision).toBe(2);
    const second = store.put({ key: b('k'), value: b('v2'), prevKv: true });
    expect(second.revision).toBe(3);
    expect(valuesOf([second.prevKv!])).toEqual(['v1']);
    expect(store.range({ key: b('k') }).kvs[0]).toMatchObject({ createRevision: 2, modRevision: 3, version: 2 });
  });

  it('recreates a deleted key with a fresh create revision and version 1', () => {
    store.put({ key: b('k'), value: b('v1') });
    store.deleteRange({ key: b('k') });
    store.put({ key: b('k'), value: b('v2') });
    expect(store.range({ key: b('k') }).kvs[0]).toMatchObject({ createRevision: 4, modRevision: 4, version: 1 });
  });

  it('keeps the value with ignoreValue and refuses ignoreValue on a missing key or with a value', () => {
    store.put({ key: b('k'), value: b('v1') });
    store.put({ key: b('k'), ignoreValue: true });
    expect(store.range({ key: b('k') }).kvs[0]).toMatchObject({ version: 2 });
    expect(valuesOf(store.range({ key: b('k') }).kvs)).toEqual(['v1']);
    expect(() => store.put({ key: b('missing'), ignoreValue: true })).toThrow(KeyNotFoundError);
    expect(() => store.put({ key: b('missing'), ignoreValue: true })).toThrow('etcdserver: key not found');
    expect(() => store.put({ key: b('k'), value: b('x'), ignoreValue: true })).toThrow(ValueProvidedError);
    expect(store.revision).toBe(3);
  });

  it('refuses ignoreLease on a missing key, or with a lease, and an ungranted lease', () => {
    expect(() => store.put({ key: b('missing'), value: b('x'), ignoreLease: true })).toThrow(KeyNotFoundError);
    store.put({ key: b('k'), value: b('v') });
    expect(() => store.put({ key: b('k'), value: b('x'), lease: 7n, ignoreLease: true })).toThrow(LeaseProvidedError);
    expect(() => store.put({ key: b('k'), value: b('x'), lease: 7n })).toThrow(LeaseNotFoundError);
    expect(store.revision).toBe(2);
  });
});

describe('DeleteRange', () => {
  it('deletes a range in one revision with one sub revision per key and returns prevKvs', () => {
    store.put({ key: b('a'), value: b('1') });
    store.put({ key: b('b'), value: b('2') });
    store.put({ key: b('c'), value: b('3') });
    const response = store.deleteRange({ key: b('a'), rangeEnd: b('c'), prevKv: true });
    expect(response).toMatchObject({ revision: 5, deleted: 2 });
    expect(keysOf(response.prevKvs)).toEqual(['a', 'b']);
    const events = store.reader.revisionsBetween(5, 5, 10, false);
    expect(events).toHaveLength(1);
    expect(events[0]!.events.map((event) => event.type)).toEqual(['DELETE', 'DELETE']);
  });

  it('does not bump the revision when nothing is deleted', () => {
    store.put({ key: b('a'), value: b('1') });
    expect(store.deleteRange({ key: b('zz') })).toEqual({ revision: 2, deleted: 0, prevKvs: [] });
    expect(store.revision).toBe(2);
  });
});

describe('Txn', () => {
  beforeEach(() => {
    store.put({ key: b('a'), value: b('1') }); // rev 2 (a new store is at 1, as etcd's)
    store.put({ key: b('b'), value: b('2') }); // rev 3
  });

  it('runs the success branch when every compare holds, in one revision with sub revisions', () => {
    const response = store.txn({
      compare: [
        { target: 'VALUE', result: 'EQUAL', key: b('a'), value: b('1') },
        { target: 'VERSION', result: 'GREATER', key: b('b'), version: 0 },
        { target: 'CREATE', result: 'LESS', key: b('b'), createRevision: 4 },
        { target: 'MOD', result: 'NOT_EQUAL', key: b('a'), modRevision: 3 },
        { target: 'LEASE', result: 'EQUAL', key: b('a'), lease: 0n },
      ],
      success: [put('x', '1'), put('y', '2'), { requestRange: { key: b('x') } }],
      failure: [put('z', '9')],
    });
    expect(response.succeeded).toBe(true);
    expect(response.revision).toBe(4);
    const range = response.responses[2]!;
    expect('responseRange' in range && valuesOf(range.responseRange.kvs)).toEqual(['1']);
    expect(store.reader.revisionsBetween(4, 4, 10, false)[0]!.events).toHaveLength(2);
    expect(store.range({ key: b('z') }).count).toBe(0);
  });

  it('runs the failure branch when a compare fails', () => {
    const response = store.txn({
      compare: [{ target: 'VALUE', result: 'EQUAL', key: b('a'), value: b('nope') }],
      success: [put('x', '1')],
      failure: [put('z', '9')],
    });
    expect(response.succeeded).toBe(false);
    expect(keysOf(store.range({ key: b('a'), rangeEnd: b('zz') }).kvs)).toEqual(['a', 'b', 'z']);
  });

  it('compares a missing key as zero values and fails a value compare on it', () => {
    const zero = store.txn({ compare: [{ target: 'VERSION', result: 'EQUAL', key: b('missing'), version: 0 }] });
    expect(zero.succeeded).toBe(true);
    const value = store.txn({ compare: [{ target: 'VALUE', result: 'NOT_EQUAL', key: b('missing'), value: b('x') }] });
    expect(value.succeeded).toBe(false);
  });

  it('requires a range compare to hold for every key in the range', () => {
    const all = store.txn({ compare: [{ target: 'VERSION', result: 'EQUAL', key: b('a'), rangeEnd: b('c'), version: 1 }] });
    expect(all.succeeded).toBe(true);
    store.put({ key: b('b'), value: b('again') });
    const notAll = store.txn({ compare: [{ target: 'VERSION', result: 'EQUAL', key: b('a'), rangeEnd: b('c'), version: 1 }] });
    expect(notAll.succeeded).toBe(false);
  });

  it('does not bump the revision for a read-only txn', () => {
    const response = store.txn({ success: [{ requestRange: { key: b('a') } }] });
    expect(response.revision).toBe(3);
    expect(store.revision).toBe(3);
  });

  it('runs nested txns in the same revision, deciding their compares before any write', () => {
    const response = store.txn({
      success: [
        { requestDeleteRange: { key: b('a') } },
        {
          requestTxn: {
            // Decided against the state before the txn: `a` still exists then.
            compare: [{ target: 'VERSION', result: 'EQUAL', key: b('a'), version: 1 }],
            success: [put('n', 'yes')],
            failure: [put('n', 'no')],
          },
        },
      ],
    });
    expect(response.revision).toBe(4);
    const nested = response.responses[1]!;
    expect('responseTxn' in nested && nested.responseTxn.succeeded).toBe(true);
    expect(valuesOf(store.range({ key: b('n') }).kvs)).toEqual(['yes']);
    expect(store.range({ key: b('n') }).kvs[0]!.modRevision).toBe(4);
  });

  it('refuses a key written twice or a put inside a delete range, as etcd', () => {
    const refused = (ops: RequestOp[]): void => {
      expect(() => store.txn({ success: ops })).toThrow(DuplicateKeyError);
      expect(() => store.txn({ success: ops })).toThrow('etcdserver: duplicate key given in txn request');
    };
    refused([put('x', '1'), put('x', '2')]);
    refused([{ requestDeleteRange: { key: b('a'), rangeEnd: b('c') } }, put('b', '1')]);
    refused([put('x', '1'), { requestTxn: { success: [put('x', '2')] } }]);
    refused([{ requestDeleteRange: { key: b('x') } }, { requestTxn: { failure: [put('x', '2')] } }]);
    expect(store.revision).toBe(3);
    // Two deletes may overlap, and success and failure of a nested txn may put the same key.
    const fine = store.txn({
      success: [
        { requestDeleteRange: { key: b('a'), rangeEnd: b('c') } },
        { requestDeleteRange: { key: b('b') } },
        { requestTxn: { success: [put('y', '1')], failure: [put('y', '2')] } },
      ],
    });
    expect(fine.revision).toBe(4);
  });

  it('writes nothing when a put of the chosen branch fails its checks', () => {
    expect(() => store.txn({ success: [put('x', '1'), { requestPut: { key: b('missing'), ignoreValue: true } }] })).toThrow(
      KeyNotFoundError,
    );
    expect(() => store.txn({ success: [put('x', '1'), { requestRange: { key: b('a'), revision: 99 } }] })).toThrow(
      FutureRevisionError,
    );
    expect(store.range({ key: b('x') }).count).toBe(0);
    expect(store.revision).toBe(3);
  });

  it('refuses a branch longer than txnOpsMax', () => {
    const ops = Array.from({ length: txnOpsMax + 1 }, (_, i) => put(`k${i}`, 'v'));
    expect(() => store.txn({ success: ops })).toThrow(TooManyOpsError);
  });

  it('reports every response of the branch in order', () => {
    const response: TxnResponse = store.txn({
      success: [put('c', '3'), { requestDeleteRange: { key: b('a'), prevKv: true } }, { requestRange: { key: b('a'), rangeEnd: b('z') } }],
    });
    expect(response.responses.map((op) => Object.keys(op)[0])).toEqual(['responsePut', 'responseDeleteRange', 'responseRange']);
    const range = response.responses[2]!;
    expect('responseRange' in range && keysOf(range.responseRange.kvs)).toEqual(['b', 'c']);
  });
});
