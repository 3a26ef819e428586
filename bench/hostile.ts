// `npm run bench:hostile`: memory of a member under hostile input. One real member process takes
// rounds of seeded malformed protobuf on every method of every service, streams opened and
// abandoned (watches left open, keep-alive streams for unknown leases, snapshot streams dropped
// mid-way) and gateway requests with broken JSON; after each round the member's resident memory
// (VmRSS from /proc) is printed, so a leak shows as a column that keeps growing.
//
//   npx tsx bench/hostile.ts [--rounds 10] [--seed 1] [--only malformed|streams|gateway]
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, credentials, Metadata } from '@grpc/grpc-js';
import { etcdServiceNames, serviceDefinition } from '../core/api/proto/load.js';
import { EtcdClient } from '../core/client/etcdClient.js';
import { Random } from '../core/raft/random.js';
import { callStream, callUnary, hostileInput } from '../test/support/hostileCalls.js';
import { RafterCluster } from '../test/support/rafterCluster.js';

/** Streams opened and abandoned per round, per kind. */
const abandonedStreams = 200;
/** Malformed inputs per method per round. */
const inputsPerMethod = 20;

const only = (() => {
  const i = process.argv.indexOf('--only');
  return i >= 0 ? process.argv[i + 1] : undefined;
})();
const doing = (part: string): boolean => only === undefined || only === part;

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function rssMiB(pid: number): Promise<number> {
  const text = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmRSS:\s+(\d+)/.exec(text)?.[1] ?? 0);
  return kib / 1024;
}

const here = path.dirname(fileURLToPath(import.meta.url));

/** Runs bench/abandonedStreams.ts until its streams are open, then kills it with SIGKILL. */
function abandonStreams(endpoint: string, count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'abandonedStreams.ts'), endpoint, String(count)], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) child.kill('SIGKILL');
    });
    child.once('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error('the stream client exited before its streams were open'))));
  });
}

async function metric(clientUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${clientUrl}/metrics`)).text();
  return Number(text.split('\n').find((line) => line.startsWith(`${name} `))?.split(' ')[1] ?? NaN);
}

async function round(endpoint: string, clientUrl: string, random: Random): Promise<number> {
  const raw = new Client(endpoint, credentials.createInsecure());
  let calls = 0;
  try {
    for (const service of doing('malformed') ? etcdServiceNames : []) {
      for (const method of Object.values(serviceDefinition(service))) {
        for (let i = 0; i < inputsPerMethod; i++) {
          const input = hostileInput(random);
          try {
            method.requestDeserialize(input);
            continue; // decodes: not malformed (and may write); the test suite covers the rest
          } catch {
            // malformed: send it
          }
          await (method.requestStream || method.responseStream ? callStream(raw, method.path, input, method.requestStream) : callUnary(raw, method.path, input));
          calls++;
        }
      }
    }
    // Streams opened and abandoned: a separate client process opens them, then is killed.
    if (doing('streams')) {
      await abandonStreams(endpoint, abandonedStreams);
      calls += 2 * abandonedStreams;
    }
    const snapshot = raw.makeServerStreamRequest('/etcdserverpb.Maintenance/Snapshot', (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), new Metadata());
    snapshot.on('data', () => snapshot.cancel());
    snapshot.on('error', () => undefined);
    for (let i = 0; i < (doing('gateway') ? 100 : 0); i++) {
      await fetch(`${clientUrl}/v3/kv/put`, { method: 'POST', body: `{"key": ${random.nextInt(2) === 0 ? '"!!"' : '[1,2'}` }).then((r) => r.text()).catch(() => '');
      calls++;
    }
  } finally {
    raw.close(); // drops every stream left open
  }
  return calls;
}

async function main(): Promise<void> {
  const rounds = option('rounds', 10);
  const random = new Random(option('seed', 1));
  const cluster = await RafterCluster.start({ members: 1 });
  try {
    const member = cluster.members[0]!;
    const pid = member.process!.pid!;
    const client = new EtcdClient({ endpoints: cluster.endpoints });
    for (let i = 0; i < 1000; i++) await client.kv.put(`/kept/${i}`, 'v'.repeat(100));
    client.close();
    const row = async (label: string, total: number): Promise<string> => {
      const heapMiB = (await metric(member.clientUrl, 'nodejs_heap_size_used_bytes')) / 1024 / 1024;
      return `| ${label} | ${total} | ${(await rssMiB(pid)).toFixed(1)} | ${heapMiB.toFixed(1)} | ${await metric(member.clientUrl, 'etcd_debugging_mvcc_watcher_total')} |`;
    };
    console.log('| round | hostile calls | member RSS (MiB) | member heap used (MiB) | watchers left |');
    console.log('| --- | --- | --- | --- | --- |');
    console.log(await row('before', 0));
    let total = 0;
    for (let r = 1; r <= rounds; r++) {
      total += await round(cluster.endpoints[0]!, member.clientUrl, random);
      console.log(await row(String(r), total));
    }
    const health = await fetch(`${member.clientUrl}/health`);
    console.log(`member healthy after ${total} hostile calls: ${health.ok}`);
  } finally {
    await cluster.stop();
  }
}

await main();
