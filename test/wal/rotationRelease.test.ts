// Segment rotation at a size, releasing segments a snapshot covers, and replay from snapshot
// markers (including a snapshot installed past the end of the log).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { index, term } from '../../core/raft/types.js';
import { inspectWal, Wal, walSnapshotMarkers, WalGapError, WalSnapshotNotFoundError } from '../../core/wal/index.js';
import { cleanUpTempDirs, hardState, makeEntries, metadata, plain, tempDir } from './walFixtures.js';

cleanUpTempDirs();

const marker = (i: number, t: number): { index: ReturnType<typeof index>; term: ReturnType<typeof term> } => ({
  index: index(i),
  term: term(t),
});

async function walWith(dir: string, lastIndex: number, segmentBytes: number): Promise<Wal> {
  const wal = await Wal.create(dir, metadata, { segmentBytes });
  for (let i = 1; i <= lastIndex; i += 10) await wal.save(hardState(1, i - 1, 'b2'), makeEntries(i, Math.min(i + 9, lastIndex), 1));
  return wal;
}

describe('segment rotation', () => {
  it('starts a new segment before a write would pass the size, naming it by seq and first index', async () => {
    const dir = tempDir();
    const wal = await walWith(dir, 100, 1024);
    const names = wal.segmentNames();
    expect(names.length).toBeGreaterThan(3);
    names.forEach((name, seq) => expect(name.startsWith(seq.toString(16).padStart(16, '0') + '-')).toBe(true));
    const inspection = await inspectWal(dir);
    for (const segment of inspection.segments.slice(0, -1)) expect(segment.bytes).toBeLessThanOrEqual(1024);
    for (const segment of inspection.segments) {
      const records = inspection.records.filter((r) => r.segment === segment.name).map((r) => r.type);
      expect(records.slice(0, 4)).toEqual(['segmentHeader', 'metadata', 'hardState', 'snapshotMarker']);
      const firstEntry = inspection.records.find((r) => r.segment === segment.name && r.type === 'entry');
      if (firstEntry !== undefined) expect(firstEntry.index).toBe(segment.firstIndex);
    }
    await wal.close();
    const opened = await Wal.open(dir, { segmentBytes: 1024 });
    expect(plain(opened.entries)).toEqual(plain(makeEntries(1, 100, 1)));
    expect(opened.hardState).toEqual(hardState(1, 90, 'b2'));
    await opened.wal.close();
  });

  it('writes a batch larger than the segment size whole into a fresh segment', async () => {
    const dir = tempDir();
    const wal = await Wal.create(dir, metadata, { segmentBytes: 256 });
    await wal.save(null, makeEntries(1, 40, 1));
    await wal.save(null, makeEntries(41, 80, 1));
    expect(wal.segmentNames()).toHaveLength(2);
    await wal.close();
    const opened = await Wal.open(dir);
    expect(opened.entries).toHaveLength(80);
    await opened.wal.close();
  });
});

describe('releaseTo', () => {
  it('deletes the segments wholly covered by the snapshot and keeps what replay from it needs', async () => {
    const dir = tempDir();
    const wal = await walWith(dir, 200, 1024);
    const before = wal.segmentNames();
    await wal.saveSnapshotMarker(marker(120, 1));
    await wal.releaseTo(index(120));
    const after = wal.segmentNames();
    expect(after.length).toBeLessThan(before.length);
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.wal')).sort()).toEqual(after);
    const firstKept = Number.parseInt(after[0]!.split('-')[1]!, 16);
    expect(firstKept).toBeLessThanOrEqual(121);
    await wal.save(null, makeEntries(201, 205, 1));
    await wal.close();
    const opened = await Wal.open(dir, { snapshot: marker(120, 1) });
    expect(plain(opened.entries)).toEqual(plain(makeEntries(121, 205, 1)));
    expect(opened.metadata).toEqual(metadata);
    expect(opened.hardState).toEqual(hardState(1, 190, 'b2'));
    await opened.wal.close();
    await expect(Wal.open(dir)).rejects.toBeInstanceOf(WalGapError);
  });

  it('with a file limit (--max-wals), deletes only the oldest covered segments beyond it, and none for 0', async () => {
    const limited = tempDir();
    const wal = await walWith(limited, 200, 1024);
    const before = wal.segmentNames();
    expect(before.length).toBeGreaterThan(6);
    await wal.saveSnapshotMarker(marker(120, 1));
    await wal.releaseTo(index(120), 3);
    const after = wal.segmentNames();
    // Covered segments go down to the limit; with the limit at 3 every newer one is needed.
    const needed = before.length - before.filter((name) => Number.parseInt(name.split('-')[1]!, 16) <= 121).length + 1;
    expect(after).toEqual(before.slice(before.length - Math.max(3, needed)));
    expect(fs.readdirSync(limited).filter((n) => n.endsWith('.wal')).sort()).toEqual(after);
    await wal.close();
    const opened = await Wal.open(limited, { snapshot: marker(120, 1) });
    expect(plain(opened.entries)).toEqual(plain(makeEntries(121, 200, 1)));
    await opened.wal.close();

    const unlimited = tempDir();
    const all = await walWith(unlimited, 200, 1024);
    const names = all.segmentNames();
    await all.saveSnapshotMarker(marker(120, 1));
    await all.releaseTo(index(120), 0);
    expect(all.segmentNames()).toEqual(names);
    await all.close();
    const replayed = await Wal.open(unlimited);
    expect(plain(replayed.entries)).toEqual(plain(makeEntries(1, 200, 1)));
    await replayed.wal.close();
  });

  it('always keeps the newest segment', async () => {
    const dir = tempDir();
    const wal = await walWith(dir, 50, 1 << 20);
    await wal.saveSnapshotMarker(marker(50, 1));
    await wal.releaseTo(index(50));
    expect(wal.segmentNames()).toHaveLength(1);
    await wal.close();
    const opened = await Wal.open(dir, { snapshot: marker(50, 1) });
    expect(opened.entries).toEqual([]);
    await opened.wal.close();
  });
});

describe('snapshot markers on replay', () => {
  it('returns only the entries after the snapshot and lists the markers seen', async () => {
    const dir = tempDir();
    const wal = await walWith(dir, 30, 1 << 20);
    await wal.saveSnapshotMarker(marker(10, 1));
    await wal.saveSnapshotMarker(marker(20, 1));
    await wal.close();
    const opened = await Wal.open(dir, { snapshot: marker(20, 1) });
    expect(plain(opened.entries)).toEqual(plain(makeEntries(21, 30, 1)));
    expect(opened.snapshots).toEqual([marker(0, 0), marker(10, 1), marker(20, 1)]);
    await opened.wal.close();
  });

  it('lists the markers still in the WAL without opening it, after older segments were released', async () => {
    const dir = tempDir();
    const wal = await walWith(dir, 100, 600);
    await wal.saveSnapshotMarker(marker(30, 1));
    await wal.save(null, makeEntries(101, 140, 1));
    await wal.saveSnapshotMarker(marker(90, 1));
    await wal.releaseTo(index(90));
    expect(await walSnapshotMarkers(dir)).toEqual([marker(0, 0), marker(30, 1), marker(90, 1)]);
    await wal.close();
    const opened = await Wal.open(dir, { snapshot: marker(90, 1) });
    expect(opened.entries[0]?.index).toBe(91);
    await opened.wal.close();
  });

  it('refuses a snapshot whose marker is missing or has another term', async () => {
    const dir = tempDir();
    const wal = await walWith(dir, 30, 1 << 20);
    await wal.saveSnapshotMarker(marker(20, 1));
    await wal.close();
    await expect(Wal.open(dir, { snapshot: marker(25, 1) })).rejects.toBeInstanceOf(WalSnapshotNotFoundError);
    await expect(Wal.open(dir, { snapshot: marker(20, 2) })).rejects.toThrow(/found term 1/);
  });

  it('restarts the log after a snapshot installed past its end', async () => {
    const dir = tempDir();
    const wal = await walWith(dir, 10, 1 << 20);
    await wal.saveSnapshotMarker(marker(40, 3));
    await wal.save(hardState(3, 42), makeEntries(41, 45, 3));
    await wal.close();
    const opened = await Wal.open(dir, { snapshot: marker(40, 3) });
    expect(plain(opened.entries)).toEqual(plain(makeEntries(41, 45, 3)));
    await opened.wal.close();
    await expect(Wal.open(dir)).rejects.toThrow(WalGapError);
  });

  it('keeps the later record when a new leader overwrites the tail, across segments', async () => {
    const dir = tempDir();
    const wal = await walWith(dir, 60, 700);
    await wal.save(hardState(2, 40), makeEntries(45, 50, 2));
    await wal.close();
    const opened = await Wal.open(dir, { segmentBytes: 700 });
    expect(plain(opened.entries)).toEqual(plain([...makeEntries(1, 44, 1), ...makeEntries(45, 50, 2)]));
    expect(opened.wal.lastIndex).toBe(50);
    await opened.wal.close();
    expect(fs.existsSync(path.join(dir, opened.wal.segmentNames()[0]!))).toBe(true);
  });
});
