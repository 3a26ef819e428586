// Real Rafter member processes for tests: the compiled `rafter` (dist/core/cli/main.js, built
// once per test run by test/support/buildOnce.ts) on 127.0.0.1 with free ports and data in a
// temporary directory. Members can be killed (SIGKILL), stopped, restarted, partitioned through
// the transport fault hooks, and driven with the real etcdctl.
// Either port may use https:// (the TLS flags go in extraArgs; `clientTls` is what the cluster's
// own HTTP calls — health, Raft status, faults — present and trust).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pollUntil, spawnMember, stopProcess } from './memberProcess.js';
import { freePorts } from './ports.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The compiled `rafter` (`npm run build`). */
export const rafterCli = path.join(root, 'dist', 'core', 'cli', 'main.js');
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
  /** Scheme of the client URLs (default http). */
  readonly clientScheme?: 'http' | 'https';
  /** Scheme of the peer URLs (default http). */
  readonly peerScheme?: 'http' | 'https';
  /** CA, certificate and key for the cluster's own HTTPS calls to its members. */
  readonly clientTls?: { readonly ca?: Buffer; readonly cert?: Buffer; readonly key?: Buffer; readonly rejectUnauthorized?: boolean };
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
    const client = options.clientScheme ?? 'http';
    const peer = options.peerScheme ?? 'http';
    const initialCluster = names.map((name, i) => `${name}=${peer}://127.0.0.1:${ports[i * 2 + 1]!}`).join(',');
    const members = names.map((name, i): RafterMember => ({
      name,
      clientPort: ports[i * 2]!,
      peerPort: ports[i * 2 + 1]!,
      clientUrl: `${client}://127.0.0.1:${ports[i * 2]!}`,
      peerUrl: `${peer}://127.0.0.1:${ports[i * 2 + 1]!}`,
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

  private args(member: RafterMember, extraArgs: readonly string[]): string[] {
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
      ...extraArgs,
    ];
  }

  private spawn(member: RafterMember, extraArgs: readonly string[] = []): void {
    if (!existsSync(rafterCli)) throw new Error(`${rafterCli} is missing: run \`npm run build\` first`);
    member.exitCode = null;
    const child = spawnMember({
      command: process.execPath,
      args: [rafterCli, ...this.args(member, extraArgs)],
      cwd: root,
      log: member.log,
      logLinesMax,
      // 'close' comes after the output is drained, so a failed start's log is complete.
      onClose: (code, signal) => {
        member.exitCode = code ?? (signal ? 128 : 1);
        if (member.process === child) member.process = undefined;
      },
    });
    member.process = child;
  }

  /** Polls /health until the member answers healthy; throws with its log if it never does. */
  async waitHealthy(member: RafterMember): Promise<void> {
    await pollUntil(
      async () => {
        if (member.process === undefined) throw new Error(`member ${member.name} exited with ${member.exitCode}:\n${member.log.join('\n')}`);
        const response = await this.request(member, '/health', 1_000).catch(() => null);
        return response?.status === 200;
      },
      { pollsMax: healthPollsMax, pauseMs: healthPollPauseMs, failure: () => new Error(`member ${member.name} never became healthy:\n${member.log.join('\n')}`) },
    );
  }

  async raftStatus(member: RafterMember): Promise<RaftStatusView> {
    const response = await this.request(member, '/rafter/v1/raft/status', 2_000);
    return JSON.parse(response.body) as RaftStatusView;
  }

  /** A GET (or, with a body, a POST) to a member's client port over http or https. */
  request(member: RafterMember, path: string, timeoutMs: number, body?: string): Promise<{ status: number; body: string }> {
    const url = new URL(path, member.clientUrl);
    const secure = url.protocol === 'https:';
    return new Promise((resolve, reject) => {
      // servername '': no SNI for an IP address (Node warns otherwise).
      const options = { method: body === undefined ? 'GET' : 'POST', timeout: timeoutMs, ...(secure ? { ...this.options.clientTls, servername: '' } : {}) };
      const request = (secure ? https : http).request(url, options, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      });
      request.on('timeout', () => request.destroy(new Error(`${path} did not answer within ${timeoutMs} ms`)));
      request.on('error', reject);
      request.end(body);
    });
  }

  /** The member every running member agrees is leader, waiting (bounded) until there is one. */
  async leader(excluding: readonly RafterMember[] = []): Promise<RafterMember> {
    let found: RafterMember | undefined;
    await pollUntil(
      async () => {
        const running = this.members.filter((m) => m.process !== undefined && !excluding.includes(m));
        const views = await Promise.all(running.map((m) => this.raftStatus(m).catch(() => null)));
        const leaders = new Set(views.map((v) => v?.status.leader ?? null));
        const [only] = [...leaders];
        if (leaders.size !== 1 || !only) return false;
        found = await this.memberById(only);
        return found !== undefined && found.process !== undefined;
      },
      { pollsMax: healthPollsMax, pauseMs: healthPollPauseMs, failure: () => new Error('the cluster agreed on no leader') },
    );
    return found!;
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
    const response = await this.request(member, '/rafter/v1/faults', 5_000, JSON.stringify({ delayMs: 0, ...faults }));
    if (response.status !== 200) throw new Error(`setting faults failed: ${response.body}`);
  }

  async kill(member: RafterMember, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await stopProcess(member.process, signal, stopTimeoutMs);
    member.process = undefined;
  }

  /** Starts a stopped member again, with `extraArgs` after its usual flags for this start only. */
  async restart(member: RafterMember, extraArgs: readonly string[] = []): Promise<void> {
    this.spawn(member, extraArgs);
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
    const peerUrl = `${this.options.peerScheme ?? 'http'}://127.0.0.1:${peerPort!}`;
    return {
      name, clientPort: clientPort!, peerPort: peerPort!, clientUrl: `${this.options.clientScheme ?? 'http'}://127.0.0.1:${clientPort!}`, peerUrl,
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
