// Watch coalescing through `rafter grpc-proxy` in front of a 3-member Rafter cluster: a thousand
// client watches of one prefix cost the member one watcher (its /metrics), every watch receives
// every event once and in order, and when the member the proxy uses is killed the proxy moves to
// another member and the watches resume from the revision after the last one they received.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdClient } from '../../core/client/etcdClient.js';
import type { Watcher } from '../../core/client/watcher.js';
import { RafterCluster, type RafterMember } from '../support/rafterCluster.js';
import { parseMetrics, ProxyProcess } from '../support/proxyProcess.js';

const clientsCount = 10;
const watchesPerClient = 100;
const pollTimeoutMs = 30_000;

let cluster: RafterCluster;
let proxy: ProxyProcess;
const clients: EtcdClient[] = [];

beforeAll(async () => {
  cluster = await RafterCluster.start({ members: 3 });
  proxy = await ProxyProcess.start({ endpoints: cluster.endpoints });
}, 120_000);

afterAll(async () => {
  for (const client of clients) client.close();
  await proxy?.stop();
  await cluster?.stop();
});

async function memberWatchers(member: RafterMember): Promise<number> {
  const text = await (await fetch(`${member.clientUrl}/metrics`)).text();
  return parseMetrics(text).get('etcd_debugging_mvcc_watcher_total') ?? -1;
}

function client(endpoints: string[]): EtcdClient {
  const created = new EtcdClient({ endpoints });
  clients.push(created);
  return created;
}

describe('watches through the proxy', () => {
  it('share one upstream watcher per range, deliver every event in order, and resume on another member after a kill', async () => {
    const [m1, m2] = cluster.members as [RafterMember, RafterMember, RafterMember];
    const baseline = await memberWatchers(m1);
    const received: string[][] = [];
    const watchers: Watcher[] = [];
    for (let c = 0; c < clientsCount; c++) {
      const proxied = client([proxy.endpoint]);
      for (let w = 0; w < watchesPerClient; w++) {
        const seen: string[] = [];
        received.push(seen);
        watchers.push(await proxied.watch.watch('/fan/', {
          prefix: true,
          onBatch: (batch) => {
            for (const event of batch.events) seen.push(`${event.type} ${event.kv.keyString} ${event.kv.modRevision}`);
          },
        }));
      }
    }
    const other = await client([proxy.endpoint]).watch.watch('/other/', { prefix: true });
    expect(await memberWatchers(m1)).toBe(baseline + 2);
    const metrics = await proxy.metrics();
    expect(metrics.get('rafter_proxy_watchers')).toBe(clientsCount * watchesPerClient + 1);
    expect(metrics.get('rafter_proxy_upstream_watchers')).toBe(2);
    expect(metrics.get('etcd_grpc_proxy_watchers_coalescing_total')).toBe(clientsCount * watchesPerClient - 1);

    const direct = client([m2.clientUrl]);
    const expected: string[] = [];
    const write = async (key: string): Promise<void> => {
      const put = await direct.kv.put(key, 'v');
      expected.push(`put ${key} ${put.header.revision}`);
    };
    for (let i = 0; i < 10; i++) await write(`/fan/before-${i}`);
    await expect.poll(() => received.every((seen) => seen.length === expected.length), { timeout: pollTimeoutMs }).toBe(true);

    // The proxy uses m1, the first endpoint: kill it and write on through m2.
    await cluster.kill(m1);
    await cluster.leader([m1]);
    for (let i = 0; i < 10; i++) await write(`/fan/after-${i}`);
    const deleted = await direct.kv.delete('/fan/before-0');
    expected.push(`delete /fan/before-0 ${deleted.header.revision}`);
    await expect.poll(() => received.every((seen) => seen.length >= expected.length), { timeout: pollTimeoutMs }).toBe(true);
    for (const seen of received) expect(seen).toEqual(expected);
    expect(await memberWatchers(m2)).toBeLessThanOrEqual(baseline + 2);
    expect((await proxy.metrics()).get('etcd_grpc_proxy_events_coalescing_total')).toBe(expected.length * (clientsCount * watchesPerClient - 1));

    // Calls through the proxy fail over too.
    const proxied = client([proxy.endpoint]);
    await proxied.kv.put('/after-failover', 'ok');
    expect((await proxied.kv.getOne('/after-failover'))?.valueString).toBe('ok');

    for (const watcher of watchers) watcher.cancel();
    other.cancel();
    await expect.poll(async () => (await proxy.metrics()).get('rafter_proxy_upstream_watchers'), { timeout: pollTimeoutMs }).toBe(0);
    await cluster.restart(m1);
  }, 180_000);

  it('resume from the revision after the last one delivered when their only upstream member restarts', async () => {
    const [m1, , m3] = cluster.members as [RafterMember, RafterMember, RafterMember];
    const pinned = await ProxyProcess.start({ endpoints: [`127.0.0.1:${m3.clientPort}`] });
    try {
      const received: string[][] = [];
      const proxied = client([pinned.endpoint]);
      for (let w = 0; w < 50; w++) {
        const seen: string[] = [];
        received.push(seen);
        await proxied.watch.watch('/restart/', { prefix: true, onBatch: (batch) => seen.push(...batch.events.map((e) => `${e.kv.keyString} ${e.kv.modRevision}`)) });
      }
      const direct = client([m1.clientUrl]);
      const expected: string[] = [];
      const write = async (key: string): Promise<void> => {
        expected.push(`${key} ${(await direct.kv.put(key, 'v')).header.revision}`);
      };
      await write('/restart/a');
      await expect.poll(() => received.every((seen) => seen.length === 1), { timeout: pollTimeoutMs }).toBe(true);
      await cluster.kill(m3);
      await cluster.leader([m3]);
      for (let i = 0; i < 5; i++) await write(`/restart/while-down-${i}`);
      await cluster.restart(m3);
      await write('/restart/z');
      await expect.poll(() => received.every((seen) => seen.length >= expected.length), { timeout: pollTimeoutMs }).toBe(true);
      for (const seen of received) expect(seen).toEqual(expected);
    } finally {
      await pinned.stop();
    }
  }, 120_000);
});
