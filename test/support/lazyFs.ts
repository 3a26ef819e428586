// Mounts test/support/lazyFs.py (a FUSE filesystem that holds unsynced writes in memory) for
// power-loss tests: `powerLoss()` kills the filesystem process, so every write not yet flushed or
// written back is gone, and mounts the backing directory again, as a machine would find its disk
// after the power came back. Processes using the mount must be killed first. Needs /dev/fuse,
// fusermount3 and Debian's python3-fusepy (run by /usr/bin/python3).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'lazyFs.py');
/** Polls (50 ms apart) of /proc/mounts for the mount to appear or go. */
const mountPollsMax = 200;
const pollPauseMs = 50;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function isMounted(mountpoint: string): Promise<boolean> {
  const mounts = await fs.readFile('/proc/mounts', 'utf8');
  return mounts.split('\n').some((line) => line.split(' ')[1] === mountpoint);
}

function run(command: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(command, args, (error, _stdout, stderr) => (error ? reject(new Error(`${command} ${args.join(' ')}: ${stderr || error.message}`)) : resolve()));
  });
}

export class LazyFs {
  private process: ChildProcess | undefined;
  private output = '';

  private constructor(
    readonly backingDir: string,
    readonly mountpoint: string,
    private readonly writebackMs: number,
  ) {}

  /** Mounts a lazy filesystem over `backingDir` at `mountpoint` (both made if missing). */
  static async mount(backingDir: string, mountpoint: string, writebackMs: number): Promise<LazyFs> {
    await fs.mkdir(backingDir, { recursive: true });
    await fs.mkdir(mountpoint, { recursive: true });
    const lazy = new LazyFs(backingDir, mountpoint, writebackMs);
    await lazy.start();
    return lazy;
  }

  private async start(): Promise<void> {
    const child = spawn('/usr/bin/python3', [script, this.backingDir, this.mountpoint, '--writeback-ms', String(this.writebackMs)], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.process = child;
    child.stdout.on('data', (chunk: Buffer) => (this.output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (this.output += chunk.toString('utf8')));
    for (let poll = 0; poll < mountPollsMax; poll++) {
      if (await isMounted(this.mountpoint)) return;
      if (child.exitCode !== null) break;
      await sleep(pollPauseMs);
    }
    child.kill('SIGKILL');
    throw new Error(`the lazy filesystem did not mount at ${this.mountpoint}:\n${this.output}`);
  }

  /** What the filesystem process printed (errors from its operations, if any). */
  get log(): string {
    return this.output;
  }

  /** Loses every write not flushed or written back, then mounts the backing directory again. */
  async powerLoss(): Promise<void> {
    await this.kill();
    await this.start();
  }

  private async kill(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (child && child.exitCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await exited;
    }
    // The dead filesystem leaves its mount behind ("transport endpoint is not connected").
    if (await isMounted(this.mountpoint)) await run('fusermount3', ['-u', '-z', this.mountpoint]);
    for (let poll = 0; poll < mountPollsMax && (await isMounted(this.mountpoint)); poll++) await sleep(pollPauseMs);
  }

  /** Unmounts (what was not written back is lost, as in a power loss). */
  async unmount(): Promise<void> {
    await this.kill();
  }
}
