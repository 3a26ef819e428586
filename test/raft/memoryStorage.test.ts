// MemoryStorage: appends that truncate conflicts, snapshots, compaction and its typed errors.

import { describe, expect, it } from 'vitest';
import {
  CompactedError,
  MemoryStorage,
  SnapshotOutOfDateError,
  UnavailableError,
  entryBytes,
  index,
  nodeId,
  term,
} from '../../core/raft/index.js';
import type { Entry } from '../../core/raft/index.js';

const entry = (i: number, t: number, text = `e${i}`): Entry => ({
  index: index(i),
  term: term(t),
  type: 'normal',
  data: new TextEncoder().encode(text),
});
const conf = { voters: [nodeId('a')], learners: [] };

describe('MemoryStorage', () => {
  it('appends, and replaces a conflicting suffix', () => {
    const storage = new MemoryStorage(conf);
    storage.append([entry(1, 1), entry(2, 1), entry(3, 1)]);
    storage.append([entry(2, 2)]);
    expect(storage.lastIndex()).toBe(2);
    expect(storage.term(index(2))).toBe(2);
    expect(() => storage.append([entry(5, 2)])).toThrow(/gap/);
  });

  it('serves ranges bounded by bytes, always at least one entry', () => {
    const storage = new MemoryStorage(conf);
    storage.append([entry(1, 1), entry(2, 1), entry(3, 1)]);
    expect(storage.entries(index(1), index(4), Infinity)).toHaveLength(3);
    expect(storage.entries(index(1), index(4), 2 * entryBytes(entry(1, 1)))).toHaveLength(2);
    expect(storage.entries(index(1), index(4), 0)).toHaveLength(1);
    expect(() => storage.entries(index(1), index(5), Infinity)).toThrow(UnavailableError);
  });

  it('compacts up to the snapshot and reports compacted indexes with a typed error', () => {
    const storage = new MemoryStorage(conf);
    storage.append([entry(1, 1), entry(2, 1), entry(3, 2), entry(4, 2)]);
    storage.createSnapshot(index(3), conf, new Uint8Array([7]));
    storage.compact(index(2));
    expect(storage.firstIndex()).toBe(3);
    expect(storage.term(index(2))).toBe(1);
    expect(() => storage.term(index(1))).toThrow(CompactedError);
    expect(() => storage.entries(index(2), index(4), Infinity)).toThrow(CompactedError);
    expect(() => storage.compact(index(2))).toThrow(CompactedError);
    expect(storage.snapshot().meta).toMatchObject({ index: 3, term: 2 });
  });

  it('refuses snapshots older than the current one', () => {
    const storage = new MemoryStorage(conf);
    storage.append([entry(1, 1), entry(2, 1)]);
    storage.createSnapshot(index(2), conf, new Uint8Array());
    expect(() => storage.createSnapshot(index(1), conf, new Uint8Array())).toThrow(SnapshotOutOfDateError);
    expect(() => storage.applySnapshot({ meta: { index: index(1), term: term(1), conf }, data: new Uint8Array() })).toThrow(
      SnapshotOutOfDateError,
    );
  });

  it('applying a received snapshot replaces the whole log', () => {
    const storage = new MemoryStorage(conf);
    storage.append([entry(1, 1), entry(2, 1)]);
    storage.applySnapshot({ meta: { index: index(10), term: term(3), conf }, data: new Uint8Array() });
    expect(storage.firstIndex()).toBe(11);
    expect(storage.lastIndex()).toBe(10);
    expect(storage.term(index(10))).toBe(3);
    storage.append([entry(11, 3)]);
    expect(storage.lastIndex()).toBe(11);
  });

  it('bootstraps a new cluster with its membership in a snapshot at index 1', () => {
    const storage = MemoryStorage.bootstrap(conf);
    expect(storage.initialState()).toEqual({ hardState: { term: 1, vote: null, commit: 1 }, confState: conf });
    expect(storage.firstIndex()).toBe(2);
  });
});
