// `npm run bench:hostile`: memory of a member under hostile input. One real member process takes
// rounds of seeded malformed protobuf on every method of every service, streams opened and
// abandoned (watches left open, keep-alive streams for unknown leases, snapshot streams dropped
// mid-way) and gateway requests with broken JSON; after each round the member's resident memory
// (VmRSS from /proc) is printed, so a leak shows as a column that keeps growing.
//
//   npx tsx bench/hostile.ts [--rounds 10] [--seed 1] [--only malformed|watch|keepalive|gateway]
import fs from 'node:fs/promises';
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
    // Streams opened and abandoned without a word.
    for (let i = 0; i < abandonedStreams; i++) {
      if (!doing('watch') && !doing('keepalive')) break;
      const watch = raw.makeBidiStreamRequest('/etcdserverpb.Watch/Watch', (b: Buffer) => b, (b: Buffer) => b, new Metadata());
      watch.on('error', () => undefined);
      if (doing('watch')) watch.write(Buffer.from([0x0a, 0x04, 0x0a, 0x02, 0x2f, 0x61]));
      const keepAlive = raw.makeBidiStreamRequest('/etcdserverpb.Lease/LeaseKeepAlive', (b: Buffer) => b, (b: Buffer) => b, new Metadata());
      keepAlive.on('error', () => undefined);
      if (doing('keepalive')) keepAlive.write(Buffer.from([0x08, 0x01 + random.nextInt(100)]));
      calls += 2;
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
    console.log('| round | hostile calls | member RSS (MiB) |');
    console.log('| --- | --- | --- |');
    console.log(`| before | 0 | ${(await rssMiB(pid)).toFixed(1)} |`);
    let total = 0;
    for (let r = 1; r <= rounds; r++) {
      total += await round(cluster.endpoints[0]!, member.clientUrl, random);
      console.log(`| ${r} | ${total} | ${(await rssMiB(pid)).toFixed(1)} |`);
    }
    const health = await fetch(`${member.clientUrl}/health`);
    console.log(`member healthy after ${total} hostile calls: ${health.ok}`);
  } finally {
    await cluster.stop();
  }
}

await main();
