// Group commit: concurrent saves share one write and one fdatasync, resolve only once durable,
// and become durable in call order. fsyncs are counted through the WAL's observer, never timed.
import { describe, expect, it } from 'vitest';
import { index, term } from '../../core/raft/types.js';
import { recordPayloadBytesMax, Wal, WalClosedError, WalRecordTooLargeError } from '../../core/wal/index.js';
import { cleanUpTempDirs, hardState, makeEntries, makeEntry, metadata, plain, recorder, tempDir } from './walFixtures.js';

cleanUpTempDirs();

describe('group commit', () => {
  it('makes 200 saves issued together durable with a single fdatasync', async () => {
    const dir = tempDir();
    const rec = recorder();
    const wal = await Wal.create(dir, metadata, rec.options);
    const before = rec.fileSyncs();
    const saves = [];
    for (let i = 1; i <= 200; i++) saves.push(wal.save(hardState(1, i - 1), [makeEntry(i, 1)]));
    await Promise.all(saves);
    expect(rec.fileSyncs() - before).toBe(1);
    await wal.close();
    const opened = await Wal.open(dir);
    expect(plain(opened.entries)).toEqual(plain(makeEntries(1, 200, 1)));
    expect(opened.hardState).toEqual(hardState(1, 199));
    await opened.wal.close();
  });

  it('lets concurrent appenders share fsyncs: 16 appenders of 20 saves each need at most 20', async () => {
    const dir = tempDir();
    const rec = recorder();
    const wal = await Wal.create(dir, metadata, rec.options);
    const before = rec.fileSyncs();
    let next = 1;
    const acknowledged: number[] = [];
    const appender = async (): Promise<void> => {
      for (let round = 0; round < 20; round++) {
        const i = next++;
        await wal.save(null, [makeEntry(i, 1)]);
        acknowledged.push(i);
      }
    };
    await Promise.all(Array.from({ length: 16 }, appender));
    expect(acknowledged).toHaveLength(320);
    expect(rec.fileSyncs() - before).toBeLessThanOrEqual(20);
    await wal.close();
    const opened = await Wal.open(dir);
    expect(plain(opened.entries)).toEqual(plain(makeEntries(1, 320, 1)));
    await opened.wal.close();
  });

  it('resolves saves in call order, each only after its own records are durable', async () => {
    const dir = tempDir();
    const rec = recorder();
    const wal = await Wal.create(dir, metadata, rec.options);
    const order: number[] = [];
    const syncsSeen: number[] = [];
    const first = wal.save(null, makeEntries(1, 3, 1)).then(() => {
      order.push(1);
      syncsSeen.push(rec.fileSyncs());
    });
    await first;
    const second = wal.save(null, makeEntries(4, 6, 1)).then(() => order.push(2));
    const third = wal.save(hardState(1, 6), []).then(() => order.push(3));
    const empty = wal.save(null, []).then(() => order.push(4));
    await Promise.all([second, third, empty]);
    expect(order).toEqual([1, 2, 3, 4]);
    expect(syncsSeen[0]).toBeGreaterThan(0);
    await wal.close();
  });

  it('copies entry data when save is called, so callers may reuse their buffers at once', async () => {
    const dir = tempDir();
    const wal = await Wal.create(dir, metadata);
    const data = new Uint8Array([1, 2, 3, 4]);
    const saved = wal.save(null, [{ index: index(1), term: term(1), type: 'normal', data }]);
    data.fill(9);
    await saved;
    await wal.close();
    const opened = await Wal.open(dir);
    expect(Array.from(opened.entries[0]!.data)).toEqual([1, 2, 3, 4]);
    await opened.wal.close();
  });

  it('rejects an entry too large for one record and saves nothing of that call', async () => {
    const dir = tempDir();
    const wal = await Wal.create(dir, metadata);
    await wal.save(null, makeEntries(1, 2, 1));
    const huge = { index: index(4), term: term(1), type: 'normal' as const, data: new Uint8Array(recordPayloadBytesMax) };
    await expect(wal.save(null, [makeEntry(3, 1), huge])).rejects.toBeInstanceOf(WalRecordTooLargeError);
    expect(wal.lastIndex).toBe(2);
    await wal.close();
    const opened = await Wal.open(dir);
    expect(plain(opened.entries)).toEqual(plain(makeEntries(1, 2, 1)));
    await opened.wal.close();
  });

  it('finishes queued saves on close and refuses saves after it', async () => {
    const dir = tempDir();
    const wal = await Wal.create(dir, metadata);
    const queued = wal.save(null, makeEntries(1, 50, 1));
    await wal.close();
    await queued;
    await expect(wal.save(null, [makeEntry(51, 1)])).rejects.toBeInstanceOf(WalClosedError);
    await expect(wal.saveSnapshotMarker({ index: index(1), term: term(1) })).rejects.toBeInstanceOf(WalClosedError);
    const opened = await Wal.open(dir);
    expect(opened.entries).toHaveLength(50);
    await opened.wal.close();
  });

  it('skips fdatasync entirely when the unsafe no-fsync option is set', async () => {
    const dir = tempDir();
    const rec = recorder();
    const wal = await Wal.create(dir, metadata, { ...rec.options, unsafeNoFsync: true, segmentBytes: 512 });
    for (let i = 1; i <= 30; i++) await wal.save(null, [makeEntry(i, 1)]);
    expect(rec.fileSyncs()).toBe(0);
    await wal.close();
    const opened = await Wal.open(dir);
    expect(opened.entries).toHaveLength(30);
    await opened.wal.close();
  });
});

describe('saves without their own fsync', () => {
  it('are written without an fdatasync and become durable with the next synced save', async () => {
    const dir = tempDir();
    const rec = recorder();
    const wal = await Wal.create(dir, metadata, rec.options);
    await wal.save(null, [makeEntry(1, 1)]);
    const before = rec.fileSyncs();
    await wal.save(hardState(1, 1), [], { sync: false });
    expect(rec.fileSyncs() - before).toBe(0);
    await wal.save(null, [makeEntry(2, 1)]);
    expect(rec.fileSyncs() - before).toBe(1);
    await wal.close();
    expect(rec.fileSyncs() - before).toBe(1);
    const opened = await Wal.open(dir);
    expect({ entries: plain(opened.entries), hardState: opened.hardState }).toEqual({ entries: plain(makeEntries(1, 2, 1)), hardState: hardState(1, 1) });
    await opened.wal.close();
  });

  it('are made durable by close', async () => {
    const dir = tempDir();
    const rec = recorder();
    const wal = await Wal.create(dir, metadata, rec.options);
    await wal.save(hardState(1, 0), [makeEntry(1, 1)]);
    const before = rec.fileSyncs();
    await wal.save(hardState(1, 1), [], { sync: false });
    await wal.close();
    expect(rec.fileSyncs() - before).toBe(1);
  });

  it('are synced before their segment is rotated away from, as a synced save would have been', async () => {
    const syncsAround = async (sync: boolean): Promise<number> => {
      const rec = recorder();
      const wal = await Wal.create(tempDir(), metadata, { ...rec.options, segmentBytes: 512 });
      await wal.save(null, [makeEntry(1, 1)]);
      const before = rec.fileSyncs();
      await wal.save(hardState(1, 1), [], { sync });
      await wal.save(null, [makeEntry(2, 1, 600)]);
      const syncs = rec.fileSyncs() - before;
      await wal.close();
      return syncs;
    };
    expect(await syncsAround(false)).toBe(await syncsAround(true));
  });
});
