// One writer per WAL directory, and a WAL that refuses all writes after an I/O failure.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { index, term } from '../../core/raft/types.js';
import { Wal, WalClosedError, WalLockedError, WalSnapshotNotFoundError } from '../../core/wal/index.js';
import { lockFileName } from '../../core/wal/walLock.js';
import { cleanUpTempDirs, makeEntries, makeEntry, metadata, tempDir } from './walFixtures.js';

cleanUpTempDirs();

describe('WAL lock', () => {
  it('refuses a second open of the same directory until the first is closed', async () => {
    const dir = tempDir();
    const wal = await Wal.create(dir, metadata);
    await expect(Wal.open(dir)).rejects.toBeInstanceOf(WalLockedError);
    await wal.close();
    const opened = await Wal.open(dir);
    await opened.wal.close();
    expect(fs.existsSync(path.join(dir, lockFileName))).toBe(false);
  });

  it('refuses a directory locked by another live process', async () => {
    const dir = tempDir();
    await (await Wal.create(dir, metadata)).close();
    fs.writeFileSync(path.join(dir, lockFileName), `${process.ppid}\n`);
    await expect(Wal.open(dir)).rejects.toThrow(`in use by process ${process.ppid}`);
  });

  it('takes over a lock left by a process that died', async () => {
    const dir = tempDir();
    await (await Wal.create(dir, metadata)).close();
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    fs.writeFileSync(path.join(dir, lockFileName), `${dead}\n`);
    const opened = await Wal.open(dir);
    expect(fs.readFileSync(path.join(dir, lockFileName), 'utf8')).toBe(`${process.pid}\n`);
    await opened.wal.close();
  });

  it('releases the lock when an open is refused', async () => {
    const dir = tempDir();
    await (await Wal.create(dir, metadata)).close();
    await expect(Wal.open(dir, { snapshot: { index: index(5), term: term(1) } })).rejects.toBeInstanceOf(WalSnapshotNotFoundError);
    expect(fs.existsSync(path.join(dir, lockFileName))).toBe(false);
  });
});

describe('WAL after an I/O failure', () => {
  it('rejects the failed save, everything queued behind it and every later save', async () => {
    const dir = tempDir();
    const wal = await Wal.create(dir, metadata, { segmentBytes: 600 });
    await wal.save(null, makeEntries(1, 5, 1));
    // The next segment cannot be created: a directory sits where its temporary file goes.
    const next = `${(1).toString(16).padStart(16, '0')}-${(6).toString(16).padStart(16, '0')}.wal.tmp`;
    fs.mkdirSync(path.join(dir, next));
    const failing = wal.save(null, makeEntries(6, 20, 1));
    await expect(failing).rejects.toBeInstanceOf(WalClosedError);
    await expect(failing).rejects.toThrow(/failed and refuses further writes/);
    await expect(wal.save(null, [makeEntry(6, 1)])).rejects.toBeInstanceOf(WalClosedError);
    await wal.close();
    fs.rmdirSync(path.join(dir, next));
    const opened = await Wal.open(dir);
    expect(opened.entries).toHaveLength(5);
    await opened.wal.close();
  });
});
