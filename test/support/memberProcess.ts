// Process handling shared by the test clusters of real etcd (etcd.ts) and of Rafter
// (rafterCluster.ts): start a member process with its output kept as a bounded log, stop it with
// a signal and a bounded wait (then SIGKILL), and poll a condition a bounded number of times.
// What a member is and how it is addressed stays with each cluster.
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';

/** Appends a process's output to `log` line by line, keeping the last `linesMax` lines. */
export function appendLines(log: string[], chunk: Buffer | string, linesMax: number): void {
  for (const line of chunk.toString().split('\n')) {
    if (line.trim() === '') continue;
    log.push(line);
    if (log.length > linesMax) log.shift();
  }
}

export interface MemberProcessOptions {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  /** The whole environment of the process (default this process's). */
  readonly env?: NodeJS.ProcessEnv;
  /** Receives the last `logLinesMax` lines of stdout and stderr. */
  readonly log: string[];
  readonly logLinesMax: number;
  /** Called once the process has exited and its output is drained ('close'), or could not start. */
  readonly onClose: (code: number | null, signal: NodeJS.Signals | null, error?: Error) => void;
}

/** Starts a member process with its output going to `log`. */
export function spawnMember(options: MemberProcessOptions): ChildProcess {
  const child = spawn(options.command, [...options.args], {
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.env === undefined ? {} : { env: options.env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const append = (chunk: Buffer): void => appendLines(options.log, chunk, options.logLinesMax);
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  let closed = false;
  child.on('error', (error) => {
    if (closed) return;
    closed = true;
    options.onClose(null, null, error);
  });
  child.on('close', (code, signal) => {
    if (closed) return;
    closed = true;
    options.onClose(code, signal);
  });
  return child;
}

/** Whether the process has not exited yet. */
export function isRunning(child: ChildProcess | undefined): child is ChildProcess {
  return child !== undefined && child.exitCode === null && child.signalCode === null;
}

/** Sends `signal` and waits for the process to close; SIGKILL after `timeoutMs`. */
export async function stopProcess(child: ChildProcess | undefined, signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
  if (!isRunning(child)) return;
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await closed;
  clearTimeout(timer);
}

export interface PollOptions {
  readonly pollsMax: number;
  /** Pause between two polls that did not succeed. */
  readonly pauseMs: number;
  /** The error thrown after the last poll. */
  readonly failure: () => Error;
}

/**
 * Calls `attempt` until it returns true, at most `pollsMax` times. `attempt` throws to stop early
 * (a member that exited); any other failure it should catch itself and return false.
 */
export async function pollUntil(attempt: () => Promise<boolean>, options: PollOptions): Promise<void> {
  for (let poll = 0; poll < options.pollsMax; poll++) {
    if (await attempt()) return;
    await delay(options.pauseMs);
  }
  throw options.failure();
}
