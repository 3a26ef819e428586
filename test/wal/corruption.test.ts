// Damage on disk: a torn tail (short, zero-filled, or a bad checksum in the very last record) is
// cut off and reported; any damage before it refuses to open with an error naming the file and
// byte offset; a missing segment is refused. Real files, damaged byte by byte.
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  inspectWal,
  Wal,
  WalCorruptionError,
  WalExistsError,
  WalGapError,
  WalNotFoundError,
  type InspectedRecord,
} from '../../core/wal/index.js';
import { encodeEntry, entryRecordBytes } from '../../core/wal/walRecord.js';
import { cleanUpTempDirs, makeEntries, makeEntry, metadata, plain, recorder, segmentPaths, tempDir } from './walFixtures.js';

cleanUpTempDirs();

const entryCount = 60;

/** A closed WAL holding entries 1..60 at term 1 across several segments. */
async function writtenWal(segmentBytes = 1500): Promise<string> {
  const dir = tempDir();
  const wal = await Wal.create(dir, metadata, { segmentBytes });
  for (let i = 1; i <= entryCount; i += 4) await wal.save(null, makeEntries(i, i + 3, 1));
  await wal.close();
  return dir;
}

async function records(dir: string): Promise<InspectedRecord[]> {
  return (await inspectWal(dir)).records;
}

function flipByte(file: string, offset: number, mask = 0x20): void {
  const bytes = fs.readFileSync(file);
  bytes[offset] = bytes[offset]! ^ mask;
  fs.writeFileSync(file, bytes);
}

async function expectCorruption(dir: string, file: string, offset: number): Promise<void> {
  const error: unknown = await Wal.open(dir).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WalCorruptionError);
  const corruption = error as WalCorruptionError;
  expect({ file: corruption.file, offset: corruption.offset }).toEqual({ file, offset });
  expect(corruption.message).toContain(file);
  expect(corruption.message).toContain(`byte offset ${offset}`);
}

describe('damage before the tail', () => {
  it('refuses to open when a byte flips in the middle of an older segment, naming file and offset', async () => {
    const dir = await writtenWal();
    const segments = segmentPaths(dir);
    expect(segments.length).toBeGreaterThan(2);
    const victim = (await records(dir)).filter((r) => r.segment === path.basename(segments[1]!))[6]!;
    flipByte(segments[1]!, victim.offset + Math.floor(victim.size / 2));
    const before = fs.readFileSync(segments[1]!);
    await expectCorruption(dir, segments[1]!, victim.offset);
    expect(fs.readFileSync(segments[1]!).equals(before)).toBe(true);
  });

  it('refuses to open whichever byte of a record in the middle of the newest segment flips', async () => {
    const dir = await writtenWal(1 << 20);
    const [segment] = segmentPaths(dir);
    const all = await records(dir);
    const victim = all[all.length - 5]!;
    for (let at = victim.offset; at < victim.offset + victim.size; at++) {
      flipByte(segment!, at, 0x01);
      await expectCorruption(dir, segment!, victim.offset);
      flipByte(segment!, at, 0x01);
    }
  });

  it('refuses to open when an older segment lost its tail', async () => {
    const dir = await writtenWal();
    const segments = segmentPaths(dir);
    const last = (await records(dir)).filter((r) => r.segment === path.basename(segments[0]!)).at(-1)!;
    fs.truncateSync(segments[0]!, fs.statSync(segments[0]!).size - 3);
    await expectCorruption(dir, segments[0]!, last.offset);
  });

  it('refuses to open when a segment is missing from the middle of the sequence', async () => {
    const dir = await writtenWal();
    const segments = segmentPaths(dir);
    fs.rmSync(segments[1]!);
    const error: unknown = await Wal.open(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WalGapError);
    expect((error as Error).message).toContain(path.basename(segments[0]!));
    expect((error as Error).message).toContain(path.basename(segments[2]!));
    await expect(inspectWal(dir)).rejects.toBeInstanceOf(WalGapError);
  });

  it('refuses any flipped byte before the final record and repairs one inside it', async () => {
    const dir = await writtenWal();
    const segments = segmentPaths(dir);
    const pristine = segments.map((s) => fs.readFileSync(s));
    const all = await records(dir);
    const last = all.at(-1)!;
    await fc.assert(
      fc.asyncProperty(fc.nat(segments.length - 1), fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 255 }), async (s, where, mask) => {
        segments.forEach((file, i) => fs.writeFileSync(file, pristine[i]!));
        const file = segments[s]!;
        const at = Math.min(pristine[s]!.length - 1, Math.floor(where * pristine[s]!.length));
        flipByte(file, at, mask);
        const victim = all.find((r) => r.segment === path.basename(file) && r.offset <= at && at < r.offset + r.size)!;
        if (victim !== last) return expectCorruption(dir, file, victim.offset);
        const opened = await Wal.open(dir);
        expect(opened.entries).toHaveLength(entryCount - 1);
        await opened.wal.close();
      }),
      { seed: 4242, numRuns: 150 },
    );
  });
});

describe('records that are intact but break the log', () => {
  function appendRecord(file: string, i: number, t: number): number {
    const entry = makeEntry(i, t);
    const frame = new Uint8Array(entryRecordBytes(entry.data.length));
    encodeEntry(frame, 0, entry);
    const offset = fs.statSync(file).size;
    fs.appendFileSync(file, frame);
    return offset;
  }

  it('refuses an entry that skips an index', async () => {
    const dir = await writtenWal();
    const segment = segmentPaths(dir).at(-1)!;
    const offset = appendRecord(segment, entryCount + 2, 1);
    appendRecord(segment, entryCount + 3, 1);
    await expectCorruption(dir, segment, offset);
  });

  it('refuses an entry whose term is below the term of the entry before it', async () => {
    const dir = await writtenWal();
    const segment = segmentPaths(dir).at(-1)!;
    const offset = appendRecord(segment, entryCount + 1, 0);
    await expectCorruption(dir, segment, offset);
  });

  it('refuses a segment whose header disagrees with its file name', async () => {
    const dir = await writtenWal();
    const segment = segmentPaths(dir).at(-1)!;
    const renamed = segment.replace(/-([0-9a-f]{16})\.wal$/, '-00000000000000aa.wal');
    fs.renameSync(segment, renamed);
    await expectCorruption(dir, renamed, 0);
  });
});

describe('torn tail', () => {
  it('cuts the final record at every byte offset, reports it, and keeps appending after it', async () => {
    const dir = await writtenWal();
    const segment = segmentPaths(dir).at(-1)!;
    const pristine = fs.readFileSync(segment);
    const last = (await records(dir)).at(-1)!;
    expect(last.type).toBe('entry');
    for (let cut = last.offset; cut < last.offset + last.size; cut++) {
      fs.writeFileSync(segment, pristine.subarray(0, cut));
      const rec = recorder();
      const opened = await Wal.open(dir, rec.options);
      expect(plain(opened.entries)).toEqual(plain(makeEntries(1, entryCount - 1, 1)));
      expect(fs.statSync(segment).size).toBe(last.offset);
      const torn = rec.events.filter((e) => e.kind === 'tornTailTruncated');
      expect(torn).toEqual(cut === last.offset ? [] : [expect.objectContaining({ file: segment, offset: last.offset, bytesDropped: cut - last.offset })]);
      await opened.wal.save(null, [makeEntry(entryCount, 2)]);
      await opened.wal.close();
      const reopened = await Wal.open(dir);
      expect(reopened.entries.at(-1)).toMatchObject({ index: entryCount, term: 2 });
      await reopened.wal.close();
    }
  });

  it('cuts off a zero-filled tail after the last record', async () => {
    const dir = await writtenWal();
    const segment = segmentPaths(dir).at(-1)!;
    const size = fs.statSync(segment).size;
    fs.appendFileSync(segment, new Uint8Array(8192));
    const rec = recorder();
    const opened = await Wal.open(dir, rec.options);
    expect(opened.entries).toHaveLength(entryCount);
    expect(rec.events).toEqual([expect.objectContaining({ kind: 'tornTailTruncated', offset: size, reason: 'zero-filled tail' })]);
    expect(fs.statSync(segment).size).toBe(size);
    await opened.wal.close();
  });

  it('cuts off a final record whose bytes were zeroed, together with the zeros after it', async () => {
    const dir = await writtenWal();
    const segment = segmentPaths(dir).at(-1)!;
    const last = (await records(dir)).at(-1)!;
    const bytes = fs.readFileSync(segment);
    bytes.fill(0, last.offset + 20);
    fs.writeFileSync(segment, Buffer.concat([bytes, new Uint8Array(4096)]));
    const opened = await Wal.open(dir);
    expect(opened.entries).toHaveLength(entryCount - 1);
    expect(fs.statSync(segment).size).toBe(last.offset);
    await opened.wal.close();
  });

  it('cuts off a final record with a bad checksum', async () => {
    const dir = await writtenWal();
    const segment = segmentPaths(dir).at(-1)!;
    const last = (await records(dir)).at(-1)!;
    flipByte(segment, last.offset + last.size - 1);
    const rec = recorder();
    const opened = await Wal.open(dir, rec.options);
    expect(opened.entries).toHaveLength(entryCount - 1);
    expect(rec.events).toEqual([expect.objectContaining({ offset: last.offset, reason: 'record payload checksum mismatch' })]);
    await opened.wal.close();
  });
});

describe('opening and creating', () => {
  it('refuses to open a directory without a WAL and to create over an existing one', async () => {
    const dir = tempDir();
    await expect(Wal.open(dir)).rejects.toBeInstanceOf(WalNotFoundError);
    await expect(Wal.open(path.join(dir, 'absent'))).rejects.toBeInstanceOf(WalNotFoundError);
    const wal = await Wal.create(dir, metadata);
    await wal.close();
    await expect(Wal.create(dir, metadata)).rejects.toBeInstanceOf(WalExistsError);
  });

  it('removes a segment file left half-created by a crash and reports it', async () => {
    const dir = await writtenWal();
    const leftover = path.join(dir, '00000000000000ff-0000000000000100.wal.tmp');
    fs.writeFileSync(leftover, new Uint8Array(10));
    const rec = recorder();
    const opened = await Wal.open(dir, rec.options);
    expect(fs.existsSync(leftover)).toBe(false);
    expect(rec.events).toEqual([{ kind: 'tempFileRemoved', file: leftover }]);
    expect(opened.entries).toHaveLength(entryCount);
    await opened.wal.close();
  });
});
