// One `rafter` member process of a local cluster: spawning it with etcd-style flags, keeping a
// bounded tail of its log, waiting until it serves /health, and stopping, killing, pausing
// (SIGSTOP) or resuming it.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { LocalMemberInfo, LocalMemberState } from './api.js';
import { canBind } from './localPorts.js';
import { AdminFailure } from './result.js';

/** Lines of a member's log kept in memory. */
export const memberLogLinesKept = 2_000;
/** Health polls before a start is declared failed, and the pause between them. */
export const healthPollsMax = 600;
export const healthPollPauseMs = 50;
/** Time a member gets to exit after SIGTERM before it is killed. */
export const stopTimeoutMs = 10_000;

export interface LocalMemberSpec {
  name: string;
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  initialCluster: string;
  initialState: 'new' | 'existing';
  clusterToken: string;
  isLearner: boolean;
  /** A file the member appends its log to, besides the pipe the console reads. */
  logFile?: string;
}

/** Runs `rafter` with the given arguments: the command prefix plus member or snapshot flags. */
export type MemberCommand = readonly string[];

export class LocalMember {
  process: ChildProcess | null = null;
  state: LocalMemberState = 'stopped';
  memberId: string | null = null;
  /** Set when the user stopped the member and cleared when they start it: the app leaves it stopped on launch. */
  stoppedByUser = false;
  /** How the process last ended on its own ("code 1", "SIGSEGV"); null while running or after a stop or kill. */
  exit: string | null = null;
  readonly log: string[] = [];
  private exited: Promise<void> = Promise.resolve();

  constructor(
    readonly spec: LocalMemberSpec,
    private readonly command: MemberCommand,
    private readonly env: Readonly<Record<string, string>>,
    private readonly onLines: (lines: string[]) => void,
    /** Called when the member's state changes without a request (its process exited). */
    private readonly onExit: () => void = () => undefined,
  ) {}

  info(): LocalMemberInfo {
    return {
      name: this.spec.name,
      memberId: this.memberId,
      clientUrl: this.spec.clientUrl,
      peerUrl: this.spec.peerUrl,
      state: this.state,
      exit: this.state === 'exited' ? this.exit : null,
      pid: this.process?.pid ?? null,
      isLearner: this.spec.isLearner,
    };
  }

  private flags(): string[] {
    const { spec } = this;
    return [
      `--name=${spec.name}`,
      `--data-dir=${spec.dataDir}`,
      `--listen-client-urls=${spec.clientUrl}`,
      `--advertise-client-urls=${spec.clientUrl}`,
      `--listen-peer-urls=${spec.peerUrl}`,
      `--initial-advertise-peer-urls=${spec.peerUrl}`,
      `--initial-cluster=${spec.initialCluster}`,
      `--initial-cluster-state=${spec.initialState}`,
      `--initial-cluster-token=${spec.clusterToken}`,
      '--unsafe-fault-injection',
      '--log-level=info',
      ...(spec.logFile === undefined ? [] : [`--log-outputs=stderr,${spec.logFile}`]),
    ];
  }

  private record(chunk: Buffer): void {
    const lines = chunk.toString('utf8').split('\n').filter((line) => line.trim() !== '');
    this.log.push(...lines);
    if (this.log.length > memberLogLinesKept) this.log.splice(0, this.log.length - memberLogLinesKept);
    if (lines.length > 0) this.onLines(lines);
  }

  /**
   * Starts the process and resolves once it serves /health. Refuses when another program holds
   * one of the member's ports (its /health would answer for someone else); the log says which.
   */
  async start(): Promise<void> {
    if (this.process) throw new AdminFailure('failed_precondition', `${this.spec.name} is already running.`);
    const [executable, ...prefix] = this.command;
    if (executable === undefined) throw new AdminFailure('unavailable', 'No member command is configured.');
    for (const url of [this.spec.clientUrl, this.spec.peerUrl]) {
      const port = Number(new URL(url).port);
      if (await canBind(port)) continue;
      const message = `${this.spec.name} cannot start: another program is using its port ${port}; start it again once that port is free.`;
      this.record(Buffer.from(`${message}\n`));
      throw new AdminFailure('failed_precondition', message);
    }
    if (this.spec.logFile !== undefined) await mkdir(path.dirname(this.spec.logFile), { recursive: true });
    const child = spawn(executable, [...prefix, ...this.flags()], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...this.env } });
    this.process = child;
    this.state = 'starting';
    this.exit = null;
    child.stdout.on('data', (chunk: Buffer) => this.record(chunk));
    child.stderr.on('data', (chunk: Buffer) => this.record(chunk));
    this.exited = new Promise((resolve) => {
      child.once('close', (code, signal) => {
        const how = signal ?? `code ${code ?? 0}`;
        const ownExit = this.process === child && this.state !== 'killed' && this.state !== 'stopped';
        if (this.process === child) {
          this.process = null;
          if (ownExit) {
            this.state = 'exited';
            this.exit = how;
          }
        }
        this.record(Buffer.from(`process exited (${how})\n`));
        resolve();
        if (ownExit) this.onExit();
      });
    });
    child.once('error', (error) => this.record(Buffer.from(`cannot start: ${error.message}\n`)));
    await this.waitHealthy();
    this.state = 'running';
  }

  private async waitHealthy(): Promise<void> {
    for (let poll = 0; poll < healthPollsMax; poll++) {
      if (!this.process) {
        throw new AdminFailure('internal', `${this.spec.name} exited while starting:\n${this.log.slice(-20).join('\n')}`);
      }
      const healthy = await fetch(`${this.spec.clientUrl}/health`, { signal: AbortSignal.timeout(1_000) })
        .then((response) => response.ok)
        .catch(() => false);
      if (healthy) return;
      await delay(healthPollPauseMs);
    }
    throw new AdminFailure('deadline_exceeded', `${this.spec.name} did not become healthy:\n${this.log.slice(-20).join('\n')}`);
  }

  /** SIGSTOP: the process is frozen (its timers, its peers' connections) until `resume`. */
  pause(): void {
    const child = this.process;
    if (!child || this.state === 'starting') throw new AdminFailure('failed_precondition', `${this.spec.name} is not running.`);
    child.kill('SIGSTOP');
    this.state = 'paused';
  }

  /** SIGCONT after `pause`. */
  resume(): void {
    const child = this.process;
    if (!child || this.state !== 'paused') throw new AdminFailure('failed_precondition', `${this.spec.name} is not paused.`);
    child.kill('SIGCONT');
    this.state = 'running';
  }

  /** SIGTERM, then SIGKILL after stopTimeoutMs; resolves once the process has exited. */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child) return;
    const paused = this.state === 'paused';
    this.state = 'stopped';
    child.kill('SIGTERM');
    // A frozen process handles SIGTERM only once it runs again.
    if (paused) child.kill('SIGCONT');
    const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** SIGKILL, as a crash would; resolves once the process has exited. */
  async kill(): Promise<void> {
    const child = this.process;
    if (!child) return;
    this.state = 'killed';
    child.kill('SIGKILL');
    await this.exited;
  }

  /** Kills without waiting (service shutdown). */
  killNow(): void {
    this.process?.kill('SIGKILL');
  }
}

/** Runs `rafter <args>` to completion (snapshot restore); rejects with its output on failure. */
export function runMemberCommand(command: MemberCommand, env: Readonly<Record<string, string>>, args: readonly string[]): Promise<string> {
  const [executable, ...prefix] = command;
  if (executable === undefined) return Promise.reject(new AdminFailure('unavailable', 'No member command is configured.'));
  return new Promise((resolve, reject) => {
    const child = spawn(executable, [...prefix, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    const output: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk));
    child.once('error', (error) => reject(new AdminFailure('internal', error.message)));
    child.once('close', (code) => {
      const text = Buffer.concat(output).toString('utf8').trim();
      if (code === 0) resolve(text);
      else reject(new AdminFailure('failed_precondition', text || `rafter ${args[0] ?? ''} failed with code ${code ?? 'unknown'}`));
    });
  });
}
