// `npm run bench`: a Rafter cluster and a real etcd cluster (Debian's etcd 3.4) side by side on
// loopback, data on disk with fsync on, driven by the same load generator (bench/loadgen.ts, a
// separate process). Prints ops/s, p50 and p99 for each workload and the Rafter/etcd ratio, and
// the load generator's own ceiling (measured against a server that does no work).
//
//   npm run bench -- [--members 3] [--seconds 10]
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RafterCluster } from '../test/support/rafterCluster.js';
import { EtcdTestCluster } from '../test/support/etcd.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface LoadResult {
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  firstError: string;
}

interface Workload {
  readonly name: string;
  readonly args: readonly string[];
}

const workloads: Workload[] = [
  { name: 'put, 1 client (sequential)', args: ['--op', 'put', '--clients', '1', '--conns', '1'] },
  { name: 'put, 100 clients', args: ['--op', 'put', '--clients', '100', '--conns', '10'] },
  { name: 'linearizable range, 100 clients', args: ['--op', 'range-linearizable', '--clients', '100', '--conns', '10'] },
  { name: 'serializable range, 100 clients', args: ['--op', 'range-serializable', '--clients', '100', '--conns', '10'] },
];

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

function load(endpoints: readonly string[], args: readonly string[], seconds: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', path.join(root, 'bench/loadgen.ts'), '--endpoints', endpoints.join(','), '--seconds', String(seconds), ...args],
      { cwd: root, timeout: (seconds + 120) * 1000 }, (error, stdout, stderr) => {
        if (error) reject(new Error(`load generator failed: ${stderr || error.message}`));
        else resolve(JSON.parse(stdout) as LoadResult);
      });
  });
}

async function ceiling(seconds: number): Promise<LoadResult> {
  const stub = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'bench/stubServer.ts'), '0'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve) => stub.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim())));
  try {
    return await load([`127.0.0.1:${port}`], ['--op', 'put', '--clients', '100', '--conns', '10'], seconds);
  } finally {
    stub.kill('SIGTERM');
  }
}

const fmt = (n: number, digits = 0): string => n.toFixed(digits).padStart(8);

async function main(): Promise<void> {
  const members = Number(option('members', '3'));
  const seconds = Number(option('seconds', '10'));
  const rows: string[] = [];
  const limit = await ceiling(seconds);
  process.stdout.write(`load generator ceiling (100 clients, no-op server): ${limit.opsPerSecond.toFixed(0)} ops/s\n`);
  const results: { rafter: LoadResult; etcd: LoadResult }[] = [];
  for (const workload of workloads) {
    const rafter = await RafterCluster.start({ members, extraArgs: ['--log-level=warn'] });
    let rafterResult: LoadResult;
    try {
      rafterResult = await load(rafter.endpoints, workload.args, seconds);
    } finally {
      await rafter.stop();
    }
    const etcd = await EtcdTestCluster.start({ members: members === 1 ? 1 : 3 });
    let etcdResult: LoadResult;
    try {
      etcdResult = await load(etcd.endpoints.map((url) => url.replace(/^https?:\/\//, '')), workload.args, seconds);
    } finally {
      await etcd.stop();
    }
    results.push({ rafter: rafterResult, etcd: etcdResult });
    const row = `| ${workload.name.padEnd(34)} | ${fmt(rafterResult.opsPerSecond)} | ${fmt(rafterResult.p50Ms, 2)} | ${fmt(rafterResult.p99Ms, 2)} | ${fmt(etcdResult.opsPerSecond)} | ${fmt(etcdResult.p50Ms, 2)} | ${fmt(etcdResult.p99Ms, 2)} | ${fmt(rafterResult.opsPerSecond / etcdResult.opsPerSecond, 2)} |`;
    rows.push(row);
    process.stdout.write(`${row}\n`);
    for (const [name, r] of [['rafter', rafterResult], ['etcd', etcdResult]] as const) {
      if (r.errors > 0) process.stdout.write(`  ${name}: ${r.errors} errors, first: ${r.firstError}\n`);
    }
  }
  process.stdout.write(`\n${members}-member clusters, ${seconds} s per workload, ${new Date().toISOString().slice(0, 10)}\n`);
  process.stdout.write('| workload | Rafter ops/s | p50 ms | p99 ms | etcd ops/s | p50 ms | p99 ms | Rafter/etcd |\n|---|---:|---:|---:|---:|---:|---:|---:|\n');
  process.stdout.write(`${rows.join('\n')}\n`);
  process.stdout.write(`load generator ceiling: ${limit.opsPerSecond.toFixed(0)} puts/s (p50 ${limit.p50Ms.toFixed(2)} ms)\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
