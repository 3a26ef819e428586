// Hostile input against a live member: seeded garbage on every unary gRPC method, malformed JSON
// on the gateway, extreme keys and values, deep nesting, many watches on one stream and streams
// opened and abandoned. Every request gets an answer, the member keeps serving, and what was
// stored before is still there, unchanged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { EtcdClient } from '../../core/client/etcdClient.js';
import { Random } from '../../core/raft/random.js';
import { RafterCluster } from '../support/rafterCluster.js';

let cluster: RafterCluster;
let client: EtcdClient;
const seed = Number(process.env['RAFTER_FUZZ_SEED'] ?? 777);

beforeAll(async () => {
  cluster = await RafterCluster.start({ members: 1 });
  client = new EtcdClient({ endpoints: cluster.endpoints });
  for (let i = 0; i < 20; i++) await client.kv.put(`/kept/${i}`, `value-${i}`);
}, 120_000);

afterAll(async () => {
  client?.close();
  await cluster?.stop();
});

async function kept(): Promise<string[]> {
  const result = await client.kv.get('/kept/', { prefix: true });
  return result.kvs.map((kv) => `${kv.key.toString()}=${kv.value.toString()}@${kv.modRevision}`);
}

const readOnlyMethods = ['/etcdserverpb.KV/Range', '/etcdserverpb.Maintenance/Status', '/etcdserverpb.Maintenance/HashKV', '/etcdserverpb.Lease/LeaseTimeToLive', '/etcdserverpb.Cluster/MemberList', '/etcdserverpb.Maintenance/Alarm'];

describe('hostile input', () => {
  it(`answers seeded garbage on read-only methods with an error or a response, and stays up (seed ${seed})`, async () => {
    const before = await kept();
    const random = new Random(seed);
    const raw = new Client(cluster.endpoints[0]!, credentials.createInsecure());
    let answered = 0;
    for (let i = 0; i < 300; i++) {
      const method = readOnlyMethods[random.nextInt(readOnlyMethods.length)]!;
      const bytes = Buffer.from(Array.from({ length: random.nextInt(64) }, () => random.nextInt(256)));
      await new Promise<void>((resolve) => {
        raw.makeUnaryRequest(method, (b: Buffer) => b, (b: Buffer) => b, bytes, new Metadata(), { deadline: Date.now() + 10_000 }, (error: ServiceError | null) => {
          if (!error || error.code !== status.DEADLINE_EXCEEDED) answered++;
          resolve();
        });
      });
    }
    raw.close();
    expect(answered).toBe(300);
    expect(await kept()).toEqual(before);
  });

  it('refuses malformed gateway bodies with 400 and keeps serving', async () => {
    const random = new Random(seed + 1);
    const base = cluster.members[0]!.clientUrl;
    const bodies = ['{', '[]', '{"key": 12}', '{"key": "!!!not-base64"}', '{"limit": "-5", "key": "YQ=="}', 'null', '{"key":"YQ==","sort_order":"SIDEWAYS"}'];
    for (let i = 0; i < 20; i++) bodies.push(Buffer.from(Array.from({ length: 1 + random.nextInt(40) }, () => 32 + random.nextInt(90))).toString());
    for (const body of bodies) {
      const response = await fetch(`${base}/v3/kv/range`, { method: 'POST', body });
      expect(response.status === 200 || response.status === 400, `${body} → ${response.status}`).toBe(true);
    }
    expect((await fetch(`${base}/health`)).status).toBe(200);
  });

  it('refuses gateway values of the wrong JSON type instead of converting them, and deletes nothing', async () => {
    const base = cluster.members[0]!.clientUrl;
    const b64 = (text: string): string => Buffer.from(text).toString('base64');
    await client.kv.put('/typed/a', '1');
    await client.kv.put('/typed/b', '2');
    const before = await client.kv.get('/typed/', { prefix: true });
    const refused: [string, object][] = [
      // A number where bytes belong used to become no range end: the single key would go.
      ['/v3/kv/deleterange', { key: b64('/typed/a'), range_end: 12 }],
      ['/v3/kv/deleterange', { key: b64('/typed/a'), range_end: '!!!not base64' }],
      ['/v3/kv/deleterange', { key: b64('/typed/a'), prev_kv: 'yes' }],
      ['/v3/kv/deleterange', { key: [b64('/typed/a')] }],
      ['/v3/kv/range', { key: 12 }],
      ['/v3/kv/range', { key: b64('/typed/'), limit: 'ten' }],
      ['/v3/kv/range', { key: b64('/typed/'), limit: 1.5 }],
      ['/v3/kv/range', { key: b64('/typed/'), sort_order: 'SIDEWAYS' }],
      ['/v3/kv/put', { key: b64('/typed/a'), value: { nested: true } }],
      ['/v3/kv/txn', { compare: { key: b64('/typed/a') } }],
      ['/v3/kv/txn', { compare: [{ key: b64('/typed/a'), result: 'BIGGER', target: 'VALUE', value: b64('1') }], success: [{ request_delete_range: { key: b64('/typed/a') } }] }],
      ['/v3/kv/txn', { success: [{ request_delete_range: { key: b64('/typed/a'), range_end: true } }] }],
    ];
    for (const [path, body] of refused) {
      const response = await fetch(`${base}${path}`, { method: 'POST', body: JSON.stringify(body) });
      const answer = (await response.json()) as { code: number; message: string };
      expect(response.status, `${path} ${JSON.stringify(body)}: ${answer.message}`).toBe(400);
      expect(answer.code).toBe(status.INVALID_ARGUMENT);
      // Go's own words, as etcd's gateway answers (test/api/gatewayDifferential.test.ts compares them).
      expect(answer.message, `${path} ${JSON.stringify(body)}`).toMatch(/^(json: cannot unmarshal \w+( [\d.]+)? into Go value of type |illegal base64 data at input byte \d+$|unknown value "\w+" for enum |invalid character )/);
    }
    expect((await client.kv.get('/typed/', { prefix: true })).kvs).toEqual(before.kvs);
    // What etcd's gateway accepts still works: lowerCamel names, integers as numbers or strings,
    // enums by name or number, bytes as an array of numbers and null for "not set".
    const accepted: [string, object][] = [
      ['/v3/kv/range', { key: b64('/typed/'), rangeEnd: b64('/typed0'), limit: 5, sortOrder: 1 }],
      ['/v3/kv/range', { key: b64('/typed/'), range_end: b64('/typed0'), limit: '5', sort_order: 'DESCEND', revision: null }],
      ['/v3/kv/range', { key: [...Buffer.from('/typed/a')] }],
    ];
    for (const [path, body] of accepted) {
      const response = await fetch(`${base}${path}`, { method: 'POST', body: JSON.stringify(body) });
      expect(response.status, `${path} ${JSON.stringify(body)}`).toBe(200);
      expect(((await response.json()) as { kvs?: unknown[] }).kvs?.length).toBeGreaterThan(0);
    }
  });

  it('refuses empty keys and oversized requests with etcd errors, and stores long and binary keys', async () => {
    await expect(client.kv.put('', 'v')).rejects.toThrow('etcdserver: key is not provided');
    await expect(client.kv.put('/big', Buffer.alloc(2 * 1024 * 1024, 1))).rejects.toThrow(/request is too large|larger than max/);
    const longKey = Buffer.alloc(100_000, 0x61);
    await client.kv.put(longKey, 'long');
    expect((await client.kv.getOne(longKey))?.value.toString()).toBe('long');
    const binary = Buffer.from([0, 255, 1, 254, 0]);
    await client.kv.put(binary, Buffer.from([0, 0, 7]));
    expect((await client.kv.getOne(binary))?.value).toEqual(Buffer.from([0, 0, 7]));
    await client.kv.put(Buffer.alloc(1000, 0x62), Buffer.alloc(0));
    expect((await client.kv.getOne(Buffer.alloc(1000, 0x62)))?.value.length).toBe(0);
  });

  it('refuses a gateway body past its limit unread, with RESOURCE_EXHAUSTED, and keeps serving', async () => {
    const base = cluster.members[0]!.clientUrl;
    // Four times the gRPC request limit (1.5 MiB + 512 KiB): whitespace, so only the size is wrong.
    const body = `{"key":"YQ==",${' '.repeat(8 * 1024 * 1024)}}`;
    const response = await fetch(`${base}/v3/kv/range`, { method: 'POST', body });
    expect(response.status).toBe(429);
    expect(await response.json()).toEqual({ error: 'gateway: request body larger than 8388608 bytes', message: 'gateway: request body larger than 8388608 bytes', code: status.RESOURCE_EXHAUSTED });
    expect((await fetch(`${base}/v3/kv/range`, { method: 'POST', body: '{"key":"YQ=="}' })).status).toBe(200);
  });

  it('refuses transactions nested too deep', async () => {
    let txn: object = { success: [{ request_put: { key: Buffer.from('/deep').toString('base64'), value: Buffer.from('x').toString('base64') } }] };
    for (let i = 0; i < 40; i++) txn = { success: [{ request_txn: txn }] };
    const response = await fetch(`${cluster.members[0]!.clientUrl}/v3/kv/txn`, { method: 'POST', body: JSON.stringify(txn) });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toContain('nested deeper');
  });

  it('serves thousands of watches on one stream and survives streams opened and abandoned', async () => {
    const watchers = await Promise.all(Array.from({ length: 2000 }, (_, i) => client.watch.watch(`/many/${i}`)));
    await client.kv.put('/many/1999', 'x');
    for await (const batch of watchers[1999]!) {
      expect(batch.events[0]?.kv.key.toString()).toBe('/many/1999');
      break;
    }
    for (const watcher of watchers) watcher.cancel();
    for (let i = 0; i < 50; i++) {
      const abandoned = new EtcdClient({ endpoints: cluster.endpoints });
      await abandoned.watch.watch('/abandoned/');
      abandoned.close();
    }
    expect(await kept()).toHaveLength(20);
  });
});
