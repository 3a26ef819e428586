// Whether a process id names a live process: used by the lock files (the WAL's, the console's
// data folder's) to tell a lock held by a running process from one a crash left behind.

/** True when `pid` is running; EPERM means it exists but belongs to another user. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
