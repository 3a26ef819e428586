// Real Rafter member processes for tests: `rafter` (core/cli/main.ts run with tsx) on 127.0.0.1
// with free ports and data in a temporary directory. Members can be killed (SIGKILL), stopped,
// restarted, partitioned through the transport fault hooks, and driven with the real etcdctl.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts } from './ports.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Health polls before a member is declared failed to start (each ~50 ms apart). */
const healthPollsMax = 400;
const healthPollPauseMs = 50;
const stopTimeoutMs = 10_000;
const logLinesMax = 200;

export interface RafterMember {
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  /** Rewritten when the member is removed and added back (test/support/memberReplacement.ts). */
  initialCluster: string;
  initialState: 'new' | 'existing';
  process: ChildProcess | undefined;
  readonly log: string[];
  exitCode: number | null;
}

export interface RafterClusterOptions {
  readonly members?: number;
  readonly snapshotCount?: number;
  /** Log entries the leader keeps behind a snapshot (etcd's default 5000). */
  readonly snapshotCatchupEntries?: number;
  readonly extraArgs?: readonly string[];
  /** Flags for single members by name, after `extraArgs` (a later flag wins). */
  readonly memberArgs?: Readonly<Record<string, readonly string[]>>;
  /** Directory under which the cluster's temporary directory is made (default the OS temp dir), e.g. a small tmpfs. */
  readonly parentDir?: string;
}

export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

export interface RaftStatusView {
  readonly memberId: string;
  readonly status: { term: number; leader: string | null; role: string; commit: number; applied: number; lastIndex: number; snapshotIndex: number };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the real etcdctl (API v3) and resolves with its output and exit code. */
export function etcdctl(endpoints: readonly string[], args: readonly string[], input?: string): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = execFile(
      'etcdctl',
      [`--endpoints=${endpoints.join(',')}`, '--command-timeout=10s', '--dial-timeout=3s', ...args],
      { env: { ...process.env, ETCDCTL_API: '3' }, timeout: 30_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : 1) : 0;
        resolve({ stdout, stderr, code });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/**
 * Runs a long-lived etcdctl command (watch, elect, lock) and resolves with its output as soon as
 * `done` accepts what it has printed; the process is then stopped. Rejects after `timeoutMs`.
 * With `resolveOnExit`, a command that ends by itself (a refused watch) resolves with what it
 * printed on stdout and stderr.
 */
export function etcdctlUntil(endpoints: readonly string[], args: readonly string[], done: (stdout: string) => boolean, timeoutMs = 20_000, resolveOnExit = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('etcdctl', [`--endpoints=${endpoints.join(',')}`, ...args], { env: { ...process.env, ETCDCTL_API: '3' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`etcdctl ${args.join(' ')} did not print what was expected within ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (done(stdout)) {
        clearTimeout(timer);
        child.kill('SIGTERM');
        resolve(stdout);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    if (resolveOnExit) {
      child.on('close', () => {
        clearTimeout(timer);
        resolve(`${stdout}${stderr}`);
      });
    }
  });
}

export class RafterCluster {
  private constructor(
    readonly baseDir: string,
    readonly members: RafterMember[],
    private readonly options: RafterClusterOptions,
  ) {}

  static async start(options: RafterClusterOptions = {}): Promise<RafterCluster> {
    const count = options.members ?? 3;
    const baseDir = await fs.mkdtemp(path.join(options.parentDir ?? os.tmpdir(), 'rafter-cluster-'));
    const ports = await freePorts(count * 2);
    const names = Array.from({ length: count }, (_, i) => `m${i + 1}`);
    const initialCluster = names.map((name, i) => `${name}=http://127.0.0.1:${ports[i * 2 + 1]!}`).join(',');
    const members = names.map((name, i): RafterMember => ({
      name,
      clientPort: ports[i * 2]!,
      peerPort: ports[i * 2 + 1]!,
      clientUrl: `http://127.0.0.1:${ports[i * 2]!}`,
      peerUrl: `http://127.0.0.1:${ports[i * 2 + 1]!}`,
      dataDir: path.join(baseDir, name),
      initialCluster,
      initialState: 'new',
      process: undefined,
      log: [],
      exitCode: null,
    }));
    const cluster = new RafterCluster(baseDir, members, options);
    try {
      for (const member of members) cluster.spawn(member);
      await Promise.all(members.map((member) => cluster.waitHealthy(member)));
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** Client endpoints of the running members, as host:port. */
  get endpoints(): string[] {
    return this.members.filter((m) => m.process !== undefined).map((m) => `127.0.0.1:${m.clientPort}`);
  }

  etcdctl(args: readonly string[], input?: string, endpoints: readonly string[] = this.endpoints): Promise<CommandResult> {
    return etcdctl(endpoints, args, input);
  }

  private args(member: RafterMember): string[] {
    return [
      `--name=${member.name}`,
      `--data-dir=${member.dataDir}`,
      `--listen-client-urls=${member.clientUrl}`,
      `--advertise-client-urls=${member.clientUrl}`,
      `--listen-peer-urls=${member.peerUrl}`,
      `--initial-advertise-peer-urls=${member.peerUrl}`,
      `--initial-cluster=${member.initialCluster}`,
      `--initial-cluster-state=${member.initialState}`,
      '--initial-cluster-token=rafter-test',
      `--snapshot-count=${this.options.snapshotCount ?? 10_000}`,
      `--experimental-snapshot-catchup-entries=${this.options.snapshotCatchupEntries ?? 5_000}`,
      '--unsafe-fault-injection',
      '--log-level=info',
      ...(this.options.extraArgs ?? []),
      ...(this.options.memberArgs?.[member.name] ?? []),
    ];
  }

  private spawn(member: RafterMember): void {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'core/cli/main.ts'), ...this.args(member)], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    member.process = child;
    member.exitCode = null;
    const push = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        member.log.push(line);
        if (member.log.length > logLinesMax) member.log.shift();
      }
    };
    child.stdout?.on('data', push);
    child.stderr?.on('data', push);
    // 'close' comes after the output is drained, so a failed start's log is complete.
    child.on('close', (code, signal) => {
      member.exitCode = code ?? (signal ? 128 : 1);
      if (member.process === child) member.process = undefined;
    });
  }

  /** Polls /health until the member answers healthy; throws with its log if it never does. */
  async waitHealthy(member: RafterMember): Promise<void> {
    for (let poll = 0; poll < healthPollsMax; poll++) {
      if (member.process === undefined) throw new Error(`member ${member.name} exited with ${member.exitCode}:\n${member.log.join('\n')}`);
      try {
        const response = await fetch(`${member.clientUrl}/health`, { signal: AbortSignal.timeout(1_000) });
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await sleep(healthPollPauseMs);
    }
    throw new Error(`member ${member.name} never became healthy:\n${member.log.join('\n')}`);
  }

  async raftStatus(member: RafterMember): Promise<RaftStatusView> {
    const response = await fetch(`${member.clientUrl}/rafter/v1/raft/status`, { signal: AbortSignal.timeout(2_000) });
    return (await response.json()) as RaftStatusView;
  }

  /** The member every running member agrees is leader, waiting (bounded) until there is one. */
  async leader(excluding: readonly RafterMember[] = []): Promise<RafterMember> {
    for (let poll = 0; poll < healthPollsMax; poll++) {
      const running = this.members.filter((m) => m.process !== undefined && !excluding.includes(m));
      const views = await Promise.all(running.map((m) => this.raftStatus(m).catch(() => null)));
      const leaders = new Set(views.map((v) => v?.status.leader ?? null));
      const [only] = [...leaders];
      if (leaders.size === 1 && only) {
        const member = await this.memberById(only);
        if (member && member.process !== undefined) return member;
      }
      await sleep(healthPollPauseMs);
    }
    throw new Error('the cluster agreed on no leader');
  }

  async memberById(id: string): Promise<RafterMember | undefined> {
    for (const member of this.members) {
      if (member.process === undefined) continue;
      const view = await this.raftStatus(member).catch(() => null);
      if (view?.memberId === id) return member;
    }
    return undefined;
  }

  /** Sets the transport faults of one member (drop to/from peers by member id; see TransportFaults). */
  async setFaults(member: RafterMember, faults: { dropTo: string[]; dropFrom: string[]; delayMs?: number; holdSnapshots?: boolean }): Promise<void> {
    const response = await fetch(`${member.clientUrl}/rafter/v1/faults`, { method: 'POST', body: JSON.stringify({ delayMs: 0, ...faults }) });
    if (!response.ok) throw new Error(`setting faults failed: ${await response.text()}`);
  }

  async kill(member: RafterMember, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = member.process;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
    await exited;
    clearTimeout(timer);
    member.process = undefined;
  }

  async restart(member: RafterMember): Promise<void> {
    this.spawn(member);
    await this.waitHealthy(member);
  }

  /** Starts several stopped members together (none is healthy alone when they are a majority). */
  async restartAll(members: readonly RafterMember[]): Promise<void> {
    for (const member of members) this.spawn(member);
    await Promise.all(members.map((member) => this.waitHealthy(member)));
  }

  /** Addresses for a member that will join with --initial-cluster-state existing. */
  async reserveMember(name: string): Promise<RafterMember> {
    const [clientPort, peerPort] = await freePorts(2);
    const peerUrl = `http://127.0.0.1:${peerPort!}`;
    return {
      name, clientPort: clientPort!, peerPort: peerPort!, clientUrl: `http://127.0.0.1:${clientPort!}`, peerUrl,
      dataDir: path.join(this.baseDir, name),
      initialCluster: [...this.members.map((m) => `${m.name}=${m.peerUrl}`), `${name}=${peerUrl}`].join(','),
      initialState: 'existing', process: undefined, log: [], exitCode: null,
    };
  }

  async startJoining(member: RafterMember): Promise<void> {
    this.members.push(member);
    this.spawn(member);
    await this.waitHealthy(member);
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => this.kill(m, 'SIGTERM')));
    await fs.rm(this.baseDir, { recursive: true, force: true });
  }
}
