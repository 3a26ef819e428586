import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defragmentChunkEntriesMax } from '../../core/mvcc/backend.js';
import { inlineKeyBytesMax, keyBytesMax } from '../../core/mvcc/encoding.js';
import { EmptyKeyError, KeyTooLargeError, NoSpaceError, StoreError } from '../../core/mvcc/errors.js';
import { MvccStore } from '../../core/mvcc/mvccStore.js';
import type { RevisionEvents } from '../../core/mvcc/types.js';
import { recordOverheadBytes } from '../../core/mvcc/writeBatch.js';
import type { WriteBatch } from '../../core/mvcc/writeBatch.js';
import { AssertionError } from '../../core/raft/assert.js';
import { b, cleanup, keysOf, openStore, tempDir, valuesOf } from './tempStore.js';

afterEach(cleanup);

describe('write batches', () => {
  it('apply many requests in one transaction, each with its own revision and result', () => {
    const store = openStore();
    const seen: RevisionEvents[] = [];
    store.onCommit((revisions) => seen.push(...revisions));
    const results = store.applyBatch({ index: 7, term: 2 }, (batch) => [
      batch.put({ key: b('a'), value: b('1') }).revision,
      batch.put({ key: b('b'), value: b('2') }).revision,
      batch.deleteRange({ key: b('a') }).revision,
      batch.range({ key: b('a'), rangeEnd: b('z') }).count,
    ]);
    expect(results).toEqual([2, 3, 4, 1]);
    expect(seen.map((r) => r.revision)).toEqual([2, 3, 4]);
    expect(store.appliedPosition()).toEqual({ index: 7, term: 2 });
  });

  it('go on past a failed request, which writes nothing', () => {
    const store = openStore();
    const outcomes = store.applyBatch({ index: 1, term: 1 }, (batch) =>
      [() => batch.put({ key: b('a'), value: b('1') }), () => batch.put({ key: b(''), value: b('x') }), () => batch.put({ key: b('c'), value: b('3') })].map(
        (request) => {
          try {
            return request().revision;
          } catch (error) {
            if (error instanceof StoreError) return error.code;
            throw error;
          }
        },
      ),
    );
    expect(outcomes).toEqual([2, 'EMPTY_KEY', 3]);
  });

  it('write nothing and deliver no event when the batch action throws', () => {
    const store = openStore();
    store.applyBatch({ index: 1, term: 1 }, (batch) => batch.put({ key: b('a'), value: b('1') }));
    const seen: RevisionEvents[] = [];
    store.onCommit((revisions) => seen.push(...revisions));
    expect(() =>
      store.applyBatch({ index: 2, term: 1 }, (batch) => {
        batch.put({ key: b('b'), value: b('2') });
        throw new Error('apply failed');
      }),
    ).toThrow('apply failed');
    expect(seen).toEqual([]);
    expect(store.revision).toBe(2);
    expect(store.appliedIndex()).toBe(1);
    expect(store.range({ key: b('b') }).count).toBe(0);
    expect(store.put({ key: b('b'), value: b('2') }).revision).toBe(3);
  });

  it('deliver events only after the commit, when reads already see the batch', () => {
    const store = openStore();
    const seenByListener: number[] = [];
    store.onCommit((revisions) => {
      for (const { revision } of revisions) seenByListener.push(store.range({ key: b('a'), rangeEnd: b('z'), revision }).count);
      seenByListener.push(store.revision);
    });
    store.applyBatch({ index: 1, term: 1 }, (batch) => {
      batch.put({ key: b('a'), value: b('1') });
      batch.put({ key: b('b'), value: b('2') });
      expect(seenByListener).toEqual([]);
    });
    expect(seenByListener).toEqual([1, 2, 3]);
  });

  it('refuse use of a batch after its transaction ended', () => {
    const store = openStore();
    let escaped: WriteBatch | undefined;
    store.applyBatch(null, (batch) => {
      escaped = batch;
    });
    expect(() => escaped!.put({ key: b('a'), value: b('1') })).toThrow(AssertionError);
    expect(store.range({ key: b('a') }).count).toBe(0);
  });

  it('keep data, revision and the applied index across a restart', () => {
    const dir = tempDir();
    const first = MvccStore.open({ dir });
    first.applyBatch({ index: 41, term: 3 }, (batch) => {
      batch.put({ key: b('a'), value: b('1') });
      batch.put({ key: b('b'), value: b('2') });
    });
    first.close();
    const second = openStore({ dir });
    expect(second.appliedIndex()).toBe(41);
    expect(second.appliedPosition()).toEqual({ index: 41, term: 3 });
    expect(second.revision).toBe(3);
    expect(valuesOf(second.range({ key: b('a'), rangeEnd: b('z') }).kvs)).toEqual(['1', '2']);
    expect(second.put({ key: b('c'), value: b('3') }).revision).toBe(4);
  });
});

describe('keys', () => {
  it('accepts binary keys with zero bytes and orders them bytewise', () => {
    const store = openStore();
    const keys = [Buffer.from([0]), Buffer.from([0, 0]), Buffer.from([0, 1]), Buffer.from([1]), Buffer.from([0xff, 0])];
    for (const key of keys.slice().reverse()) store.put({ key, value: key });
    const all = store.range({ key: Buffer.from([0]), rangeEnd: Buffer.from([0]) });
    expect(all.kvs.map((kv) => Buffer.from(kv.key).toString('hex'))).toEqual(['00', '0000', '0001', '01', 'ff00']);
    store.put({ key: Buffer.from([0, 0]), value: b('new') });
    const past = store.range({ key: Buffer.from([0]), rangeEnd: Buffer.from([1]), revision: 6 });
    expect(past.kvs.map((kv) => Buffer.from(kv.value).toString('hex'))).toEqual(['00', '0000', '0001']);
  });

  it('refuses the empty key', () => {
    const store = openStore();
    expect(() => store.put({ key: b(''), value: b('x') })).toThrow(EmptyKeyError);
    expect(() => store.put({ key: b(''), value: b('x') })).toThrow('etcdserver: key is not provided');
  });

  it('stores keys up to keyBytesMax, zero bytes included, and refuses longer ones with a typed error', () => {
    const store = openStore();
    const longest = Buffer.alloc(keyBytesMax, 0);
    store.put({ key: longest, value: b('zeros') });
    store.put({ key: longest, value: b('again') });
    expect(valuesOf(store.range({ key: longest, revision: 2 }).kvs)).toEqual(['zeros']);
    expect(valuesOf(store.range({ key: longest }).kvs)).toEqual(['again']);
    const tooLong = Buffer.alloc(keyBytesMax + 1, 7);
    expect(() => store.put({ key: tooLong, value: b('x') })).toThrow(KeyTooLargeError);
    expect(() => store.range({ key: tooLong })).toThrow(KeyTooLargeError);
    expect(store.revision).toBe(3);
  });

  it('orders long keys that share their stored prefix by their full bytes, in every read', () => {
    const store = openStore();
    const prefix = 'p'.repeat(inlineKeyBytesMax);
    const names = ['a', 'b', 'ba', 'c', 'd', 'e'];
    const long = (suffix: string): Buffer => b(prefix + suffix);
    for (const name of names.slice().reverse()) store.put({ key: long(name), value: b(name) }); // revs 2..7
    store.put({ key: b(prefix), value: b('short') }); // rev 8: the inline prefix itself, a short key
    store.put({ key: long('z'), value: b('z') }); // rev 9
    const suffixes = (kvs: readonly { key: Uint8Array }[]): string[] => keysOf(kvs).map((key) => key.slice(inlineKeyBytesMax));
    const all = { key: b(prefix), rangeEnd: b(prefix.slice(0, -1) + 'q') };
    expect(suffixes(store.range(all).kvs)).toEqual(['', 'a', 'b', 'ba', 'c', 'd', 'e', 'z']);
    expect(suffixes(store.range({ ...all, revision: 7 }).kvs)).toEqual(['a', 'b', 'ba', 'c', 'd', 'e']);
    // Long range bounds cut inside the run of hashed keys.
    const inner = { key: long('b'), rangeEnd: long('d') };
    expect(suffixes(store.range(inner).kvs)).toEqual(['b', 'ba', 'c']);
    expect(store.range(inner).count).toBe(3);
    expect(store.range({ ...inner, revision: 5 })).toMatchObject({ count: 2 });
    expect(suffixes(store.range({ ...inner, revision: 5 }).kvs)).toEqual(['ba', 'c']);
    expect(suffixes(store.range({ ...inner, limit: 2 }).kvs)).toEqual(['b', 'ba']);
    expect(store.range({ ...inner, limit: 2 }).more).toBe(true);
    expect(suffixes(store.range({ key: long('ba'), rangeEnd: Buffer.from([0]) }).kvs)).toEqual(['ba', 'c', 'd', 'e', 'z']);
    expect(store.deleteRange({ key: long('b'), rangeEnd: long('c\0'), prevKv: true }).deleted).toBe(3);
    expect(suffixes(store.range(all).kvs)).toEqual(['', 'a', 'd', 'e', 'z']);
    store.compact({ revision: store.revision });
    expect(suffixes(store.range(all).kvs)).toEqual(['', 'a', 'd', 'e', 'z']);
    expect(store.reader.revisionsBetween(0, store.revision, 100, false).length).toBe(5);
  });
});

describe('quota', () => {
  it('refuses writes past the quota with NOSPACE and a persisted alarm, while reads, deletes and compaction work', () => {
    const dir = tempDir();
    const value = Buffer.alloc(100, 1);
    const perPut = 2 + value.length + recordOverheadBytes;
    const store = MvccStore.open({ dir, quotaBackendBytes: perPut * 5, memberId: 9n });
    for (let i = 0; i < 5; i++) store.put({ key: b(`k${i}`), value });
    expect(() => store.put({ key: b('k5'), value })).toThrow(NoSpaceError);
    expect(() => store.put({ key: b('k5'), value })).toThrow('etcdserver: mvcc: database space exceeded');
    expect(store.alarms()).toEqual([{ memberId: 9n, alarm: 'NOSPACE' }]);
    expect(store.range({ key: b('k0'), rangeEnd: b('k9') }).count).toBe(5);
    expect(store.deleteRange({ key: b('k0'), rangeEnd: b('k4') }).deleted).toBe(4);
    store.compact({ revision: store.revision });
    // The alarm holds until disarmed, even with space again.
    expect(() => store.put({ key: b('k5'), value })).toThrow(NoSpaceError);
    store.close();

    const reopened = MvccStore.open({ dir, quotaBackendBytes: perPut * 5, memberId: 9n });
    expect(reopened.alarms()).toEqual([{ memberId: 9n, alarm: 'NOSPACE' }]);
    expect(reopened.deactivateAlarm({ memberId: 9n, alarm: 'NOSPACE' })).toBe(true);
    expect(reopened.alarms()).toEqual([]);
    expect(reopened.put({ key: b('k5'), value }).revision).toBe(8);
    reopened.close();
  });

  it('refuses a txn whose puts would exceed the quota but lets a read-only txn through', () => {
    const store = openStore({ quotaBackendBytes: 300 });
    expect(() => store.txn({ success: [{ requestPut: { key: b('k'), value: Buffer.alloc(100) } }] })).toThrow(NoSpaceError);
    expect(store.txn({ success: [{ requestRange: { key: b('k') } }] }).succeeded).toBe(true);
  });
});

describe('defragment and snapshots', () => {
  it('defragment keeps every key, revision and counter and shrinks a store with much free space', async () => {
    const store = openStore();
    for (let round = 0; round < 3; round++) {
      store.applyBatch(null, (batch) => {
        for (let i = 0; i < 300; i++) batch.put({ key: b(`key-${i}`), value: Buffer.alloc(500, round) });
      });
    }
    store.compact({ revision: store.revision });
    const hashBefore = store.hash();
    const sizeBefore = store.sizes();
    expect(await store.defragment()).toBe(true);
    const sizeAfter = store.sizes();
    expect(sizeAfter.dbSizeBytes).toBeLessThan(sizeBefore.dbSizeBytes);
    expect(sizeAfter.dbSizeInUseBytes).toBeLessThanOrEqual(sizeAfter.dbSizeBytes);
    expect(store.hash()).toBe(hashBefore);
    expect(store.revision).toBe(901);
    expect(store.range({ key: b('key-'), rangeEnd: b('key.') }).count).toBe(300);
    expect(store.put({ key: b('after'), value: b('x') }).revision).toBe(902);
  });

  it('defragment retries when a write lands during its copy and loses no write', async () => {
    const store = openStore();
    store.applyBatch(null, (batch) => {
      for (let i = 0; i < 200; i++) batch.put({ key: b(`key-${i}`), value: Buffer.alloc(200, 1) });
    });
    const defragmenting = store.defragment();
    store.put({ key: b('during'), value: b('copy') });
    expect(await defragmenting).toBe(true);
    expect(valuesOf(store.range({ key: b('during') }).kvs)).toEqual(['copy']);
    expect(store.revision).toBe(202);
  });

  it('defragment leaves a store that can free a value over 1 MiB, and so does the reopened file', async () => {
    // The sequence etcdctl users hit: small keys, a 1 MiB value, defrag, delete the prefix. LMDB's
    // compacting copy wrote a file whose first transaction freeing the big value aborted the process.
    const dir = tempDir();
    let store = openStore({ dir });
    for (let i = 0; i < 10; i++) store.put({ key: b(`/g/${i}`), value: b(`v${i}`) });
    store.put({ key: b('/g/big'), value: Buffer.alloc(1_048_576, 7) });
    expect(await store.defragment()).toBe(true);
    expect(store.deleteRange({ key: b('/g/'), rangeEnd: b('/g0') }).deleted).toBe(11);
    store.put({ key: b('/g/big'), value: Buffer.alloc(1_572_000, 8) });
    expect(await store.defragment()).toBe(true);
    const hash = store.hash();
    store.close();
    store = openStore({ dir });
    expect(store.hash()).toBe(hash);
    expect(store.deleteRange({ key: b('/g/big') }).deleted).toBe(1);
    expect(store.range({ key: b('/g/'), rangeEnd: b('/g0') }).count).toBe(0);
  });

  it('defragment copies a large store in steps and keeps every write made between them', async () => {
    const keys = 3 * defragmentChunkEntriesMax;
    const fill = (store: MvccStore): void =>
      store.applyBatch(null, (batch) => {
        for (let i = 0; i < keys; i++) batch.put({ key: b(`key-${i}`), value: Buffer.alloc(64, i % 251) });
      });
    const writes = (turn: number, store: MvccStore): void => {
      store.put({ key: b(`key-${(turn * 7919) % keys}`), value: b(`turn-${turn}`) });
      store.deleteRange({ key: b(`key-${(turn * 104729) % keys}`) });
      store.put({ key: b(`new-${turn}`), value: Buffer.alloc(turn % 2 === 0 ? 10 : 1_100_000, turn) });
    };
    const reference = openStore();
    const store = openStore();
    fill(reference);
    fill(store);
    const defragmenting = store.defragment();
    let turns = 0;
    let done = false;
    void defragmenting.finally(() => (done = true));
    while (!done) {
      writes(turns, store);
      writes(turns, reference);
      turns++;
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await defragmenting).toBe(true);
    // The copy took several turns, and writes landed in each.
    expect(turns).toBeGreaterThan(2);
    expect(store.revision).toBe(reference.revision);
    expect(store.hash()).toBe(reference.hash());
    writes(turns, store);
    writes(turns, reference);
    expect(store.hash()).toBe(reference.hash());
  });

  it('snapshotTo writes a copy that opens as an identical store', async () => {
    const store = openStore();
    store.applyBatch({ index: 5, term: 1 }, (batch) => {
      batch.put({ key: b('a'), value: b('1') });
      batch.put({ key: b('b'), value: b('2') });
    });
    await store.sync();
    const snapshot = path.join(tempDir(), 'snap.mdb');
    await store.snapshotTo(snapshot);
    store.put({ key: b('c'), value: b('after snapshot') });
    const dir = tempDir();
    MvccStore.installSnapshot(snapshot, dir);
    const restored = openStore({ dir });
    expect(restored.revision).toBe(3);
    expect(restored.appliedIndex()).toBe(5);
    expect(keysOf(restored.range({ key: b('a'), rangeEnd: b('z') }).kvs)).toEqual(['a', 'b']);
    expect(valuesOf(restored.range({ key: b('a'), revision: 2 }).kvs)).toEqual(['1']);
  });
});
