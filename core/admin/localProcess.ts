// One supervised child process the console runs on this machine (a member of a local cluster or
// its grpc-proxy): spawning it, keeping a bounded tail of its log, waiting until it answers on its
// client URL, and stopping or killing it. What to run and what "ready" means are the subclass's.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { LocalMemberState, TlsConfig } from './api.js';
import { canBind } from './localPorts.js';
import { memberRequest } from './memberHttp.js';
import { AdminFailure } from './result.js';

/** Lines of a process's log kept in memory. */
export const memberLogLinesKept = 2_000;
/** Readiness polls before a start is declared failed, and the pause between them. */
export const healthPollsMax = 600;
export const healthPollPauseMs = 50;
/** Time a process gets to exit after SIGTERM before it is killed. */
export const stopTimeoutMs = 10_000;

/** Runs `rafter` with the given arguments: the command prefix plus member, proxy or snapshot flags. */
export type MemberCommand = readonly string[];

export abstract class LocalProcess {
  process: ChildProcess | null = null;
  state: LocalMemberState = 'stopped';
  /** Set when the user stopped the process and cleared when they start it: the app leaves it stopped on launch. */
  stoppedByUser = false;
  /** How the process last ended on its own ("code 1", "SIGSEGV"); null while running or after a stop or kill. */
  exit: string | null = null;
  readonly log: string[] = [];
  private exited: Promise<void> = Promise.resolve();

  constructor(
    private readonly command: MemberCommand,
    private readonly env: Readonly<Record<string, string>>,
    private readonly onLines: (lines: string[]) => void,
    /** Called when the state changes without a request (the process exited). */
    private readonly onExit: () => void = () => undefined,
  ) {}

  /** The name the log and errors use ("m1", "proxy"). */
  protected abstract get label(): string;
  /** The arguments after the command prefix. */
  protected abstract arguments(): string[];
  /** Ports the process listens on; a start is refused while another program holds one. */
  protected abstract ports(): number[];
  /** The URL that answers 200 once the process serves. */
  protected abstract readyUrl(): string;

  /** How to reach readyUrl() over TLS (https:// URLs); undefined: plaintext or default trust. */
  protected readyTls(): TlsConfig | undefined {
    return undefined;
  }
  /** A file the process appends its log to itself, whose folder must exist; undefined when none. */
  protected logFile(): string | undefined {
    return undefined;
  }

  protected record(chunk: Buffer): void {
    const lines = chunk.toString('utf8').split('\n').filter((line) => line.trim() !== '');
    this.log.push(...lines);
    if (this.log.length > memberLogLinesKept) this.log.splice(0, this.log.length - memberLogLinesKept);
    if (lines.length > 0) this.onLines(lines);
  }

  /**
   * Starts the process and resolves once it is ready. Refuses when another program holds one of
   * its ports (its answers would be someone else's); the log says which.
   */
  async start(): Promise<void> {
    if (this.process) throw new AdminFailure('failed_precondition', `${this.label} is already running.`);
    const [executable, ...prefix] = this.command;
    if (executable === undefined) throw new AdminFailure('unavailable', 'No member command is configured.');
    for (const port of this.ports()) {
      if (await canBind(port)) continue;
      const message = `${this.label} cannot start: another program is using its port ${port}; start it again once that port is free.`;
      this.record(Buffer.from(`${message}\n`));
      throw new AdminFailure('failed_precondition', message);
    }
    const logFile = this.logFile();
    if (logFile !== undefined) await mkdir(path.dirname(logFile), { recursive: true });
    const child = spawn(executable, [...prefix, ...this.arguments()], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...this.env } });
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
    await this.waitReady();
    this.state = 'running';
  }

  private async waitReady(): Promise<void> {
    for (let poll = 0; poll < healthPollsMax; poll++) {
      if (!this.process) {
        throw new AdminFailure('internal', `${this.label} exited while starting:\n${this.log.slice(-20).join('\n')}`);
      }
      const ready = await memberRequest(this.readyUrl(), this.readyTls(), { method: 'GET', timeoutMs: 1_000 })
        .then((response) => response.status >= 200 && response.status < 300)
        .catch(() => false);
      if (ready) return;
      await delay(healthPollPauseMs);
    }
    throw new AdminFailure('deadline_exceeded', `${this.label} did not become healthy:\n${this.log.slice(-20).join('\n')}`);
  }

  /** SIGTERM, then SIGKILL after stopTimeoutMs; resolves once the process has exited. */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child) return;
    this.state = 'stopped';
    child.kill('SIGTERM');
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
