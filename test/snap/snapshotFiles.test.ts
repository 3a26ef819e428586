// Snapshot files: atomic checksummed writes, falling back past a damaged newest file, purging.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SnapshotMeta } from '../../core/raft/types.js';
import { index, nodeId, term } from '../../core/raft/types.js';
import { SnapshotFiles, snapshotName, type SnapshotEvent } from '../../core/snap/snapshotFiles.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rafter-snap-'));
  dirs.push(dir);
  return dir;
}

const meta = (i: number, t: number): SnapshotMeta => ({
  index: index(i),
  term: term(t),
  conf: { voters: [nodeId('a1'), nodeId('b2'), nodeId('c3')], learners: [nodeId('d4')] },
});
const state = (i: number): { appliedIndex: number; db: string; sha256: string } => ({
  appliedIndex: i,
  db: `db-${i}.mdb`,
  sha256: 'ab'.repeat(32),
});

describe('snapshot files', () => {
  it('round-trips metadata and the store reference, loading the newest by index', async () => {
    const dir = tempDir();
    const snaps = await SnapshotFiles.open(dir);
    expect(await snaps.loadNewest()).toBeNull();
    await snaps.save(meta(100, 2), state(100));
    const file = await snaps.save(meta(250, 3), state(250));
    await snaps.save(meta(180, 3), state(180));
    expect(path.basename(file)).toBe(snapshotName(250, 3));
    const loaded = await snaps.loadNewest();
    expect(loaded).toEqual({ meta: meta(250, 3), state: state(250), file });
  });

  it('loads only snapshots the WAL has markers for when asked to', async () => {
    const dir = tempDir();
    const snaps = await SnapshotFiles.open(dir);
    await snaps.save(meta(100, 2), state(100));
    await snaps.save(meta(200, 2), state(200));
    const loaded = await snaps.loadNewest({ matching: [{ index: index(100), term: term(2) }, { index: index(200), term: term(1) }] });
    expect(loaded?.meta.index).toBe(100);
  });

  it('sets a damaged newest file aside, reports it and falls back to the previous one', async () => {
    const dir = tempDir();
    const events: SnapshotEvent[] = [];
    const snaps = await SnapshotFiles.open(dir, { logger: (e) => events.push(e) });
    await snaps.save(meta(100, 2), state(100));
    const newest = await snaps.save(meta(200, 2), state(200));
    const bytes = fs.readFileSync(newest);
    bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0x04;
    fs.writeFileSync(newest, bytes);
    const loaded = await snaps.loadNewest();
    expect(loaded?.meta).toEqual(meta(100, 2));
    expect(events).toEqual([
      { kind: 'damagedSnapshotSetAside', file: newest, movedTo: `${newest}.broken`, reason: 'payload checksum mismatch' },
    ]);
    expect(fs.existsSync(`${newest}.broken`)).toBe(true);
    expect((await snaps.list()).map((s) => s.index)).toEqual([100]);
  });

  it('falls back past a truncated file, an empty file and a file whose name lies about its contents', async () => {
    const dir = tempDir();
    const events: SnapshotEvent[] = [];
    const snaps = await SnapshotFiles.open(dir, { logger: (e) => events.push(e) });
    await snaps.save(meta(10, 1), state(10));
    const good = await snaps.save(meta(20, 1), state(20));
    const truncated = await snaps.save(meta(30, 1), state(30));
    fs.truncateSync(truncated, fs.statSync(truncated).size - 1);
    fs.writeFileSync(path.join(dir, snapshotName(40, 1)), '');
    fs.copyFileSync(good, path.join(dir, snapshotName(50, 1)));
    expect((await snaps.loadNewest())?.meta).toEqual(meta(20, 1));
    const reasons = events.flatMap((e) => (e.kind === 'damagedSnapshotSetAside' ? [e.reason] : []));
    expect(reasons).toHaveLength(3);
    expect(reasons[0]).toBe('file name disagrees with the metadata inside');
    expect(reasons[1]).toBe('file of 0 bytes is shorter than its header');
    expect(reasons[2]).toMatch(/^length \d+ disagrees with the file size \d+$/);
  });

  it('returns null when every file is damaged', async () => {
    const dir = tempDir();
    const snaps = await SnapshotFiles.open(dir);
    const only = await snaps.save(meta(10, 1), state(10));
    fs.writeFileSync(only, new Uint8Array(64));
    expect(await snaps.loadNewest()).toBeNull();
  });

  it('keeps only the newest five files, purging older ones after each save', async () => {
    const dir = tempDir();
    const snaps = await SnapshotFiles.open(dir);
    for (let i = 1; i <= 8; i++) await snaps.save(meta(i * 10, 1), state(i * 10));
    expect((await snaps.list()).map((s) => s.index)).toEqual([40, 50, 60, 70, 80]);
    const two = await SnapshotFiles.open(tempDir(), { keep: 2 });
    for (let i = 1; i <= 4; i++) await two.save(meta(i, 1), state(i));
    expect((await two.list()).map((s) => s.index)).toEqual([3, 4]);
  });

  it('writes through a temporary file: an interrupted save leaves no snapshot, and its leftover is removed', async () => {
    const dir = tempDir();
    const snaps = await SnapshotFiles.open(dir);
    await snaps.save(meta(10, 1), state(10));
    const leftover = path.join(dir, `${snapshotName(20, 1)}.tmp`);
    fs.writeFileSync(leftover, 'half a snapshot');
    expect((await snaps.loadNewest())?.meta.index).toBe(10);
    const events: SnapshotEvent[] = [];
    await SnapshotFiles.open(dir, { logger: (e) => events.push(e) });
    expect(fs.existsSync(leftover)).toBe(false);
    expect(events).toEqual([{ kind: 'tempFileRemoved', file: leftover }]);
    expect(fs.readdirSync(dir)).toEqual([snapshotName(10, 1)]);
  });
});
