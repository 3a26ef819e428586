// A load generator for etcd's v3 API, run as its own process so it never shares an event loop
// with the servers it measures. It keeps `clients` requests in flight over `conns` HTTP/2
// connections spread over the endpoints and reports throughput and latency percentiles as JSON.
//
//   npx tsx bench/loadgen.ts --endpoints 127.0.0.1:2379 --op put --clients 100 --seconds 10
import { credentials, Client, Metadata, type ServiceError } from '@grpc/grpc-js';
import { methodDefinition } from '../core/api/proto/load.js';

type Operation = 'put' | 'range-linearizable' | 'range-serializable';

interface Options {
  endpoints: string[];
  op: Operation;
  clients: number;
  conns: number;
  seconds: number;
  warmupSeconds: number;
  keySpace: number;
  valueBytes: number;
}

function parse(argv: readonly string[]): Options {
  const get = (name: string, fallback: string): string => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
  };
  const op = get('op', 'put');
  if (op !== 'put' && op !== 'range-linearizable' && op !== 'range-serializable') throw new Error(`unknown --op ${op}`);
  return {
    endpoints: get('endpoints', '127.0.0.1:2379').split(','),
    op,
    clients: Number(get('clients', '1')),
    conns: Number(get('conns', '10')),
    seconds: Number(get('seconds', '10')),
    warmupSeconds: Number(get('warmup', '1')),
    keySpace: Number(get('keys', '10000')),
    valueBytes: Number(get('value-bytes', '256')),
  };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  const options = parse(process.argv.slice(2));
  const method = options.op === 'put' ? methodDefinition('etcdserverpb.KV', 'Put') : methodDefinition('etcdserverpb.KV', 'Range');
  const channels: Client[] = [];
  for (let i = 0; i < Math.max(1, Math.min(options.conns, options.clients)); i++) {
    const endpoint = options.endpoints[i % options.endpoints.length]!;
    channels.push(new Client(endpoint, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }));
  }
  const value = Buffer.alloc(options.valueBytes, 120);
  const latenciesMs: number[] = [];
  let errors = 0;
  let firstError = '';
  let measuring = false;
  let stop = false;
  let counter = 0;
  // Requests are encoded once up front and responses are not decoded, so the generator spends
  // its CPU on the calls themselves (its ceiling is measured against a no-op server).
  const encoded: Buffer[] = [];
  const prepare = (): void => {
    for (let i = 0; i < options.keySpace; i++) {
      const key = Buffer.from(`/bench/${i.toString().padStart(8, '0')}`);
      encoded.push(method.requestSerialize(options.op === 'put' ? { key, value } : { key, serializable: options.op === 'range-serializable' }));
    }
  };
  const identity = (bytes: Buffer): Buffer => bytes;
  const call = (channel: Client): Promise<void> =>
    new Promise((resolve) => {
      const request = encoded[counter++ % encoded.length]!;
      const started = performance.now();
      channel.makeUnaryRequest(method.path, identity, identity, request, new Metadata(), {}, (error: ServiceError | null) => {
        if (measuring) {
          if (error) {
            errors++;
            firstError ||= error.message;
          } else latenciesMs.push(performance.now() - started);
        }
        resolve();
      });
    });
  const worker = async (index: number): Promise<void> => {
    const channel = channels[index % channels.length]!;
    while (!stop) await call(channel);
  };
  if (options.op !== 'put') {
    // Ranges read keys that exist.
    const seed = channels[0]!;
    const putMethod = methodDefinition('etcdserverpb.KV', 'Put');
    for (let i = 0; i < Math.min(options.keySpace, 1000); i++) {
      await new Promise<void>((resolve, reject) =>
        seed.makeUnaryRequest(putMethod.path, putMethod.requestSerialize, putMethod.responseDeserialize,
          { key: Buffer.from(`/bench/${i.toString().padStart(8, '0')}`), value }, new Metadata(), {}, (error: ServiceError | null) => (error ? reject(error) : resolve())),
      );
    }
    options.keySpace = Math.min(options.keySpace, 1000);
  }
  prepare();
  const workers = Array.from({ length: options.clients }, (_, i) => worker(i));
  await new Promise((resolve) => setTimeout(resolve, options.warmupSeconds * 1000));
  measuring = true;
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, options.seconds * 1000));
  measuring = false;
  const elapsedSeconds = (performance.now() - started) / 1000;
  stop = true;
  await Promise.all(workers);
  for (const channel of channels) channel.close();
  const sorted = Float64Array.from(latenciesMs).sort();
  const result = {
    op: options.op, clients: options.clients, conns: channels.length, seconds: elapsedSeconds,
    ops: sorted.length, opsPerSecond: sorted.length / elapsedSeconds,
    p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), errors, firstError,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`loadgen: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
