// An exclusive lock on the console's data folder, so two consoles (two web hosts, or the desktop
// app and a web host) never run the same local clusters or write the same files at once. The lock
// is a file holding its owner's pid, host, boot and start time, which appears at once with all of
// it: written beside under a unique name (created with O_EXCL), then hard-linked into place, which
// fails when the lock exists. A lock whose process is gone (a crash), or that an earlier boot of
// this machine left, is taken over — under a second, short-lived guard file, so two consoles
// taking over the same stale lock never remove each other's fresh one. It owns only the lock; the
// folder's contents belong to the AdminService.
import { randomBytes } from 'node:crypto';
import { link, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { isProcessAlive } from '../util/processAlive.js';

/** Name of the lock file inside the data folder. */
export const folderLockFileName = 'console.lock';
/** Suffix of the guard held while a stale lock is removed. */
const takeoverSuffix = '.takeover';
/** Attempts to take the lock (a stale lock is removed between attempts). */
const acquireAttemptsMax = 5;
/** Pause before trying again while another console holds the takeover guard (it holds it for a few file operations). */
const guardBusyPauseMs = 20;
/** Where Linux names the current boot; a lock from another boot is stale whatever its pid. */
const bootIdFile = '/proc/sys/kernel/random/boot_id';

/** What a lock file records about the console holding it. */
export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  /** The boot of the machine the owner ran in ('' where the system does not say). */
  readonly bootId: string;
  readonly startedAtMs: number;
}

/** Lock files held by this process (a second service in the same process is refused too). */
const heldHere = new Set<string>();

/** Thrown when another console holds the folder; the message says which and what to do. */
export class FolderLockedError extends Error {
  override readonly name = 'FolderLockedError';
}

let bootIdCache: string | null = null;

async function currentBootId(): Promise<string> {
  bootIdCache ??= await readFile(bootIdFile, 'utf8').then((text) => text.trim(), () => '');
  return bootIdCache;
}

/** The owner a lock file names, with its raw text; null owner when missing, unreadable or damaged. */
async function readLock(file: string): Promise<{ owner: LockOwner | null; text: string | null }> {
  const text = await readFile(file, 'utf8').catch(() => null);
  if (text === null) return { owner: null, text };
  try {
    const owner = JSON.parse(text) as Partial<LockOwner>;
    if (typeof owner.pid !== 'number') return { owner: null, text };
    return {
      owner: { pid: owner.pid, host: String(owner.host ?? ''), bootId: String(owner.bootId ?? ''), startedAtMs: Number(owner.startedAtMs ?? 0) },
      text,
    };
  } catch {
    return { owner: null, text }; // damaged: treated as stale
  }
}

function sameHost(owner: LockOwner): boolean {
  return owner.host === '' || owner.host === os.hostname();
}

/** Whether `owner` may still be using the folder (a console on another host is assumed to be). */
async function holds(owner: LockOwner): Promise<boolean> {
  if (!sameHost(owner)) return true;
  const bootId = await currentBootId();
  if (owner.bootId !== '' && bootId !== '' && owner.bootId !== bootId) return false; // the machine restarted since
  if (owner.pid === process.pid) return false; // this process holds no such lock (heldHere says so)
  return isProcessAlive(owner.pid);
}

/**
 * Creates `file` holding `content`, atomically: true when created, false when it already exists.
 * On a filesystem without hard links it falls back to creating `file` itself with O_EXCL.
 */
async function createWith(file: string, content: string): Promise<boolean> {
  const beside = `${file}.${process.pid}.${randomBytes(6).toString('hex')}`;
  await writeFile(beside, content, { flag: 'wx', mode: 0o600 });
  try {
    await link(beside, file);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error;
    return writeFile(file, content, { flag: 'wx', mode: 0o600 }).then(
      () => true,
      (fallbackError: NodeJS.ErrnoException) => {
        if (fallbackError.code === 'EEXIST') return false;
        throw fallbackError;
      },
    );
  } finally {
    await rm(beside, { force: true });
  }
}

/**
 * Removes the stale lock `file` whose text was `staleText`, unless it changed meanwhile (another
 * console took it over first). Done under the guard file, so removals never overlap; a guard
 * left by a console that died while taking over is removed in turn.
 */
async function removeStale(file: string, staleText: string | null, record: string): Promise<void> {
  const guard = `${file}${takeoverSuffix}`;
  if (!(await createWith(guard, record))) {
    const { owner } = await readLock(guard);
    if (owner === null || !(await holds(owner))) await rm(guard, { force: true });
    else await delay(guardBusyPauseMs);
    return;
  }
  try {
    const { text } = await readLock(file);
    if (text === staleText) await rm(file, { force: true });
  } finally {
    await rm(guard, { force: true });
  }
}

function lockedMessage(folder: string, owner: LockOwner): string {
  const where = sameHost(owner) ? '' : ` on ${owner.host}`;
  const since = owner.startedAtMs > 0 ? ` since ${new Date(owner.startedAtMs).toLocaleString()}` : '';
  return `Another Rafter console (pid ${owner.pid}${where}${since}) is using ${folder}. Close it first, or give this console another folder (RAFTER_HOME for the web console).`;
}

export class FolderLock {
  private released = false;

  private constructor(readonly file: string) {}

  /** Takes the lock on `folder`; throws FolderLockedError when another live console holds it. */
  static async acquire(folder: string): Promise<FolderLock> {
    const file = path.join(folder, folderLockFileName);
    if (heldHere.has(file)) throw new FolderLockedError(`Another Rafter console in this process is using ${folder}.`);
    const self: LockOwner = { pid: process.pid, host: os.hostname(), bootId: await currentBootId(), startedAtMs: Date.now() };
    const record = JSON.stringify(self);
    for (let attempt = 0; attempt < acquireAttemptsMax; attempt++) {
      if (await createWith(file, record)) {
        heldHere.add(file);
        return new FolderLock(file);
      }
      const { owner, text } = await readLock(file);
      if (owner !== null && (await holds(owner))) throw new FolderLockedError(lockedMessage(folder, owner));
      await removeStale(file, text, record);
    }
    const { owner } = await readLock(file);
    if (owner !== null && (await holds(owner))) throw new FolderLockedError(lockedMessage(folder, owner));
    throw new FolderLockedError(`Could not take the lock ${file}; another console keeps taking it.`);
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    heldHere.delete(this.file);
    await rm(this.file, { force: true });
  }
}
