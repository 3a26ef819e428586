import { afterEach, describe, expect, it } from 'vitest';
import { CompactedError, FutureRevisionError } from '../../core/mvcc/errors.js';
import type { MvccStore } from '../../core/mvcc/mvccStore.js';
import { b, cleanup, keysOf, openStore, valuesOf } from './tempStore.js';

afterEach(cleanup);

/** rev 1 a=1, 2 b=1, 3 a=2, 4 del b, 5 c=1, 6 a=3 */
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
    store.compact({ revision: 4 });
    // a@3 is the latest of a at or below 4; b's tombstone at 4 is dropped with b@2; a@1 is superseded.
    expect(storedRevisions(store)).toEqual([3, 5, 6]);
    expect(store.compactRevision).toBe(4);
    expect(valuesOf(store.range({ key: b('a'), rangeEnd: b('z'), revision: 4 }).kvs)).toEqual(['2']);
    expect(keysOf(store.range({ key: b('a'), rangeEnd: b('z'), revision: 5 }).kvs)).toEqual(['a', 'c']);
    expect(valuesOf(store.range({ key: b('a') }).kvs)).toEqual(['3']);
  });

  it('fails reads below the compacted revision and compacting at or below it again', () => {
    const store = openStore();
    feed(store);
    store.compact({ revision: 3 });
    expect(() => store.range({ key: b('a'), revision: 2 })).toThrow(CompactedError);
    expect(() => store.compact({ revision: 3 })).toThrow(CompactedError);
    expect(() => store.compact({ revision: 2 })).toThrow(CompactedError);
    expect(() => store.compact({ revision: 7 })).toThrow(FutureRevisionError);
    store.compact({ revision: 6 });
    expect(storedRevisions(store)).toEqual([5, 6]);
  });

  it('keeps the compact revision and data across a restart', () => {
    const first = openStore();
    feed(first);
    first.compact({ revision: 5 });
    const dir = first.backend.filePath.replace(/\/store\.mdb$/, '');
    first.close();
    const second = openStore({ dir });
    expect(second.compactRevision).toBe(5);
    expect(second.revision).toBe(6);
    expect(() => second.range({ key: b('a'), revision: 4 })).toThrow(CompactedError);
    expect(keysOf(second.range({ key: b('a'), rangeEnd: b('z') }).kvs)).toEqual(['a', 'c']);
  });

  it('gives back quota bytes for what it removes', () => {
    const store = openStore();
    feed(store);
    const before = store.sizes().usedBytes;
    store.compact({ revision: 6 });
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
    expect(one.hashKv(3)).toEqual(two.hashKv(3));
    one.compact({ revision: 4 });
    two.compact({ revision: 4 });
    expect(one.hashKv(5)).toEqual(two.hashKv(5));
    expect(one.hashKv(5).compactRevision).toBe(4);
    one.put({ key: b('d'), value: b('x') });
    two.put({ key: b('d'), value: b('y') });
    expect(one.hash()).not.toBe(two.hash());
    expect(one.hashKv().hash).not.toBe(two.hashKv().hash);
    expect(one.hashKv(6)).toEqual(two.hashKv(6));
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
    store.compact({ revision: 3 });
    expect(() => store.hashKv(2)).toThrow(CompactedError);
    expect(() => store.hashKv(9)).toThrow(FutureRevisionError);
  });
});
