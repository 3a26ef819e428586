// Builds and runs bench/goloadgen, the load generator on etcd's Go client (clientv3). It builds
// offline in GOPATH mode from the sources Debian's golang-etcd-server-dev installs under
// /usr/share/gocode (no module downloads); where Go or those sources are missing, `build`
// says why and the benchmark falls back to bench/loadgen.ts.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Where Debian's golang-*-dev packages put their sources (a GOPATH). */
export const debianGoPath = '/usr/share/gocode';
const clientSources = path.join(debianGoPath, 'src/go.etcd.io/etcd/clientv3');
/** The first build compiles etcd's client and gRPC from source (~40 s on 2 busy cores). */
const buildTimeoutMs = 600_000;

/** What the load generator prints (bench/goloadgen/main.go `result`; bench/loadgen.ts prints the first fields). */
export interface LoadResult {
  readonly op: string;
  readonly seconds: number;
  readonly ops: number;
  readonly opsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly firstError: string;
  /** Requests sent over the whole run, warm-up and seeding included (Go only). */
  readonly opsAll?: number;
  /** The load generator's own CPU time (Go only). */
  readonly cpuSeconds?: number;
  readonly eventsExpected?: number;
  readonly eventsDelivered?: number;
}

export type GoBuild = { readonly ok: true; readonly binary: string } | { readonly ok: false; readonly reason: string };

function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd: root, env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')}: ${stderr || error.message}`));
      else resolve({ stdout, stderr });
    });
  });
}

/** Builds the Go load generator into `outDir`, or says why it cannot. */
export async function buildGoLoadgen(outDir: string): Promise<GoBuild> {
  try {
    await run('go', ['version'], process.env, 30_000);
  } catch {
    return { ok: false, reason: 'no `go` on PATH (install golang-go and golang-etcd-server-dev)' };
  }
  try {
    await fs.access(clientSources);
  } catch {
    return { ok: false, reason: `etcd's Go client sources are missing (${clientSources}; install golang-etcd-server-dev)` };
  }
  const binary = path.join(outDir, 'goloadgen');
  const env: NodeJS.ProcessEnv = { ...process.env, GO111MODULE: 'off', GOPATH: debianGoPath, GOFLAGS: '', GOPROXY: 'off' };
  if (env['GOCACHE'] === undefined && env['HOME'] === undefined) env['GOCACHE'] = path.join(outDir, 'go-cache');
  try {
    await run('go', ['build', '-o', binary, './bench/goloadgen'], env, buildTimeoutMs);
  } catch (error) {
    return { ok: false, reason: `go build failed: ${error instanceof Error ? error.message : String(error)}` };
  }
  return { ok: true, binary };
}

/**
 * Runs a load generator (the Go binary, or bench/loadgen.ts when `binary` is undefined) with
 * the given flags and returns what it printed.
 */
export async function runLoad(binary: string | undefined, endpoints: readonly string[], args: readonly string[], timeoutMs: number): Promise<LoadResult> {
  const common = ['--endpoints', endpoints.join(','), ...args];
  const { stdout } = binary === undefined
    ? await run(process.execPath, ['--import', 'tsx', path.join(root, 'bench/loadgen.ts'), ...common], process.env, timeoutMs)
    : await run(binary, common, process.env, timeoutMs);
  return JSON.parse(stdout) as LoadResult;
}

/** Where a workload's clients go: the leader, or one follower (see endpointsFor). */
export type Target = 'leader' | 'follower';

/** Whether the member serving `endpoint` says it leads: `etcd_server_is_leader 1` in its /metrics, as etcd's. */
async function isLeader(endpoint: string): Promise<boolean> {
  const response = await fetch(`http://${endpoint}/metrics`, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`${endpoint}/metrics answered ${response.status}`);
  return /^etcd_server_is_leader 1$/m.test(await response.text());
}

/**
 * The endpoints a workload's clients use (host:port, plaintext): all of them when `target` is
 * undefined or there is one member, else the leader's, or the first follower's. Works on Rafter
 * and on etcd alike; throws unless exactly one member says it leads.
 */
export async function endpointsFor(endpoints: readonly string[], target: Target | undefined): Promise<readonly string[]> {
  if (target === undefined || endpoints.length < 2) return endpoints;
  const leading = await Promise.all(endpoints.map(isLeader));
  if (leading.filter(Boolean).length !== 1) throw new Error(`not exactly one leader among ${endpoints.join(', ')}`);
  return [endpoints[leading.indexOf(target === 'leader')]!];
}
