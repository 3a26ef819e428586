// An exclusive lock on the console's data folder, so two consoles (two web hosts, or the desktop
// app and a web host) never run the same local clusters or write the same files at once. The lock
// is a file created with O_EXCL holding the owner's pid; a lock whose process is gone (a crash) is
// taken over. It owns only the lock; the folder's contents belong to the AdminService.
import { open, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isProcessAlive } from '../util/processAlive.js';

/** Name of the lock file inside the data folder. */
export const folderLockFileName = 'console.lock';
/** Attempts to take the lock (a stale lock is removed between attempts). */
const acquireAttemptsMax = 3;

interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly startedAtMs: number;
}

/** Lock files held by this process (a second service in the same process is refused too). */
const heldHere = new Set<string>();

/** Thrown when another console holds the folder; the message says which and what to do. */
export class FolderLockedError extends Error {
  override readonly name = 'FolderLockedError';
}


async function readOwner(file: string): Promise<LockOwner | null> {
  try {
    const owner = JSON.parse(await readFile(file, 'utf8')) as Partial<LockOwner>;
    return typeof owner.pid === 'number' ? { pid: owner.pid, host: String(owner.host ?? ''), startedAtMs: Number(owner.startedAtMs ?? 0) } : null;
  } catch {
    return null; // unreadable or half-written: treated as stale
  }
}

export class FolderLock {
  private released = false;

  private constructor(readonly file: string) {}

  /** Takes the lock on `folder`; throws FolderLockedError when another live console holds it. */
  static async acquire(folder: string): Promise<FolderLock> {
    const file = path.join(folder, folderLockFileName);
    if (heldHere.has(file)) throw new FolderLockedError(`Another Rafter console in this process is using ${folder}.`);
    for (let attempt = 0; attempt < acquireAttemptsMax; attempt++) {
      try {
        const handle = await open(file, 'wx', 0o600);
        try {
          await handle.writeFile(JSON.stringify({ pid: process.pid, host: os.hostname(), startedAtMs: Date.now() } satisfies LockOwner));
        } finally {
          await handle.close();
        }
        heldHere.add(file);
        return new FolderLock(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const owner = await readOwner(file);
      const sameHost = owner === null || owner.host === '' || owner.host === os.hostname();
      if (owner !== null && (!sameHost || isProcessAlive(owner.pid))) {
        const since = owner.startedAtMs > 0 ? ` since ${new Date(owner.startedAtMs).toLocaleString()}` : '';
        throw new FolderLockedError(
          `Another Rafter console (pid ${owner.pid}${sameHost ? '' : ` on ${owner.host}`}${since}) is using ${folder}. Close it first, or give this console another folder (RAFTER_HOME for the web console).`,
        );
      }
      await rm(file, { force: true }); // its process is gone: a crash left it
    }
    throw new FolderLockedError(`Could not take the lock ${file}; another console keeps taking it.`);
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    heldHere.delete(this.file);
    await rm(this.file, { force: true });
  }
}
