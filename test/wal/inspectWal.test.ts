// The read-only inspector: what the console's Raft page shows of a stopped member's WAL.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Entry } from '../../core/raft/types.js';
import { index, term } from '../../core/raft/types.js';
import { inspectWal, Wal } from '../../core/wal/index.js';
import { cleanUpTempDirs, hardState, metadata, segmentPaths, tempDir } from './walFixtures.js';

cleanUpTempDirs();

const text = (i: number, t: number, s: string): Entry => ({
  index: index(i),
  term: term(t),
  type: 'normal',
  data: new TextEncoder().encode(s),
});

async function sampleWal(): Promise<string> {
  const dir = tempDir();
  const wal = await Wal.create(dir, metadata, { segmentBytes: 300 });
  await wal.save(hardState(1, 0, 'a1'), [text(1, 1, 'put a=1'), text(2, 1, 'put b=2')]);
  await wal.save(null, [text(3, 1, 'put c=3')]);
  await wal.save(hardState(2, 2, 'c3'), [text(3, 2, 'put c=33')]);
  await wal.saveSnapshotMarker({ index: index(2), term: term(1) });
  await wal.close();
  return dir;
}

describe('inspectWal', () => {
  it('lists every record on disk with its segment, offset, index, term, type, size and decoded data', async () => {
    const dir = await sampleWal();
    const inspection = await inspectWal(dir, { decode: (e) => new TextDecoder().decode(e.data) });
    expect(inspection.damage).toBeNull();
    expect(inspection.truncated).toBe(false);
    const entries = inspection.records.filter((r) => r.type === 'entry');
    expect(entries.map((r) => [r.index, r.term, r.entryType, r.decoded])).toEqual([
      [1, 1, 'normal', 'put a=1'],
      [2, 1, 'normal', 'put b=2'],
      [3, 1, 'normal', 'put c=3'],
      [3, 2, 'normal', 'put c=33'],
    ]);
    const names = inspection.segments.map((s) => s.name);
    expect(names).toEqual(segmentPaths(dir).map((p) => path.basename(p)));
    for (const segment of inspection.segments) {
      const inSegment = inspection.records.filter((r) => r.segment === segment.name);
      let offset = 0;
      for (const record of inSegment) {
        expect(record.offset).toBe(offset);
        offset += record.size;
      }
      expect(offset).toBe(segment.bytes);
    }
    expect(inspection.records.filter((r) => r.type === 'hardState').at(-1)).toMatchObject({
      term: 2,
      index: 2,
      decoded: { term: 2, vote: 'c3', commit: 2 },
    });
    expect(inspection.records.at(-1)).toMatchObject({ type: 'snapshotMarker', index: 2, term: 1 });
    expect(inspection.records.find((r) => r.type === 'metadata')?.decoded).toEqual(metadata);
  });

  it('omits decoded entry data without a decoder', async () => {
    const dir = await sampleWal();
    const inspection = await inspectWal(dir);
    const entry = inspection.records.find((r) => r.type === 'entry')!;
    expect('decoded' in entry).toBe(false);
    expect(entry.size).toBe(16 + 17 + 'put a=1'.length);
  });

  it('reports a torn tail without touching any file', async () => {
    const dir = await sampleWal();
    const segment = segmentPaths(dir).at(-1)!;
    const bytes = fs.readFileSync(segment);
    fs.writeFileSync(segment, bytes.subarray(0, bytes.length - 5));
    const leftover = path.join(dir, '0000000000000009-0000000000000009.wal.tmp');
    fs.writeFileSync(leftover, 'x');
    const before = fs.readdirSync(dir).map((n) => [n, fs.readFileSync(path.join(dir, n)).toString('hex')]);
    const inspection = await inspectWal(dir);
    expect(inspection.damage).toMatchObject({ segment: path.basename(segment), torn: true, lastSegment: true });
    expect(inspection.damage?.offset).toBe(bytes.length - 32);
    const after = fs.readdirSync(dir).map((n) => [n, fs.readFileSync(path.join(dir, n)).toString('hex')]);
    expect(after).toEqual(before);
  });

  it('reports corruption in the middle as not torn and lists the records before it', async () => {
    const dir = await sampleWal();
    const segment = segmentPaths(dir)[0]!;
    const bytes = fs.readFileSync(segment);
    bytes[150] = bytes[150]! ^ 0xff;
    fs.writeFileSync(segment, bytes);
    const inspection = await inspectWal(dir);
    expect(inspection.damage).toMatchObject({ segment: path.basename(segment), torn: false, lastSegment: false });
    expect(inspection.records.every((r) => r.offset < inspection.damage!.offset)).toBe(true);
  });

  it('stops listing at recordsMax and says so', async () => {
    const dir = await sampleWal();
    const inspection = await inspectWal(dir, { recordsMax: 5 });
    expect(inspection.records).toHaveLength(5);
    expect(inspection.truncated).toBe(true);
  });
});
