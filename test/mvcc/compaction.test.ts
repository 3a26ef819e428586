import { afterEach, describe, expect, it } from 'vitest';
import { CompactedError, FutureRevisionError } from '../../core/mvcc/errors.js';
import type { MvccStore } from '../../core/mvcc/mvccStore.js';
import { b, cleanup, keysOf, openStore, valuesOf } from './tempStore.js';

afterEach(cleanup);

/** A new store is at rev 1 (as etcd's); then rev 2 a=1, 3 b=1, 4 a=2, 5 del b, 6 c=1, 7 a=3 */
function feed(store: MvccStore): void {
  store.put({ key: b('a'), value: b('1') });
  store.put({ key: b('b'), value: b('1') });
  store.put({ key: b('a'), value: b('2') });
  store.deleteRange({ key: b('b') });
  store.put({ key: b('c'), value: b('1') });
  store.put({ key: b('a'), value: b('3') });
}

function storedRevisions(store: MvccStore): number[] {
  return store.reader.revisionsBetween(0, store.revision, 1000, false).map((r) => r.revision);
}

describe('Compact', () => {
  it('removes superseded revisions and tombstones at or below the revision, keeping the latest of each key', () => {
    const store = openStore();
    feed(store);
    store.compact({ revision: 5 });
    // a@4 is the latest of a at or below 5; b's tombstone at 5 is dropped with b@3; a@2 is superseded.
    expect(storedRevisions(store)).toEqual([4, 6, 7]);
    expect(store.compactRevision).toBe(5);
    expect(valuesOf(store.range({ key: b('a'), rangeEnd: b('z'), revision: 5 }).kvs)).toEqual(['2']);
    expect(keysOf(store.range({ key: b('a'), rangeEnd: b('z'), revision: 6 }).kvs)).toEqual(['a', 'c']);
    expect(valuesOf(store.range({ key: b('a') }).kvs)).toEqual(['3']);
  });

  it('fails reads below the compacted revision and compacting at or below it again', () => {
    const store = openStore();
    feed(store);
    store.compact({ revision: 4 });
    expect(() => store.range({ key: b('a'), revision: 3 })).toThrow(CompactedError);
    expect(() => store.compact({ revision: 4 })).toThrow(CompactedError);
    expect(() => store.compact({ revision: 3 })).toThrow(CompactedError);
    expect(() => store.compact({ revision: 8 })).toThrow(FutureRevisionError);
    store.compact({ revision: 7 });
    expect(storedRevisions(store)).toEqual([6, 7]);
  });

  it('keeps the compact revision and data across a restart', () => {
    const first = openStore();
    feed(first);
    first.compact({ revision: 6 });
    const dir = first.backend.filePath.replace(/\/store\.mdb$/, '');
    first.close();
    const second = openStore({ dir });
    expect(second.compactRevision).toBe(6);
    expect(second.revision).toBe(7);
    expect(() => second.range({ key: b('a'), revision: 5 })).toThrow(CompactedError);
    expect(keysOf(second.range({ key: b('a'), rangeEnd: b('z') }).kvs)).toEqual(['a', 'c']);
  });

  it('gives back quota bytes for what it removes', () => {
    const store = openStore();
    feed(store);
    const before = store.sizes().usedBytes;
    store.compact({ revision: 7 });
    expect(store.sizes().usedBytes).toBeLessThan(before);
  });
});

describe('Hash and HashKV', () => {
  it('are equal for two stores fed the same requests and differ when the data differs', () => {
    const one = openStore();
    const two = openStore();
    feed(one);
    feed(two);
    expect(one.hash()).toBe(two.hash());
    expect(one.hashKv()).toEqual(two.hashKv());
    expect(one.hashKv(4)).toEqual(two.hashKv(4));
    one.compact({ revision: 5 });
    two.compact({ revision: 5 });
    expect(one.hashKv(6)).toEqual(two.hashKv(6));
    expect(one.hashKv(6).compactRevision).toBe(5);
    one.put({ key: b('d'), value: b('x') });
    two.put({ key: b('d'), value: b('y') });
    expect(one.hash()).not.toBe(two.hash());
    expect(one.hashKv().hash).not.toBe(two.hashKv().hash);
    expect(one.hashKv(7)).toEqual(two.hashKv(7));
  });

  it('ignore the applied Raft position', () => {
    const one = openStore();
    const two = openStore();
    one.applyBatch({ index: 10, term: 2 }, (batch) => batch.put({ key: b('k'), value: b('v') }));
    two.applyBatch({ index: 12, term: 3 }, (batch) => batch.put({ key: b('k'), value: b('v') }));
    expect(one.hash()).toBe(two.hash());
  });

  it('refuse a compacted or future revision', () => {
    const store = openStore();
    feed(store);
    store.compact({ revision: 4 });
    expect(() => store.hashKv(3)).toThrow(CompactedError);
    expect(() => store.hashKv(8)).toThrow(FutureRevisionError);
  });
});
