// The HTTP side of the client port — etcd's JSON gateway, /health, /metrics, /version and the
// Raft inspection endpoints — plus request limits, lease expiry and malformed gRPC input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { EtcdClient } from '../../core/client/etcdClient.js';
import { RafterCluster } from '../support/rafterCluster.js';

let cluster: RafterCluster;
let base: string;
let client: EtcdClient;

beforeAll(async () => {
  cluster = await RafterCluster.start({ members: 1, extraArgs: ['--max-txn-ops=8', '--quota-backend-bytes=2000000'] });
  base = cluster.members[0]!.clientUrl;
  client = new EtcdClient({ endpoints: cluster.endpoints });
}, 120_000);

afterAll(async () => {
  client?.close();
  await cluster?.stop();
});

const b64 = (text: string): string => Buffer.from(text).toString('base64');

async function post(path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${base}${path}`, { method: 'POST', body: JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe('the JSON gateway', () => {
  it('puts, ranges and runs transactions with base64 bytes and string integers, as etcd answers', async () => {
    const put = await post('/v3/kv/put', { key: b64('/gw/a'), value: b64('1') });
    expect(put.status).toBe(200);
    const header = put.json.header as Record<string, string>;
    expect(Number(header.revision)).toBeGreaterThan(1);
    expect(typeof header.cluster_id).toBe('string');
    const range = await post('/v3/kv/range', { key: b64('/gw/'), range_end: b64('/gw0') });
    const kvs = range.json.kvs as { key: string; value: string; version: string }[];
    expect(kvs.map((kv) => Buffer.from(kv.key, 'base64').toString())).toEqual(['/gw/a']);
    expect(kvs[0]!.version).toBe('1');
    expect(range.json.count).toBe('1');
    const camel = await post('/v3/kv/range', { key: b64('/gw/'), rangeEnd: b64('/gw0'), countOnly: true });
    expect(camel.json.count).toBe('1');
    const txn = await post('/v3/kv/txn', {
      compare: [{ key: b64('/gw/a'), target: 'VALUE', result: 'EQUAL', value: b64('1') }],
      success: [{ request_put: { key: b64('/gw/b'), value: b64('2') } }],
    });
    expect(txn.json.succeeded).toBe(true);
  });

  it('answers etcd errors with an HTTP status and a message', async () => {
    const empty = await post('/v3/kv/range', {});
    expect(empty.status).toBe(400);
    expect(empty.json.message).toBe('etcdserver: key is not provided');
    const malformed = await fetch(`${base}/v3/kv/put`, { method: 'POST', body: '{not json' });
    expect(malformed.status).toBe(400);
    const lease = await post('/v3/lease/revoke', { ID: '12345' });
    expect(lease.status).toBe(404);
    expect(lease.json.message).toBe('etcdserver: requested lease not found');
  });

  it('streams watch events as newline-delimited results', async () => {
    const controller = new AbortController();
    const response = await fetch(`${base}/v3/watch`, { method: 'POST', body: JSON.stringify({ create_request: { key: b64('/gw/w') } }), signal: controller.signal });
    const reader = response.body!.getReader();
    const lines: Record<string, unknown>[] = [];
    let text = '';
    let wrote = false;
    while (lines.length < 2) {
      const chunk = (await reader.read()) as { value?: Uint8Array; done: boolean };
      if (chunk.done || !chunk.value) break;
      text += Buffer.from(chunk.value).toString('utf8');
      let newline: number;
      while ((newline = text.indexOf('\n')) >= 0) {
        lines.push(JSON.parse(text.slice(0, newline)) as Record<string, unknown>);
        text = text.slice(newline + 1);
      }
      if (lines.length >= 1 && !wrote) {
        wrote = true;
        await post('/v3/kv/put', { key: b64('/gw/w'), value: b64('x') });
      }
    }
    controller.abort();
    expect((lines[0]!.result as { created: boolean }).created).toBe(true);
    const events = (lines[1]!.result as { events: { kv: { key: string } }[] }).events;
    expect(Buffer.from(events[0]!.kv.key, 'base64').toString()).toBe('/gw/w');
  });

  it('serves /health, /version, /metrics and the Raft inspection endpoints', async () => {
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ health: 'true', reason: '' });
    expect(((await (await fetch(`${base}/version`)).json()) as { etcdserver: string }).etcdserver).toBe('3.4.0');
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('etcd_server_has_leader 1');
    expect(metrics).toMatch(/etcd_disk_wal_fsync_duration_seconds_count [1-9]/);
    const status = (await (await fetch(`${base}/rafter/v1/raft/status`)).json()) as { status: { role: string; commit: number } };
    expect(status.status.role).toBe('leader');
    const entries = (await (await fetch(`${base}/rafter/v1/raft/entries?limit=5`)).json()) as { entries: { index: number; term: number; description: string }[] };
    expect(entries.entries.length).toBeGreaterThan(0);
    expect(entries.entries.length).toBeLessThanOrEqual(5);
    expect(entries.entries.some((e) => e.description.startsWith('put "/gw/'))).toBe(true);
  });
});

describe('limits and expiry', () => {
  it('refuses a transaction with more operations than --max-txn-ops', async () => {
    const ops = Array.from({ length: 9 }, (_, i) => ({ request_put: { key: b64(`/ops/${i}`), value: b64('v') } }));
    const refused = await post('/v3/kv/txn', { success: ops });
    expect(refused.json.message).toBe('etcdserver: too many operations in txn request');
    expect((await post('/v3/kv/txn', { success: ops.slice(0, 8) })).json.succeeded).toBe(true);
  });

  it('answers malformed protobuf with an error and keeps serving', async () => {
    const raw = new Client(cluster.endpoints[0]!, credentials.createInsecure());
    const failure = await new Promise<ServiceError | null>((resolve) => {
      raw.makeUnaryRequest('/etcdserverpb.KV/Put', (b: Buffer) => b, (b: Buffer) => b, Buffer.from([0xff, 0xff, 0xff, 0x0f, 0x01]), new Metadata(), {}, (error) => resolve(error));
    });
    raw.close();
    expect(failure?.code).toBe(status.INTERNAL);
    expect((await client.kv.put('/after/malformed', 'ok')).header.revision).toBeGreaterThan(0);
  });

  it('expires a lease through Raft and deletes its keys, which watchers see', async () => {
    const watcher = await client.watch.watch('/expire/k');
    const lease = await client.lease.grant(1);
    await client.kv.put('/expire/k', 'v', { lease: lease.id });
    const seen: string[] = [];
    for await (const batch of watcher) {
      seen.push(...batch.events.map((e) => e.type));
      if (seen.includes('delete')) break;
    }
    watcher.cancel();
    expect(seen).toEqual(['put', 'delete']);
    expect(await client.kv.getOne('/expire/k')).toBeNull();
    expect((await client.lease.timeToLive(lease.id)).ttl).toBe(-1);
  });

  it('raises NOSPACE past the quota, refusing writes but serving reads and deletes', async () => {
    const value = 'x'.repeat(64 * 1024);
    let refused: unknown = null;
    for (let i = 0; i < 100 && refused === null; i++) {
      await client.kv.put(`/quota/${i}`, value).catch((error: unknown) => (refused = error));
    }
    expect(String(refused)).toContain('etcdserver: mvcc: database space exceeded');
    const alarms = await client.maintenance.alarmList();
    expect(alarms.map((a) => a.alarm)).toContain('NOSPACE');
    expect((await client.kv.get('/quota/', { prefix: true, countOnly: true })).count).toBeGreaterThan(0);
    await client.kv.delete('/quota/', { prefix: true });
  });
});
