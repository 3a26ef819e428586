// Child process of bench/hostile.ts: opens `count` watch streams and `count` lease keep-alive
// streams on `endpoint`, prints "ready" once every watch is created, then waits to be killed — so
// its streams are abandoned the hard way, by a client that vanishes without a word.
//
//   npx tsx bench/abandonedStreams.ts HOST:PORT COUNT
import { Client, credentials, Metadata } from '@grpc/grpc-js';

const [endpoint, countText] = process.argv.slice(2);
const count = Number(countText);
if (endpoint === undefined || !Number.isInteger(count) || count <= 0) throw new Error('usage: abandonedStreams.ts HOST:PORT COUNT');
const raw = new Client(endpoint, credentials.createInsecure());
const created: Promise<void>[] = [];
for (let i = 0; i < count; i++) {
  const watch = raw.makeBidiStreamRequest('/etcdserverpb.Watch/Watch', (b: Buffer) => b, (b: Buffer) => b, new Metadata());
  watch.on('error', () => undefined);
  created.push(new Promise((resolve) => watch.once('data', () => resolve())));
  watch.write(Buffer.from([0x0a, 0x04, 0x0a, 0x02, 0x2f, 0x61])); // create a watch on "/a"
  const keepAlive = raw.makeBidiStreamRequest('/etcdserverpb.Lease/LeaseKeepAlive', (b: Buffer) => b, (b: Buffer) => b, new Metadata());
  keepAlive.on('error', () => undefined);
  keepAlive.write(Buffer.from([0x08, 0x01 + (i % 100)])); // an unknown lease
}
await Promise.all(created);
process.stdout.write('ready\n');
setInterval(() => undefined, 60_000);
