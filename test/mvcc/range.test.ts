import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CompactedError, EmptyKeyError, FutureRevisionError } from '../../core/mvcc/errors.js';
import type { MvccStore } from '../../core/mvcc/mvccStore.js';
import { serveRange } from '../../core/mvcc/serveRange.js';
import type { StoreReader } from '../../core/mvcc/storeReader.js';
import { b, cleanup, keysOf, openStore, valuesOf } from './tempStore.js';

let store: MvccStore;

beforeEach(() => {
  store = openStore();
  // rev 2..6 (a new store is at 1, as etcd's): a=1, b=22, c=3, d=4444, then a rewritten
  store.put({ key: b('a'), value: b('1') });
  store.put({ key: b('b'), value: b('22') });
  store.put({ key: b('c'), value: b('3') });
  store.put({ key: b('d'), value: b('4444') });
  store.put({ key: b('a'), value: b('5') });
});
afterEach(cleanup);

describe('Range', () => {
  it('reads a single key with its metadata', () => {
    const response = store.range({ key: b('a') });
    expect(response.revision).toBe(6);
    expect(response.count).toBe(1);
    expect(response.kvs[0]).toMatchObject({ createRevision: 2, modRevision: 6, version: 2, lease: 0n });
    expect(valuesOf(response.kvs)).toEqual(['5']);
  });

  it('returns nothing for a missing key', () => {
    expect(store.range({ key: b('zz') })).toEqual({ revision: 6, kvs: [], more: false, count: 0 });
  });

  it('reads the half-open interval [key, rangeEnd)', () => {
    expect(keysOf(store.range({ key: b('b'), rangeEnd: b('d') }).kvs)).toEqual(['b', 'c']);
  });

  it('reads values of every size whole, and they stay whole after later reads and writes', () => {
    // Sizes around Node's pooled small buffers (4 KB), lmdb-js's read buffer, and an overflow page run.
    const sizes = [0, 1, 300, 4095, 4096, 5000, 70_000, 1_500_000];
    const valueOf = (size: number, seed: number): Buffer => Buffer.from(Array.from({ length: size }, (_, i) => (i * 31 + seed) & 0xff));
    sizes.forEach((size, i) => store.put({ key: b(`size/${String(i).padStart(2, '0')}`), value: valueOf(size, i) }));
    const first = store.range({ key: b('size/'), rangeEnd: b('size0') }).kvs;
    expect(first.map((kv) => kv.value.length)).toEqual(sizes);
    const singles = sizes.map((_, i) => store.range({ key: b(`size/${String(i).padStart(2, '0')}`) }).kvs[0]!);
    expect(singles.map((kv) => kv.value.length)).toEqual(sizes);
    // Another range and a rewrite of every key: what the first range returned must not change.
    store.range({ key: b('size/'), rangeEnd: b('size0') });
    sizes.forEach((size, i) => store.put({ key: b(`size/${String(i).padStart(2, '0')}`), value: Buffer.alloc(size, 0xaa) }));
    [...first, ...singles].forEach((kv, j) => {
      const i = j % sizes.length;
      expect(Buffer.from(kv.value).equals(valueOf(sizes[i]!, i))).toBe(true);
      expect(Buffer.from(kv.key).toString()).toBe(`size/${String(i).padStart(2, '0')}`);
    });
  });

  it('reads a prefix and every key from a key on with rangeEnd [0]', () => {
    store.put({ key: b('ab'), value: b('x') });
    expect(keysOf(store.range({ key: b('a'), rangeEnd: b('b') }).kvs)).toEqual(['a', 'ab']);
    expect(keysOf(store.range({ key: b('c'), rangeEnd: Buffer.from([0]) }).kvs)).toEqual(['c', 'd']);
    expect(store.range({ key: Buffer.from([0]), rangeEnd: Buffer.from([0]) }).count).toBe(5);
  });

  it('returns an empty result when rangeEnd is not above key', () => {
    expect(store.range({ key: b('c'), rangeEnd: b('b') }).count).toBe(0);
  });

  it('limits the result, reporting more and the full count', () => {
    const response = store.range({ key: b('a'), rangeEnd: b('z'), limit: 2 });
    expect(keysOf(response.kvs)).toEqual(['a', 'b']);
    expect(response.more).toBe(true);
    expect(response.count).toBe(4);
    const exact = store.range({ key: b('a'), rangeEnd: b('z'), limit: 4 });
    expect(exact.more).toBe(false);
  });

  it('reads at a past revision', () => {
    const response = store.range({ key: b('a'), rangeEnd: b('z'), revision: 3 });
    expect(keysOf(response.kvs)).toEqual(['a', 'b']);
    expect(valuesOf(response.kvs)).toEqual(['1', '22']);
    expect(response.count).toBe(2);
    expect(response.revision).toBe(6);
    expect(valuesOf(store.range({ key: b('a'), revision: 5 }).kvs)).toEqual(['1']);
  });

  it('reads keys with many versions at any past revision', () => {
    // rev 7..56: h rewritten 50 times; i at 57 and g at 58; h deleted at 59 and recreated at 60.
    for (let i = 0; i < 50; i++) store.put({ key: b('h'), value: b(`h${i}`) });
    store.put({ key: b('i'), value: b('i') });
    store.put({ key: b('g'), value: b('g') });
    store.deleteRange({ key: b('h') });
    store.put({ key: b('h'), value: b('again') });
    const all = { key: b('a'), rangeEnd: b('z') };
    expect(valuesOf(store.range({ ...all, revision: 6 }).kvs)).toEqual(['5', '22', '3', '4444']);
    expect(valuesOf(store.range({ ...all, revision: 31 }).kvs)).toEqual(['5', '22', '3', '4444', 'h24']);
    expect(valuesOf(store.range({ ...all, revision: 58 }).kvs)).toEqual(['5', '22', '3', '4444', 'g', 'h49', 'i']);
    expect(valuesOf(store.range({ ...all, revision: 59 }).kvs)).toEqual(['5', '22', '3', '4444', 'g', 'i']);
    expect(valuesOf(store.range({ ...all, revision: 60 }).kvs)).toEqual(['5', '22', '3', '4444', 'g', 'again', 'i']);
    expect(store.range({ ...all, revision: 59, limit: 5 })).toMatchObject({ count: 6, more: true });
  });

  it('does not see deleted keys at the current revision but does at a past one', () => {
    store.deleteRange({ key: b('b') });
    expect(keysOf(store.range({ key: b('a'), rangeEnd: b('z') }).kvs)).toEqual(['a', 'c', 'd']);
    expect(keysOf(store.range({ key: b('a'), rangeEnd: b('z'), revision: 6 }).kvs)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('sorts by every target in both orders, ties in key order', () => {
    const all = { key: b('a'), rangeEnd: b('z') };
    expect(keysOf(store.range({ ...all, sortOrder: 'DESCEND' }).kvs)).toEqual(['d', 'c', 'b', 'a']);
    expect(keysOf(store.range({ ...all, sortTarget: 'MOD', sortOrder: 'DESCEND' }).kvs)).toEqual(['a', 'd', 'c', 'b']);
    expect(keysOf(store.range({ ...all, sortTarget: 'CREATE', sortOrder: 'ASCEND' }).kvs)).toEqual(['a', 'b', 'c', 'd']);
    expect(keysOf(store.range({ ...all, sortTarget: 'VERSION', sortOrder: 'DESCEND' }).kvs)).toEqual(['a', 'b', 'c', 'd']);
    expect(keysOf(store.range({ ...all, sortTarget: 'VERSION', sortOrder: 'ASCEND' }).kvs)).toEqual(['b', 'c', 'd', 'a']);
    expect(keysOf(store.range({ ...all, sortTarget: 'VALUE', sortOrder: 'ASCEND' }).kvs)).toEqual(['b', 'c', 'd', 'a']);
    // A non-key target without an order sorts ascending, as etcd does.
    expect(keysOf(store.range({ ...all, sortTarget: 'MOD' }).kvs)).toEqual(['b', 'c', 'd', 'a']);
  });

  it('reads only the page, plus one to learn more, for a limited range in ascending key order', () => {
    // The reader is the store's own; only the fetch limit it is asked for is recorded.
    const reader = store.reader;
    const limits: number[] = [];
    const observed = Object.create(reader) as StoreReader;
    observed.liveRange = (range, limit, wantKvs) => {
      limits.push(limit);
      return reader.liveRange(range, limit, wantKvs);
    };
    const bounds = { view: store.revision, compacted: 0, reported: store.revision };
    const page = serveRange(observed, { key: b('a'), rangeEnd: b('z'), sortTarget: 'KEY', sortOrder: 'ASCEND', limit: 2 }, bounds);
    expect(keysOf(page.kvs)).toEqual(['a', 'b']);
    expect(page.more).toBe(true);
    expect(page.count).toBe(4);
    const unsorted = serveRange(observed, { key: b('a'), rangeEnd: b('z'), limit: 2 }, bounds);
    expect(unsorted).toEqual(page);
    // Any other order needs every key before the limit is applied.
    serveRange(observed, { key: b('a'), rangeEnd: b('z'), sortTarget: 'KEY', sortOrder: 'DESCEND', limit: 2 }, bounds);
    expect(limits).toEqual([3, 3, 0]);
  });

  it('sorts before applying the limit', () => {
    const response = store.range({ key: b('a'), rangeEnd: b('z'), sortTarget: 'MOD', sortOrder: 'DESCEND', limit: 1 });
    expect(keysOf(response.kvs)).toEqual(['a']);
    expect(response.more).toBe(true);
  });

  it('returns keys without values with keysOnly', () => {
    const response = store.range({ key: b('a'), rangeEnd: b('z'), keysOnly: true });
    expect(keysOf(response.kvs)).toEqual(['a', 'b', 'c', 'd']);
    expect(response.kvs.every((kv) => kv.value.length === 0)).toBe(true);
  });

  it('returns only the count with countOnly', () => {
    const response = store.range({ key: b('a'), rangeEnd: b('z'), countOnly: true });
    expect(response.kvs).toEqual([]);
    expect(response.count).toBe(4);
  });

  it('filters by min and max mod and create revision', () => {
    const all = { key: b('a'), rangeEnd: b('z') };
    expect(keysOf(store.range({ ...all, minModRevision: 4 }).kvs)).toEqual(['a', 'c', 'd']);
    expect(keysOf(store.range({ ...all, maxModRevision: 4 }).kvs)).toEqual(['b', 'c']);
    expect(keysOf(store.range({ ...all, minCreateRevision: 3, maxCreateRevision: 4 }).kvs)).toEqual(['b', 'c']);
    const limited = store.range({ ...all, minModRevision: 4, limit: 2 });
    expect(keysOf(limited.kvs)).toEqual(['a', 'c']);
    expect(limited.more).toBe(true);
    expect(limited.count).toBe(4);
  });

  it('refuses a future revision and a compacted one, but reads at the compacted revision', () => {
    expect(() => store.range({ key: b('a'), revision: 7 })).toThrow(FutureRevisionError);
    expect(() => store.range({ key: b('a'), revision: 7 })).toThrow('mvcc: required revision is a future revision');
    store.compact({ revision: 4 });
    expect(() => store.range({ key: b('a'), revision: 3 })).toThrow(CompactedError);
    expect(() => store.range({ key: b('a'), revision: 3 })).toThrow('mvcc: required revision has been compacted');
    expect(valuesOf(store.range({ key: b('a'), rangeEnd: b('z'), revision: 4 }).kvs)).toEqual(['1', '22', '3']);
  });

  it('refuses the empty key', () => {
    expect(() => store.range({ key: b('') })).toThrow(EmptyKeyError);
  });
});
