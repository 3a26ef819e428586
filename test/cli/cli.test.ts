// The `rafter` command as an operator meets it (bin/rafter.js, the package's bin, on the compiled
// code): one-line errors, snapshot status and restore.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { etcdctl, RafterCluster } from '../support/rafterCluster.js';
import { pollUntil, stopProcess } from '../support/memberProcess.js';
import { freePorts } from '../support/ports.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const rafterBin = path.join(root, 'bin', 'rafter.js');
const cleanups: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Runs `rafter`; `code` is its exit code, or -1 when it did not exit by itself (with why in `stderr`). */
function rafter(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [rafterBin, ...args], { cwd: root, timeout: 120_000 }, (error, stdout, stderr) => {
      if (!error) resolve({ code: 0, stdout, stderr });
      else if (typeof error.code === 'number') resolve({ code: error.code, stdout, stderr });
      else resolve({ code: -1, stdout, stderr: `${stderr}[not exited by itself: ${error.message}; signal ${String(error.signal)}]` });
    });
  });
}

async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rafter-cli-'));
  cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('rafter command line', () => {
  it('refuses an unknown flag with one line and exit code 2', async () => {
    const result = await rafter(['--no-such-flag']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual(['rafter: unknown flag --no-such-flag (see --help)']);
  });

  it('says which port is taken when the client port is in use', async () => {
    const [busy, peer] = await freePorts(2);
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(busy, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => blocker.close(() => resolve())));
    const dir = await tempDir();
    const result = await rafter(['--data-dir', dir, '--listen-client-urls', `http://127.0.0.1:${busy!}`, '--listen-peer-urls', `http://127.0.0.1:${peer!}`]);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain(`rafter: address 127.0.0.1:${busy!} is already in use`);
  });

  it('refuses a data directory it cannot write', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'not-a-directory');
    await fs.writeFile(file, 'x');
    const result = await rafter(['--data-dir', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`rafter: cannot use data directory ${file}`);
  });

  it('prints the status of a saved snapshot and restores it into a new member that serves its keys', async () => {
    const cluster = await RafterCluster.start({ members: 1 });
    cleanups.push(() => cluster.stop());
    for (let i = 0; i < 25; i++) expect((await cluster.etcdctl(['put', `/restore/${i}`, `value-${i}`])).code).toBe(0);
    const dir = await tempDir();
    const file = path.join(dir, 'snapshot.db');
    expect((await cluster.etcdctl(['snapshot', 'save', file])).code).toBe(0);
    const status = await rafter(['snapshot', 'status', file, '-w', 'json']);
    expect(status.code).toBe(0);
    const parsed = JSON.parse(status.stdout) as { totalKeys: number; revision: number };
    expect(parsed.totalKeys).toBe(25);
    expect(parsed.revision).toBe(26);
    const [client, peer] = await freePorts(2);
    const restoredDir = path.join(dir, 'restored');
    const initialCluster = `solo=http://127.0.0.1:${peer!}`;
    const restore = await rafter(['snapshot', 'restore', file, '--data-dir', restoredDir, '--name', 'solo', '--initial-cluster', initialCluster, '--initial-advertise-peer-urls', `http://127.0.0.1:${peer!}`]);
    expect(restore.code).toBe(0);
    expect(restore.stdout).toContain(`restored snapshot into ${restoredDir}`);
    const damaged = path.join(dir, 'damaged.db');
    const bytes = await fs.readFile(file);
    bytes[100] = bytes[100]! ^ 0xff;
    await fs.writeFile(damaged, bytes);
    const refused = await rafter(['snapshot', 'status', damaged]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('snapshot checksum mismatch');
    const member = spawn(process.execPath, [rafterBin, '--name', 'solo', '--data-dir', restoredDir,
      '--listen-client-urls', `http://127.0.0.1:${client!}`, '--listen-peer-urls', `http://127.0.0.1:${peer!}`, '--initial-cluster', initialCluster], { cwd: root, stdio: 'ignore' });
    cleanups.push(() => stopProcess(member, 'SIGTERM', 10_000));
    await pollUntil(() => fetch(`http://127.0.0.1:${client!}/health`).then((r) => r.ok, () => false), {
      pollsMax: 400,
      pauseMs: 50,
      failure: () => new Error('the restored member never became healthy'),
    });
    const read = await etcdctl([`127.0.0.1:${client!}`], ['get', '/restore/7', '--print-value-only']);
    expect(read.stdout).toBe('value-7\n');
    expect((await etcdctl([`127.0.0.1:${client!}`], ['put', '/restore/new', 'x'])).code).toBe(0);
    expect((await etcdctl([`127.0.0.1:${client!}`], ['get', '/restore/new', '--print-value-only'])).stdout).toBe('x\n');
  });
});

describe('rafter data directory flags', () => {
  it('keeps at most --max-snapshots snapshot files, and its WAL in --wal-dir', async () => {
    const walDir = await tempDir();
    const cluster = await RafterCluster.start({ members: 1, snapshotCount: 5, snapshotCatchupEntries: 5, memberArgs: { m1: ['--max-snapshots=2', `--wal-dir=${walDir}`] } });
    cleanups.push(() => cluster.stop());
    const snapDir = path.join(cluster.members[0]!.dataDir, 'member', 'snap');
    const snapshotFiles = async (): Promise<string[]> => (await fs.readdir(snapDir)).filter((name) => name.endsWith('.snap'));
    for (let i = 0; i < 60; i++) expect((await cluster.etcdctl(['put', `/snap/${i}`, 'x'])).code).toBe(0);
    // Snapshots are saved after the writes are answered: wait (bounded) until a later one is on disk.
    await pollUntil(async () => (await snapshotFiles()).some((name) => !name.startsWith('0000000000000001-0000000000000001')), {
      pollsMax: 200,
      pauseMs: 50,
      failure: () => new Error('no snapshot was saved'),
    });
    expect((await snapshotFiles()).length).toBeLessThanOrEqual(2);
    expect((await fs.readdir(walDir)).some((name) => name.endsWith('.wal'))).toBe(true);
    expect(existsSync(path.join(cluster.members[0]!.dataDir, 'member', 'wal'))).toBe(false);
  });

  it('keeps every WAL file with --max-wals=0, and removes covered ones down to --max-wals=2', async () => {
    const value = 'v'.repeat(300);
    const cluster = await RafterCluster.start({
      members: 2, snapshotCount: 5, snapshotCatchupEntries: 5,
      extraArgs: ['--unsafe-wal-segment-bytes=4096'], memberArgs: { m1: ['--max-wals=0'], m2: ['--max-wals=2'] },
    });
    cleanups.push(() => cluster.stop());
    const walFiles = async (member: number): Promise<string[]> =>
      (await fs.readdir(path.join(cluster.members[member]!.dataDir, 'member', 'wal'))).filter((name) => name.endsWith('.wal')).sort();
    for (let i = 0; i < 80; i++) expect((await cluster.etcdctl(['put', `/wal/${i % 10}`, value])).code).toBe(0);
    // Snapshots and releases come after the writes are answered: wait (bounded) for m2 to release.
    await pollUntil(async () => (await walFiles(1)).length <= 2, { pollsMax: 200, pauseMs: 50, failure: () => new Error('m2 kept more than 2 WAL files') });
    expect((await walFiles(1))[0]).not.toMatch(/^0000000000000000-/);
    const kept = await walFiles(0);
    expect(kept.length).toBeGreaterThan(4);
    expect(kept.map((name) => Number.parseInt(name.split('-')[0]!, 16))).toEqual(kept.map((_, seq) => seq));
  });
});
