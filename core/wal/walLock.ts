// Keeps two writers off one WAL directory: a lock file naming the owner's process id, created
// atomically (written under a private name, then hard-linked into place). A lock left by a process
// that died (SIGKILL, power loss) is taken over. Node has no flock, so liveness is checked by pid.
import fs from 'node:fs/promises';
import path from 'node:path';
import { WalLockedError } from './walErrors.js';
import { isProcessAlive } from '../util/processAlive.js';

export const lockFileName = 'wal.lock';
/** Attempts to take over a stale lock before giving up (another process may race for it). */
const lockAttemptsMax = 3;
/** Lock files held by this process, so a second open in the same process is refused too. */
const heldHere = new Set<string>();

/** A held lock; release it exactly once, when the WAL is closed. */
export class WalLock {
  private released = false;

  constructor(private readonly file: string) {}

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    heldHere.delete(this.file);
    await fs.rm(this.file, { force: true });
  }
}

/** Takes the lock of `dir`. Throws WalLockedError while a live owner holds it. */
export async function acquireWalLock(dir: string): Promise<WalLock> {
  const file = path.join(dir, lockFileName);
  if (heldHere.has(file)) throw new WalLockedError(`WAL in ${dir} is already open in this process`);
  const draft = `${file}.${process.pid}`;
  await fs.writeFile(draft, `${process.pid}\n`);
  try {
    for (let attempt = 0; attempt < lockAttemptsMax; attempt++) {
      try {
        await fs.link(draft, file);
        heldHere.add(file);
        return new WalLock(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const owner = Number.parseInt(await fs.readFile(file, 'utf8').catch(() => ''), 10);
      if (Number.isSafeInteger(owner) && owner !== process.pid && isProcessAlive(owner)) {
        throw new WalLockedError(`WAL in ${dir} is in use by process ${owner}`);
      }
      await fs.rm(file, { force: true });
    }
    throw new WalLockedError(`WAL in ${dir}: could not take over its stale lock`);
  } finally {
    await fs.rm(draft, { force: true });
  }
}

