// `npm run bench`: a Rafter cluster and a real etcd 3.4 cluster (Debian's etcd) running side by
// side on loopback, data on disk with fsync on, driven by the same load generator in its own
// process. Runs alternate between the two (A/B pairs, the order swapped every pair, medians
// reported) so that noise from other work on the machine hits both. For each side it reads the
// members' CPU time from /proc/<pid>/stat around every run and prints server CPU per operation.
//
// The load generator is bench/goloadgen (etcd's Go client, built with Debian's golang-go and
// golang-etcd-server-dev); without them it falls back to bench/loadgen.ts, which tops out
// lower and runs only the put and single-key range workloads. Its ceiling against a server that
// does no work is printed first: a figure near it measures the generator, not the server.
//
//   npm run bench -- [--quick] [--members 3|1] [--pairs 3] [--seconds 10] [--puts 40000] [--node]
//   npm run bench -- --big 1000000     # only: memory, data size and restart time with N keys
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RafterCluster } from '../test/support/rafterCluster.js';
import { EtcdTestCluster } from '../test/support/etcd.js';
import { buildGoLoadgen, endpointsFor, runLoad, type LoadResult, type Target } from './goLoadgen.js';
import { residentBytes, residentKinds, totalCpuSeconds } from './procStat.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Options {
  readonly quick: boolean;
  readonly members: 'both' | '3' | '1';
  readonly pairs: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly puts: number;
  readonly forceNode: boolean;
  /** With --big N: only the big-store comparison, N keys. */
  readonly big: number;
}

interface Workload {
  readonly name: string;
  readonly args: readonly string[];
  /** Needs the Go load generator (bench/loadgen.ts has only put and single-key ranges). */
  readonly goOnly?: boolean;
  /**
   * Sends every request to the leader or to one follower, found before each run, instead of
   * spreading the clients over all members (only on a cluster of more than one).
   */
  readonly target?: Target;
}

const threeMemberWorkloads: readonly Workload[] = [
  { name: 'put, 1 client on the leader (sequential)', args: ['--op', 'put', '--clients', '1', '--conns', '1'], target: 'leader' },
  { name: 'put, 1 client on a follower (sequential)', args: ['--op', 'put', '--clients', '1', '--conns', '1'], target: 'follower' },
  { name: 'put, 100 clients', args: ['--op', 'put', '--clients', '100', '--conns', '10'] },
  { name: 'put, 1,000 clients', args: ['--op', 'put', '--clients', '1000', '--conns', '100'] },
  { name: 'txn compare+put, 100 clients', args: ['--op', 'txn', '--clients', '100', '--conns', '10'], goOnly: true },
  { name: 'linearizable range, 100 clients', args: ['--op', 'range-linearizable', '--clients', '100', '--conns', '10'] },
  { name: 'serializable range, 100 clients', args: ['--op', 'range-serializable', '--clients', '100', '--conns', '10'] },
  { name: '1,000-key range, 100 clients', args: ['--op', 'range-prefix', '--range-keys', '1000', '--clients', '100', '--conns', '10'], goOnly: true },
  { name: 'watch, 1,000 watchers, 1,000 writes/s †', args: ['--op', 'watch', '--watchers', '1000', '--rate', '1000', '--conns', '10'], goOnly: true },
];

const oneMemberWorkloads: readonly Workload[] = [
  { name: 'put, 100 clients', args: ['--op', 'put', '--clients', '100', '--conns', '10'] },
];

function parseOptions(argv: readonly string[]): Options {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const quick = argv.includes('--quick');
  const members = get('members') ?? 'both';
  if (members !== 'both' && members !== '3' && members !== '1') throw new Error(`--members must be 3 or 1, not ${members}`);
  return {
    quick,
    members,
    pairs: Number(get('pairs') ?? (quick ? 1 : 3)),
    seconds: Number(get('seconds') ?? (quick ? 3 : 10)),
    warmupSeconds: quick ? 0.5 : 1,
    puts: Number(get('puts') ?? (quick ? 10_000 : 40_000)),
    forceNode: argv.includes('--node'),
    big: Number(get('big') ?? 0),
  };
}

/** One side of a comparison: a running cluster's endpoints and its member processes. */
interface Side {
  readonly name: 'Rafter' | 'etcd';
  readonly endpoints: readonly string[];
  readonly pids: readonly number[];
}

interface Run {
  readonly load: LoadResult;
  readonly serverCpuSeconds: number;
  readonly wallSeconds: number;
}

interface Bench {
  readonly options: Options;
  /** The Go binary, or undefined to use bench/loadgen.ts. */
  readonly binary: string | undefined;
}

async function measure(bench: Bench, side: Side, workload: Workload): Promise<Run> {
  const { seconds, warmupSeconds } = bench.options;
  const endpoints = await endpointsFor(side.endpoints, workload.target);
  const args = workload.args;
  const before = await totalCpuSeconds(side.pids);
  const started = performance.now();
  const load = await runLoad(bench.binary, endpoints, [...args, '--seconds', String(seconds), '--warmup', String(warmupSeconds)], (seconds + warmupSeconds + 180) * 1000);
  const wallSeconds = (performance.now() - started) / 1000;
  const serverCpuSeconds = (await totalCpuSeconds(side.pids)) - before;
  if (load.errors > 0) process.stdout.write(`  ${side.name}: ${load.errors} errors, first: ${load.firstError}\n`);
  return { load, serverCpuSeconds, wallSeconds };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Server CPU per request in µs: the members' CPU over the whole run over every request sent. */
function cpuMicrosPerOp(run: Run): number {
  const ops = run.load.opsAll ?? run.load.ops;
  return ops > 0 ? (run.serverCpuSeconds / ops) * 1e6 : Number.NaN;
}

interface Summary {
  readonly opsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly cpuMicrosPerOp: number;
  readonly cpuCores: number;
}

function summarise(runs: readonly Run[]): Summary {
  return {
    opsPerSecond: median(runs.map((r) => r.load.opsPerSecond)),
    p50Ms: median(runs.map((r) => r.load.p50Ms)),
    p99Ms: median(runs.map((r) => r.load.p99Ms)),
    cpuMicrosPerOp: median(runs.map(cpuMicrosPerOp)),
    cpuCores: median(runs.map((r) => r.serverCpuSeconds / r.wallSeconds)),
  };
}

const cell = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '–');

const tableHeader = '| workload | Rafter ops/s | p50 ms | p99 ms | etcd ops/s | p50 ms | p99 ms | ops/s ratio | p99 ratio | Rafter CPU µs/op | etcd CPU µs/op |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|';

function row(name: string, rafter: Summary, etcd: Summary): string {
  return `| ${name} | ${cell(rafter.opsPerSecond)} | ${cell(rafter.p50Ms, 2)} | ${cell(rafter.p99Ms, 2)} | ${cell(etcd.opsPerSecond)} | ${cell(etcd.p50Ms, 2)} | ${cell(etcd.p99Ms, 2)} | ${cell(rafter.opsPerSecond / etcd.opsPerSecond, 2)} | ${cell(rafter.p99Ms / etcd.p99Ms, 2)} | ${cell(rafter.cpuMicrosPerOp)} | ${cell(etcd.cpuMicrosPerOp)} |`;
}

/**
 * Puts at 100 clients on each side, not measured, before the first workload: a member that has
 * served for a while has its hot paths compiled (V8 optimises a function only after many calls),
 * and without this the first workload, the sequential put, measured Rafter's start-up instead.
 */
async function warmUp(bench: Bench, sides: readonly [Side, Side]): Promise<void> {
  const seconds = bench.options.quick ? 2 : 5;
  for (const side of sides) await runLoad(bench.binary, side.endpoints, ['--op', 'put', '--clients', '100', '--conns', '10', '--seconds', String(seconds)], (seconds + 180) * 1000);
}

/** Runs each workload in A/B pairs on the two sides and returns the table's rows. */
async function compareWorkloads(bench: Bench, sides: readonly [Side, Side], workloads: readonly Workload[]): Promise<string[]> {
  const rows: string[] = [];
  await warmUp(bench, sides);
  for (const workload of workloads) {
    if (workload.goOnly === true && bench.binary === undefined) {
      rows.push(`| ${workload.name} | skipped: needs the Go load generator | | | | | | | | | |`);
      process.stdout.write(`${rows.at(-1)!}\n`);
      continue;
    }
    const runs = new Map<string, Run[]>([['Rafter', []], ['etcd', []]]);
    for (let pair = 0; pair < bench.options.pairs; pair++) {
      const order = pair % 2 === 0 ? sides : ([sides[1], sides[0]] as const);
      for (const side of order) runs.get(side.name)!.push(await measure(bench, side, workload));
    }
    rows.push(row(workload.name, summarise(runs.get('Rafter')!), summarise(runs.get('etcd')!)));
    process.stdout.write(`${rows.at(-1)!}\n`);
  }
  return rows;
}

async function withClusters<T>(members: 1 | 3, body: (sides: readonly [Side, Side]) => Promise<T>): Promise<T> {
  const rafter = await RafterCluster.start({ members, extraArgs: ['--log-level=warn'] });
  try {
    const etcd = await EtcdTestCluster.start({ members });
    try {
      const pidsOf = (processes: readonly ({ pid?: number | undefined } | undefined)[]): number[] => processes.map((p) => {
        if (p?.pid === undefined) throw new Error('a member has no process');
        return p.pid;
      });
      return await body([
        { name: 'Rafter', endpoints: rafter.endpoints, pids: pidsOf(rafter.members.map((m) => m.process)) },
        { name: 'etcd', endpoints: etcd.endpoints.map((url) => url.replace(/^https?:\/\//, '')), pids: pidsOf(etcd.members.map((m) => m.process)) },
      ]);
    } finally {
      await etcd.stop();
    }
  } finally {
    await rafter.stop();
  }
}

/** `puts` puts at 100 clients on a fresh member: CPU per put and resident memory afterwards. */
async function putsThenMemory(bench: Bench, side: Side, puts: number): Promise<string> {
  const before = await totalCpuSeconds(side.pids);
  const load = await runLoad(bench.binary, side.endpoints, ['--op', 'put', '--clients', '100', '--conns', '10', '--total', String(puts)], 600_000);
  const cpu = (await totalCpuSeconds(side.pids)) - before;
  const rss = await residentBytes(side.pids[0]!);
  return `| ${side.name} | ${cell(puts)} | ${cell(load.opsPerSecond)} | ${cell((cpu / puts) * 1e6)} | ${cell(rss / 2 ** 20)} |`;
}

/** Bytes under a directory (files only). */
async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await fs.stat(path.join(entry.parentPath, entry.name))).size;
  }
  return total;
}

/**
 * `--big N`: on a fresh 1-member cluster of each side, N distinct keys (256-byte values) put at 100
 * clients; then the member's resident memory (anonymous, and file-backed: mapped database pages),
 * its data directory's size, and a restart (SIGTERM, start on the same data) timed until /health
 * answers, with the resident memory once it serves.
 */
async function bigStore(bench: Bench, keys: number): Promise<string[]> {
  if (bench.binary === undefined) return ['skipped: --big needs the Go load generator'];
  const load = ['--op', 'put', '--clients', '100', '--conns', '10', '--keys', String(keys), '--total', String(keys)];
  const rows: string[] = [];
  const measureSide = async (name: string, endpoints: readonly string[], pid: () => number, dataDir: string, stop: () => Promise<void>, start: () => Promise<void>): Promise<void> => {
    const before = await totalCpuSeconds([pid()]);
    const result = await runLoad(bench.binary, endpoints, load, 3_600_000);
    const cpu = (await totalCpuSeconds([pid()])) - before;
    const loaded = await residentKinds(pid());
    await stop();
    const bytes = await directoryBytes(dataDir);
    const started = performance.now();
    let restarted = 'never healthy';
    let after = { anon: Number.NaN, file: Number.NaN };
    try {
      await start();
      restarted = cell((performance.now() - started) / 1000, 2);
      after = await residentKinds(pid());
    } catch (error) {
      process.stdout.write(`${name} restart failed: ${error instanceof Error ? error.message.split('\n')[0]! : String(error)}\n`);
    }
    const mb = (n: number): string => cell(n / 2 ** 20);
    rows.push(`| ${name} | ${cell(keys)} | ${cell(result.opsPerSecond)} | ${cell((cpu / keys) * 1e6)} | ${mb(loaded.anon)} + ${mb(loaded.file)} | ${mb(bytes)} | ${restarted} | ${mb(after.anon)} + ${mb(after.file)} |`);
    process.stdout.write(`${rows.at(-1)!}\n`);
  };
  const rafter = await RafterCluster.start({ members: 1, extraArgs: ['--log-level=warn'] });
  try {
    const member = rafter.members[0]!;
    await measureSide('Rafter', rafter.endpoints, () => member.process!.pid!, member.dataDir, () => rafter.kill(member, 'SIGTERM'), () => rafter.restart(member));
  } finally {
    await rafter.stop();
  }
  const etcd = await EtcdTestCluster.start({ members: 1 });
  try {
    const member = etcd.members[0]!;
    await measureSide('etcd', etcd.endpoints.map((url) => url.replace(/^https?:\/\//, '')), () => member.process!.pid!, member.dataDir, () => etcd.stopMember(member), () => etcd.startMember(member));
  } finally {
    await etcd.stop();
  }
  return rows;
}

/** A no-op server's process and its port, once it prints the port it listens on. */
async function startStub(command: string, args: readonly string[]): Promise<{ pid: number; port: string; stop: () => void }> {
  const stub = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve) => stub.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim())));
  return { pid: stub.pid!, port, stop: () => stub.kill('SIGTERM') };
}

/** Puts at 100 clients against a no-op server: the generator's figures and the server's CPU. */
async function loadStub(bench: Bench, stub: { pid: number; port: string }): Promise<{ load: LoadResult; stubCpu: number }> {
  const before = await totalCpuSeconds([stub.pid]);
  const load = await runLoad(bench.binary, [`127.0.0.1:${stub.port}`], ['--op', 'put', '--clients', '100', '--conns', '10', '--seconds', String(bench.options.seconds), '--warmup', String(bench.options.warmupSeconds)], (bench.options.seconds + 120) * 1000);
  return { load, stubCpu: (await totalCpuSeconds([stub.pid])) - before };
}

/** The load generator against a gRPC server that does no work. */
async function ceiling(bench: Bench): Promise<string> {
  const stub = bench.binary === undefined
    ? await startStub(process.execPath, ['--import', 'tsx', path.join(root, 'bench/stubServer.ts'), '0'])
    : await startStub(bench.binary, ['--stub', '127.0.0.1:0']);
  try {
    const { load, stubCpu } = await loadStub(bench, stub);
    const own = load.cpuSeconds !== undefined && load.opsAll !== undefined ? `; the generator's own CPU ${cell((load.cpuSeconds / load.opsAll) * 1e6)} µs/op, the no-op server's ${cell((stubCpu / load.opsAll) * 1e6)} µs/op` : '';
    return `load generator ceiling (put, 100 clients, no-op server): ${cell(load.opsPerSecond)} ops/s, p50 ${cell(load.p50Ms, 2)} ms, p99 ${cell(load.p99Ms, 2)} ms${own}`;
  } finally {
    stub.stop();
  }
}

/**
 * The same load against two no-op servers: one on Rafter's own call path (bench/framedStub.ts:
 * framedHttp2.ts and the fast unary path, with the real codecs), whose CPU per call is the floor
 * under every Rafter unary call; and one on node:http2 (bench/http2Stub.ts), what that layer cost
 * before Rafter framed HTTP/2 itself.
 */
async function http2Floors(bench: Bench): Promise<string[]> {
  if (bench.binary === undefined) return ['HTTP/2 floors: not measured (they need the Go load generator)'];
  const stubs = [
    { file: 'bench/framedStub.ts', what: "Rafter's call path floor (the same load, a no-op server on framedHttp2.ts and the fast unary path)" },
    { file: 'bench/http2Stub.ts', what: 'node:http2 floor (the same load, a no-op server on node:http2, as the client port was before)' },
  ];
  const lines: string[] = [];
  for (const { file, what } of stubs) {
    const stub = await startStub(process.execPath, ['--import', 'tsx', path.join(root, file), '0']);
    try {
      const { load, stubCpu } = await loadStub(bench, stub);
      const ops = load.opsAll ?? load.ops;
      lines.push(`${what}: ${cell(load.opsPerSecond)} calls/s, ${cell((stubCpu / ops) * 1e6, 1)} µs of the server's CPU per call${load.errors > 0 ? `, ${load.errors} errors` : ''}`);
    } finally {
      stub.stop();
    }
  }
  return lines;
}

const bigHeader = [
  '| server | keys | puts/s | CPU µs/put | RSS MB loaded (anon + file) | data MB | restart s (until /health) | RSS MB after restart (anon + file) |',
  '|---|---:|---:|---:|---:|---:|---:|---:|',
];

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  let binary: string | undefined;
  const buildDir = await fs.mkdtemp(path.join(os.tmpdir(), 'rafter-bench-'));
  try {
    if (options.forceNode) process.stdout.write('load generator: bench/loadgen.ts (--node)\n');
    else {
      const build = await buildGoLoadgen(buildDir);
      if (build.ok) {
        binary = build.binary;
        process.stdout.write('load generator: bench/goloadgen (etcd clientv3)\n');
      } else process.stdout.write(`load generator: bench/loadgen.ts — the Go load generator is unavailable: ${build.reason}\n`);
    }
    const bench: Bench = { options, binary };
    const loadAverage = (): string => os.loadavg().map((n) => n.toFixed(1)).join(' ');
    const what = options.big > 0 ? `one load of ${cell(options.big)} keys per side` : `${options.pairs} A/B pair(s) of ${options.seconds} s (after ${options.warmupSeconds} s warm-up) per workload, medians`;
    const notes = [`${new Date().toISOString().slice(0, 10)}, ${what}; load average at start ${loadAverage()}`];
    notes.push(await ceiling(bench));
    process.stdout.write(`${notes.at(-1)!}\n`);
    if (options.big === 0) {
      for (const line of await http2Floors(bench)) {
        notes.push(line);
        process.stdout.write(`${line}\n`);
      }
    }
    const out: string[] = [];
    if (options.big > 0) {
      process.stdout.write(`\n1 member, ${cell(options.big)} keys\n${bigHeader.join('\n')}\n`);
      const rows = await bigStore(bench, options.big);
      out.push(`### 1 member, ${cell(options.big)} keys of 256 bytes`, '', ...bigHeader, ...rows, '');
      notes.push(`load average at end ${loadAverage()}`);
      process.stdout.write(`\n${out.join('\n')}\n${notes.join('\n')}\n`);
      return;
    }
    if (options.members !== '1') {
      process.stdout.write(`\n3 members\n${tableHeader}\n`);
      const rows = await withClusters(3, (sides) => compareWorkloads(bench, sides, threeMemberWorkloads));
      out.push('### 3 members', '', tableHeader, ...rows, '',
        '† watch: ops/s is the write rate the server took; p50/p99 are the delay from a put being sent to its event reaching a watcher; CPU per write.', '');
    }
    if (options.members !== '3') {
      process.stdout.write(`\n1 member\n${tableHeader}\n`);
      const { rows, memory } = await withClusters(1, async (sides) => {
        const memory: string[] = [];
        if (binary !== undefined) for (const side of sides) memory.push(await putsThenMemory(bench, side, options.puts));
        return { rows: await compareWorkloads(bench, sides, oneMemberWorkloads), memory };
      });
      out.push('### 1 member', '', tableHeader, ...rows, '');
      if (memory.length > 0) out.push(`Fresh member, ${cell(options.puts)} puts at 100 clients:`, '', '| server | puts | puts/s | CPU µs/put | RSS MB after |', '|---|---:|---:|---:|---:|', ...memory, '');
    }
    notes.push(`load average at end ${loadAverage()}`);
    process.stdout.write(`\n${out.join('\n')}\n${notes.join('\n')}\n`);
  } finally {
    await fs.rm(buildDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
