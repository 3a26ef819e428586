// The console's data folder is locked while a console has it open: a second console — in this
// process or in another live process, including a web console started with `npm run start:web`
// — is refused with a message naming the holder's pid and the folder; a lock left behind by a
// process that is gone, or by an earlier boot of the machine, is taken over, by exactly one of
// several consoles starting at once. The other consoles here are real processes.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AdminService } from '../../core/admin/adminService.js';
import { appDataOptions } from '../../core/admin/appData.js';
import { folderLockFileName, FolderLockedError } from '../../core/admin/folderLock.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const holderScript = path.join(root, 'test', 'admin', 'dataFolderHolder.ts');
/** Consoles racing for one stale lock. */
const racersCount = 4;

let dataDir: string;
const services: AdminService[] = [];
const children: ChildProcess[] = [];

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'rafter-lock-'));
});

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const service of services.splice(0)) await service.close();
  await rm(dataDir, { recursive: true, force: true });
});

function service(): AdminService {
  const created = new AdminService(appDataOptions(dataDir, null));
  services.push(created);
  return created;
}

async function lockOwnerPid(): Promise<number> {
  return (JSON.parse(await readFile(path.join(dataDir, folderLockFileName), 'utf8')) as { pid: number }).pid;
}

interface Holder {
  readonly pid: number;
  /** `held`, or `refused: <message>`. */
  readonly answer: Promise<string>;
  readonly exited: Promise<number | null>;
  /** Closes its stdin: it releases the folder and exits. */
  release(): void;
  /** SIGKILL, as a crash: the lock file stays behind. */
  crash(): void;
}

/**
 * Another console process opening the data folder (test/admin/dataFolderHolder.ts). With `onGo`
 * it loads, says `ready`, and opens the folder only when `go` is called.
 */
function startHolder(onGo = false): Holder & { ready: Promise<void>; go: () => void } {
  const args = ['--import', 'tsx', holderScript, dataDir, ...(onGo ? ['--on-go'] : [])];
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    const next = waiting.shift();
    if (next) next(line);
    else lines.push(line);
  });
  const nextLine = (): Promise<string> =>
    new Promise<string>((resolve, reject) => {
      const line = lines.shift();
      if (line !== undefined) return resolve(line);
      waiting.push(resolve);
      void exited.then((code) => reject(new Error(`the holder exited (${code ?? 'signal'}) before answering`)));
    });
  const ready = onGo ? nextLine().then((line) => expect(line).toBe('ready')) : Promise.resolve();
  const answer = ready.then(nextLine);
  return {
    pid: child.pid!,
    ready,
    answer,
    exited,
    go: () => child.stdin.write('go\n'),
    release: () => child.stdin.end(),
    crash: () => child.kill('SIGKILL'),
  };
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn('true', [], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

describe('the data folder lock', () => {
  it('refuses a second console in the same process and lets the next one in once the first closed', async () => {
    const first = service();
    await first.open();
    expect(await lockOwnerPid()).toBe(process.pid);
    await expect(service().open()).rejects.toThrow(FolderLockedError);
    await first.close();
    await service().open();
  });

  it('refuses this console while another process holds the folder, naming its pid and the folder, and takes over once it crashed', async () => {
    const other = startHolder();
    expect(await other.answer).toBe('held');
    const refusal = service().open();
    await expect(refusal).rejects.toThrow(`Another Rafter console (pid ${other.pid}`);
    await expect(refusal).rejects.toThrow(dataDir);
    other.crash();
    await other.exited;
    expect(await lockOwnerPid()).toBe(other.pid);
    await service().open();
    expect(await lockOwnerPid()).toBe(process.pid);
  });

  it('leaves the folder free once the other process closed its console', async () => {
    const other = startHolder();
    expect(await other.answer).toBe('held');
    other.release();
    expect(await other.exited).toBe(0);
    expect(existsSync(path.join(dataDir, folderLockFileName))).toBe(false);
    await service().open();
  });

  it('stops a web console started on a held folder at once, printing who holds it, with a failing exit code', async () => {
    await service().open();
    const web = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'scripts', 'start.ts'), '--web'], {
      cwd: root,
      env: { ...process.env, RAFTER_HOME: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(web);
    let output = '';
    web.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    web.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => web.once('exit', (exitCode) => resolve(exitCode)));
    expect(code).toBe(1);
    expect(output).toContain(`Another Rafter console (pid ${process.pid}`);
    expect(output).toContain(`is using ${dataDir}.`);
    expect(output).not.toContain('Building the console');
    expect(await lockOwnerPid()).toBe(process.pid);
  });

  it('takes over a lock an earlier boot of the machine left, even when its pid names a live process now', async () => {
    const lock = { pid: process.ppid, host: os.hostname(), bootId: 'an-earlier-boot', startedAtMs: Date.now() - 86_400_000 };
    await writeFile(path.join(dataDir, folderLockFileName), JSON.stringify(lock));
    await service().open();
    expect(await lockOwnerPid()).toBe(process.pid);
  });

  it('takes over a lock file that is not a lock at all (a write cut short)', async () => {
    await writeFile(path.join(dataDir, folderLockFileName), '{"pi');
    await service().open();
  });

  it('lets exactly one of several consoles starting at once take over a stale lock', async () => {
    const stale = { pid: await deadPid(), host: os.hostname(), startedAtMs: Date.now() - 60_000 };
    await writeFile(path.join(dataDir, folderLockFileName), JSON.stringify(stale));
    const racers = Array.from({ length: racersCount }, () => startHolder(true));
    await Promise.all(racers.map((racer) => racer.ready));
    for (const racer of racers) racer.go();
    const answers = await Promise.all(racers.map((racer) => racer.answer));
    const winners = racers.filter((_, index) => answers[index] === 'held');
    expect(winners).toHaveLength(1);
    const winner = winners[0]!;
    expect(await lockOwnerPid()).toBe(winner.pid);
    for (const [index, answer] of answers.entries()) {
      if (racers[index] !== winner) expect(answer).toContain(`refused: Another Rafter console (pid ${winner.pid}`);
    }
    for (const racer of racers) racer.release();
    expect(await Promise.all(racers.map((racer) => racer.exited))).toEqual(racers.map(() => 0));
    expect(existsSync(path.join(dataDir, folderLockFileName))).toBe(false);
  });
});
