// `npm run bench:proxy`: rafter grpc-proxy and etcd 3.4's grpc-proxy side by side in front of the
// same real etcd member on loopback. Measures serializable range throughput through each proxy
// (its cache answers them) with bench/loadgen.ts in its own process, watch fan-out (1,000 watches
// of one prefix through the proxy; the time from a put's answer until every watch has its event),
// and each proxy's CPU time and resident memory. Figures only; no assertions.
//
//   npm run bench:proxy -- [--seconds 5] [--watchers 1000] [--puts 50]
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EtcdClient } from '../core/client/etcdClient.js';
import { EtcdTestCluster } from '../test/support/etcd.js';
import { ProxyProcess } from '../test/support/proxyProcess.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const watchersPerClient = 100;
const clockTicksPerSecond = 100;

function option(name: string, fallback: string): number {
  const i = process.argv.indexOf(`--${name}`);
  return Number(i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback);
}

/** Serializable ranges over `keys` keys in turn: 1,000 fit the proxies' caches (2,048 entries), 10,000 do not. */
function load(endpoint: string, seconds: number, keys: number): Promise<{ opsPerSecond: number; p99Ms: number; errors: number }> {
  return new Promise((resolve, reject) => {
    const args = [
      '--import', 'tsx', path.join(root, 'bench/loadgen.ts'), '--endpoints', endpoint, '--seconds', String(seconds), '--op', 'range-serializable',
      '--clients', '100', '--conns', '10', '--keys', String(keys),
    ];
    execFile(process.execPath, args, { cwd: root, timeout: (seconds + 120) * 1000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(stderr || error.message));
      else resolve(JSON.parse(stdout) as { opsPerSecond: number; p99Ms: number; errors: number });
    });
  });
}

/** CPU seconds (user + system) and resident MiB of a process, from /proc. */
function usage(pid: number | undefined): { cpuSeconds: number; rssMiB: number } {
  if (pid === undefined) return { cpuSeconds: NaN, rssMiB: NaN };
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const cpuSeconds = (Number(stat[11]) + Number(stat[12])) / clockTicksPerSecond;
  const rss = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return { cpuSeconds, rssMiB: Number(rss) / 1024 };
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;

async function fanOut(proxy: ProxyProcess, direct: EtcdClient, watchers: number, puts: number, prefix: string): Promise<{ p50Ms: number; p99Ms: number }> {
  const clients: EtcdClient[] = [];
  const pending = new Map<string, { left: number; resolve: () => void }>();
  try {
    for (let c = 0; c < watchers / watchersPerClient; c++) {
      const client = new EtcdClient({ endpoints: [proxy.endpoint] });
      clients.push(client);
      for (let w = 0; w < watchersPerClient; w++) {
        await client.watch.watch(prefix, {
          prefix: true,
          onBatch: (batch) => {
            for (const event of batch.events) {
              const entry = pending.get(event.kv.keyString);
              if (entry && --entry.left === 0) entry.resolve();
            }
          },
        });
      }
    }
    const latencies: number[] = [];
    for (let i = 0; i < puts; i++) {
      const key = `${prefix}${i}`;
      const delivered = new Promise<void>((resolve) => pending.set(key, { left: watchers, resolve }));
      const started = performance.now();
      await direct.kv.put(key, 'v');
      await delivered;
      latencies.push(performance.now() - started);
    }
    latencies.sort((a, b) => a - b);
    return { p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99) };
  } finally {
    for (const client of clients) client.close();
  }
}

async function main(): Promise<void> {
  const seconds = option('seconds', '5');
  const watchers = option('watchers', '1000');
  const puts = option('puts', '50');
  const etcd = await EtcdTestCluster.start();
  const endpoint = etcd.endpoints[0]!.replace(/^https?:\/\//, '');
  const direct = new EtcdClient({ endpoints: [endpoint] });
  try {
    const reference = await load(endpoint, seconds, 1_000);
    process.stdout.write(`etcd directly: serializable range ${reference.opsPerSecond.toFixed(0)} ops/s (p99 ${reference.p99Ms.toFixed(2)} ms)\n\n`);
    process.stdout.write('| proxy | cached range ops/s | p99 ms | uncached range ops/s | p99 ms | fan-out p50 ms | fan-out p99 ms | CPU s | RSS MiB |\n|---|---|---|---|---|---|---|---|---|\n');
    for (const kind of ['rafter', 'etcd'] as const) {
      const proxy = await ProxyProcess.start({ endpoints: [endpoint], etcd: kind === 'etcd' });
      try {
        const cached = await load(proxy.endpoint, seconds, 1_000);
        const uncached = await load(proxy.endpoint, seconds, 10_000);
        const fan = await fanOut(proxy, direct, watchers, puts, `/fan-${kind}/`);
        const used = usage(proxy.pid);
        const cells = [cached.opsPerSecond.toFixed(0), cached.p99Ms.toFixed(2), uncached.opsPerSecond.toFixed(0), uncached.p99Ms.toFixed(2), fan.p50Ms.toFixed(2), fan.p99Ms.toFixed(2), used.cpuSeconds.toFixed(1), used.rssMiB.toFixed(0)];
        process.stdout.write(`| ${kind} grpc-proxy | ${cells.join(' | ')} |\n`);
      } finally {
        await proxy.stop();
      }
    }
  } finally {
    direct.close();
    await etcd.stop();
  }
}

await main();
