// The console's data folder is locked while a console has it open: a second console — in this
// process or in another live process — is refused with a message naming the holder and the folder;
// a lock left behind by a process that is gone is taken over.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AdminService } from '../../core/admin/adminService.js';
import { appDataOptions } from '../../core/admin/appData.js';
import { folderLockFileName, FolderLockedError } from '../../core/admin/folderLock.js';

let dataDir: string;
const services: AdminService[] = [];

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'rafter-lock-'));
});

afterEach(async () => {
  for (const service of services.splice(0)) await service.close();
  await rm(dataDir, { recursive: true, force: true });
});

function service(): AdminService {
  const created = new AdminService(appDataOptions(dataDir, null));
  services.push(created);
  return created;
}

/** A live process that is not this one, for a lock some other console holds. */
function otherProcess(): { pid: number; stop: () => Promise<void> } {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { pid: child.pid!, stop: async () => { child.kill('SIGKILL'); await exited; } };
}

describe('the data folder lock', () => {
  it('refuses a second console on the same folder and lets the next one in once the first closed', async () => {
    const first = service();
    await first.open();
    const owner = JSON.parse(await readFile(path.join(dataDir, folderLockFileName), 'utf8')) as { pid: number };
    expect(owner.pid).toBe(process.pid);
    await expect(service().open()).rejects.toThrow(FolderLockedError);
    await first.close();
    await service().open();
  });

  it('names the live process that holds the folder, and takes the lock over once that process is gone', async () => {
    const other = otherProcess();
    try {
      await writeFile(path.join(dataDir, folderLockFileName), JSON.stringify({ pid: other.pid, host: os.hostname(), startedAtMs: Date.now() }));
      await expect(service().open()).rejects.toThrow(`Another Rafter console (pid ${other.pid}`);
      await expect(service().open()).rejects.toThrow(dataDir);
    } finally {
      await other.stop();
    }
    await service().open();
    const owner = JSON.parse(await readFile(path.join(dataDir, folderLockFileName), 'utf8')) as { pid: number };
    expect(owner.pid).toBe(process.pid);
  });

  it('takes over a lock file that is not a lock at all (a write cut short)', async () => {
    await writeFile(path.join(dataDir, folderLockFileName), '{"pi');
    await service().open();
  });
});
