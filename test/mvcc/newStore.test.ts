// A new store follows etcd's numbering: it is at revision 1 before any write, so the first write
// makes revision 2. Reads, hashes, compaction and watches of a new store all agree with that.
import { afterEach, describe, expect, it } from 'vitest';
import { CompactedError, FutureRevisionError } from '../../core/mvcc/errors.js';
import { initialRevision, MvccStore } from '../../core/mvcc/mvccStore.js';
import { WatchHub } from '../../core/mvcc/watchHub.js';
import type { WatchResponse } from '../../core/mvcc/watchHub.js';
import { b, cleanup, openStore, tempDir, valuesOf } from './tempStore.js';

const hubs: WatchHub[] = [];
afterEach(() => {
  for (const hub of hubs.splice(0)) hub.close();
  cleanup();
});

function record(hub: WatchHub, startRevision: number): WatchResponse[] {
  const responses: WatchResponse[] = [];
  hub.watch({ key: b('k'), rangeEnd: b('l'), startRevision }, { send: (response) => responses.push(response) > 0 });
  return responses;
}

describe('a new store', () => {
  it('is at revision 1 with nothing compacted, and reads at revision 0 or 1 but not 2', () => {
    const store = openStore();
    expect(initialRevision).toBe(1);
    expect(store.revision).toBe(1);
    expect(store.compactRevision).toBe(0);
    expect(store.range({ key: b('a'), rangeEnd: b('z') })).toEqual({ revision: 1, kvs: [], more: false, count: 0 });
    expect(store.range({ key: b('a'), rangeEnd: b('z'), revision: 1 })).toEqual({ revision: 1, kvs: [], more: false, count: 0 });
    expect(() => store.range({ key: b('a'), revision: 2 })).toThrow(FutureRevisionError);
  });

  it('makes revision 2 with its first write, which creates the key at 2', () => {
    const store = openStore();
    expect(store.put({ key: b('a'), value: b('1') }).revision).toBe(2);
    expect(store.range({ key: b('a') }).kvs[0]).toMatchObject({ createRevision: 2, modRevision: 2, version: 1 });
    expect(store.range({ key: b('a'), revision: 1 })).toEqual({ revision: 2, kvs: [], more: false, count: 0 });
    expect(store.reader.revisionsBetween(0, store.revision, 10, false).map((r) => r.revision)).toEqual([2]);
  });

  it('keeps revision 1 for requests that write nothing and for an aborted batch', () => {
    const store = openStore();
    expect(store.deleteRange({ key: b('a') })).toEqual({ revision: 1, deleted: 0, prevKvs: [] });
    expect(store.txn({ success: [{ requestRange: { key: b('a') } }] }).revision).toBe(1);
    expect(() =>
      store.applyBatch(null, (batch) => {
        batch.put({ key: b('a'), value: b('1') });
        throw new Error('apply failed');
      }),
    ).toThrow('apply failed');
    expect(store.revision).toBe(1);
    expect(store.put({ key: b('a'), value: b('1') }).revision).toBe(2);
  });

  it('is still at revision 1 when reopened before any write', () => {
    const dir = tempDir();
    MvccStore.open({ dir }).close();
    const reopened = openStore({ dir });
    expect(reopened.revision).toBe(1);
    expect(reopened.put({ key: b('a'), value: b('1') }).revision).toBe(2);
  });

  it('hashes at revision 0 (current) and 1 alike, equal across new stores, and refuses revision 2', () => {
    const one = openStore();
    const two = openStore();
    const current = one.hashKv();
    expect(current).toMatchObject({ compactRevision: 0, hashRevision: 1, revision: 1 });
    expect(one.hashKv(0)).toEqual(current);
    expect(one.hashKv(1)).toEqual(current);
    expect(two.hashKv()).toEqual(current);
    expect(one.hash()).toBe(two.hash());
    expect(() => one.hashKv(2)).toThrow(FutureRevisionError);
    one.put({ key: b('a'), value: b('1') });
    expect(one.hashKv(1)).toEqual({ ...current, revision: 2 });
    expect(one.hashKv(0)).toEqual(one.hashKv(2));
    expect(one.hashKv(0).hash).not.toBe(current.hash);
  });

  it('compacts at revision 1, once, and keeps it across a restart', () => {
    const dir = tempDir();
    const store = MvccStore.open({ dir });
    expect(() => store.compact({ revision: 2 })).toThrow(FutureRevisionError);
    expect(store.compact({ revision: 1 })).toEqual({ revision: 1 });
    expect(store.compactRevision).toBe(1);
    expect(() => store.compact({ revision: 1 })).toThrow(CompactedError);
    expect(store.range({ key: b('a'), revision: 1 }).count).toBe(0);
    expect(store.hashKv(1)).toMatchObject({ compactRevision: 1, hashRevision: 1, revision: 1 });
    store.close();
    const reopened = openStore({ dir });
    expect(reopened.revision).toBe(1);
    expect(reopened.compactRevision).toBe(1);
    expect(reopened.put({ key: b('a'), value: b('1') }).revision).toBe(2);
    expect(valuesOf(reopened.range({ key: b('a'), revision: 2 }).kvs)).toEqual(['1']);
  });

  it('delivers the first write, at revision 2, to watches from revision 0 and from revision 1', async () => {
    const store = openStore();
    const hub = new WatchHub(store);
    hubs.push(hub);
    const fromNow = record(hub, 0);
    const fromOne = record(hub, 1);
    await hub.whenIdle();
    store.put({ key: b('k1'), value: b('1') });
    store.put({ key: b('k2'), value: b('2') });
    expect(fromNow.map((r) => r.revision)).toEqual([2, 3]);
    expect(fromOne.map((r) => r.revision)).toEqual([2, 3]);
    // A watch from revision 1 after the writes replays them all from the store.
    const replayed = record(hub, 1);
    await hub.whenIdle();
    // One catch-up response, stamped with the current revision, as etcd sends it.
    expect(replayed.map((r) => r.revision)).toEqual([3]);
    expect(replayed.flatMap((r) => r.events.map((e) => e.kv.modRevision))).toEqual([2, 3]);
    expect(replayed[0]!.events[0]!.kv).toMatchObject({ createRevision: 2, modRevision: 2 });
  });

  it('sends a watch from revision 1 after a compaction at 1 no compacted response', async () => {
    const store = openStore();
    store.compact({ revision: 1 });
    const hub = new WatchHub(store);
    hubs.push(hub);
    const responses = record(hub, 1);
    await hub.whenIdle();
    store.put({ key: b('k'), value: b('1') });
    expect(responses).toEqual([{ watchId: 1, revision: 2, events: [expect.objectContaining({ type: 'PUT' })] }]);
  });
});
