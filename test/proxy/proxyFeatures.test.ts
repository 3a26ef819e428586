// rafter grpc-proxy's features against real clusters: the etcd3 npm client through it; the
// namespace (two tenants on one cluster); the serializable-range cache, beside etcd's grpc-proxy
// as the reference; registration and MemberList; keep-alive coalescing; the JSON gateway's
// answers to bad input; /health, /metrics and flag errors.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Etcd3 } from 'etcd3';
import { EtcdClient } from '../../core/client/etcdClient.js';
import { KeepAlives } from '../../core/proxy/keepAliveProxy.js';
import { ProxyMetrics } from '../../core/proxy/proxyMetrics.js';
import { Upstream } from '../../core/proxy/upstream.js';
import { EtcdTestCluster } from '../support/etcd.js';
import { freePorts } from '../support/ports.js';
import { ProxyProcess } from '../support/proxyProcess.js';
import { etcdctl, etcdctlUntil, RafterCluster } from '../support/rafterCluster.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const pollTimeoutMs = 20_000;

let cluster: RafterCluster;
let etcd: EtcdTestCluster;
const proxies: ProxyProcess[] = [];
const clients: { close(): void }[] = [];

beforeAll(async () => {
  [cluster, etcd] = await Promise.all([RafterCluster.start({ members: 1 }), EtcdTestCluster.start()]);
}, 120_000);

afterAll(async () => {
  for (const client of clients) client.close();
  await Promise.all(proxies.map((proxy) => proxy.stop()));
  await Promise.all([cluster?.stop(), etcd?.stop()]);
});

async function startProxy(endpoints: readonly string[], extraArgs: readonly string[] = [], etcdProxy = false): Promise<ProxyProcess> {
  const proxy = await ProxyProcess.start({ endpoints, extraArgs, etcd: etcdProxy });
  proxies.push(proxy);
  return proxy;
}

function client(endpoint: string): EtcdClient {
  const created = new EtcdClient({ endpoints: [endpoint] });
  clients.push(created);
  return created;
}

/** Runs the `rafter` command (core/cli/main.ts under tsx) to completion. */
function rafterCommand(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', path.join(root, 'core/cli/main.ts'), ...args], { cwd: root }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function etcdEndpoint(): string {
  return etcd.endpoints[0]!.replace(/^https?:\/\//, '');
}

/** etcd3 npm calls under `prefix`; the log leaves the prefix out so two runs compare. */
async function etcd3Scenario(hosts: string, prefix: string): Promise<string[]> {
  const etcd3 = new Etcd3({ hosts });
  clients.push(etcd3);
  const log: string[] = [];
  const watcher = await etcd3.watch().prefix(`${prefix}w/`).create();
  const events = new Promise<void>((resolve) => {
    watcher.on('put', (kv) => log.push(`watch put ${kv.key.toString().slice(prefix.length)}`));
    watcher.on('delete', (kv) => {
      log.push(`watch delete ${kv.key.toString().slice(prefix.length)}`);
      resolve();
    });
  });
  await etcd3.put(`${prefix}a`).value('1');
  await etcd3.put(`${prefix}b`).value('2');
  log.push(JSON.stringify(await etcd3.getAll().prefix(prefix).strings()).replaceAll(prefix, ''));
  const txn = await etcd3.if(`${prefix}a`, 'Value', '==', '1').then(etcd3.put(`${prefix}c`).value('3')).commit();
  log.push(`txn ${txn.succeeded}`);
  await etcd3.delete().key(`${prefix}b`);
  log.push(JSON.stringify(await etcd3.getAll().prefix(prefix).keys()).replaceAll(prefix, ''));
  await etcd3.put(`${prefix}w/x`).value('1');
  await etcd3.delete().key(`${prefix}w/x`);
  await events;
  await watcher.cancel();
  const lease = etcd3.lease(10);
  await lease.put(`${prefix}l`).value('v');
  await lease.keepaliveOnce();
  log.push(`leased ${await etcd3.get(`${prefix}l`).string()}`);
  await lease.revoke();
  log.push(`after revoke ${await etcd3.get(`${prefix}l`).string()}`);
  const lock = await etcd3.lock(`${prefix}lock`).acquire();
  log.push(`lock holders ${await etcd3.getAll().prefix(`${prefix}lock`).count()}`);
  await lock.release();
  const error = await etcd3.get('').string().catch((e: unknown) => (e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e)));
  log.push(`empty key: ${error}`);
  return log;
}

describe('rafter grpc-proxy', () => {
  it('serves the etcd3 npm client as the cluster does, for Rafter and for etcd', async () => {
    for (const endpoint of [cluster.endpoints[0]!, etcdEndpoint()]) {
      const proxy = await startProxy([endpoint]);
      const direct = await etcd3Scenario(`http://${endpoint}`, '/etcd3-direct/');
      const proxied = await etcd3Scenario(`http://${proxy.endpoint}`, '/etcd3-proxied/');
      expect(proxied).toEqual(direct);
      expect(direct).toContain('watch delete w/x');
    }
  }, 60_000);

  it('keeps two namespaces apart: keys, ranges to the end, deletes, watches, leases and locks', async () => {
    const upstream = cluster.endpoints[0]!;
    // One at a time: freePorts is not safe to call concurrently.
    const a = await startProxy([upstream], ['--namespace=tenant-a/']);
    const b = await startProxy([upstream], ['--namespace=tenant-b/']);
    const clientA = client(a.endpoint);
    const clientB = client(b.endpoint);
    const direct = client(upstream);
    const seenByA: string[] = [];
    const watchA = await clientA.watch.watch(Buffer.from([0]), { fromKey: true, onBatch: (batch) => seenByA.push(...batch.events.map((e) => `${e.type} ${e.kv.keyString}`)) });
    await clientA.kv.put('k', 'from-a');
    await clientB.kv.put('k', 'from-b');
    await clientB.kv.put('only-b', 'x');
    expect((await clientA.kv.getOne('k'))?.valueString).toBe('from-a');
    expect((await clientB.kv.getOne('k'))?.valueString).toBe('from-b');
    expect(await clientA.kv.getOne('only-b')).toBeNull();
    expect((await clientA.kv.get(Buffer.from([0]), { fromKey: true })).kvs.map((kv) => kv.keyString)).toEqual(['k']);
    expect((await clientA.kv.get('', { prefix: true })).kvs.map((kv) => kv.keyString)).toEqual(['k']);
    expect((await direct.kv.get('tenant-', { prefix: true })).kvs.map((kv) => kv.keyString)).toEqual(['tenant-a/k', 'tenant-b/k', 'tenant-b/only-b']);
    // etcdctl's empty-prefix and from-key ranges stay inside the namespace too.
    expect((await etcdctl([a.endpoint], ['get', '', '--prefix', '--keys-only'])).stdout).toBe('k\n\n');
    expect((await etcdctl([b.endpoint], ['get', '', '--from-key', '--keys-only'])).stdout).toBe('k\n\nonly-b\n\n');

    const lease = await clientA.lease.grant(60);
    await clientA.kv.put('leased', 'v', { lease: lease.id });
    expect((await clientA.lease.timeToLive(lease.id, { keys: true })).keys.map(String)).toEqual(['leased']);
    expect((await clientB.lease.timeToLive(lease.id, { keys: true })).keys).toEqual([]);
    const lock = await clientA.lock.lock('my-lock', { lease: lease.id });
    expect(lock.key.toString().startsWith('my-lock/')).toBe(true);
    expect((await direct.kv.get('tenant-a/my-lock/', { prefix: true })).count).toBe(1);
    await clientA.lock.unlock(lock.key);
    expect((await direct.kv.get('tenant-a/my-lock/', { prefix: true })).count).toBe(0);
    const leader = await clientA.election.campaign('my-election', 'a-leads', { lease: lease.id });
    expect((await clientA.election.leader('my-election'))?.valueString).toBe('a-leads');
    expect(await clientB.election.leader('my-election').catch((e: unknown) => (e as Error).message)).toBe('election: no leader');
    await clientA.election.resign(leader);

    const deleted = await clientA.kv.delete(Buffer.from([0]), { fromKey: true });
    expect(deleted.deleted).toBe(2);
    expect((await clientB.kv.get('', { prefix: true })).kvs.map((kv) => kv.keyString)).toEqual(['k', 'only-b']);
    await expect.poll(() => seenByA.includes('delete leased'), { timeout: pollTimeoutMs }).toBe(true);
    expect(seenByA).toEqual(['put k', 'put leased', expect.stringMatching(/^put my-lock\//), expect.stringMatching(/^delete my-lock\//), expect.stringMatching(/^put my-election\//), expect.stringMatching(/^delete my-election\//), 'delete k', 'delete leased']);
    watchA.cancel();
    await clientA.lease.revoke(lease.id);
  }, 60_000);

  it('answers serializable ranges from its cache until a write through it, as etcd grpc-proxy does', async () => {
    const scenario = async (proxy: ProxyProcess, key: string): Promise<string[]> => {
      const proxied = client(proxy.endpoint);
      const direct = client(etcdEndpoint());
      const read = async (): Promise<string> => (await proxied.kv.getOne(key, { serializable: true }))?.valueString ?? 'null';
      const log: string[] = [];
      await proxied.kv.put(key, 'one');
      log.push(await read());
      await direct.kv.put(key, 'two');
      log.push(await read(), `linearizable ${(await proxied.kv.getOne(key))?.valueString}`, await read());
      await direct.kv.put(key, 'three');
      await proxied.kv.put(`${key}-neighbour`, 'x');
      log.push(await read());
      await proxied.kv.put(key, 'four');
      log.push(await read());
      return log;
    };
    const rafterProxy = await startProxy([etcdEndpoint()]);
    const etcdProxy = await startProxy([etcdEndpoint()], [], true);
    const ours = await scenario(rafterProxy, '/cache/rafter');
    expect(ours).toEqual(await scenario(etcdProxy, '/cache/etcd'));
    expect(ours).toEqual(['one', 'one', 'linearizable two', 'two', 'two', 'four']);
    const metrics = await rafterProxy.metrics();
    expect(metrics.get('etcd_grpc_proxy_cache_hits_total')).toBe(3);
    expect(metrics.get('etcd_grpc_proxy_cache_misses_total')).toBe(2);
  }, 60_000);

  it('registers itself under the resolver prefix and lists the registered proxies as members', async () => {
    const upstream = cluster.endpoints[0]!;
    const args = ['--resolver-prefix=/proxies', '--resolver-ttl=5'];
    const p1 = await startProxy([upstream], args);
    const p2 = await startProxy([upstream], args);
    const listed = async (): Promise<string[]> => (await client(p1.endpoint).cluster.memberList()).members.flatMap((m) => m.clientUrls).sort();
    await expect.poll(listed, { timeout: pollTimeoutMs }).toEqual([p1.endpoint, p2.endpoint].sort());
    const registered = await client(upstream).kv.get('/proxies/', { prefix: true });
    expect(registered.kvs.map((kv) => kv.keyString).sort()).toEqual([`/proxies/${p1.endpoint}`, `/proxies/${p2.endpoint}`].sort());
    const update = JSON.parse(registered.kvs[0]!.valueString) as { Op: number; Addr: string; Metadata: string };
    expect(update.Op).toBe(0);
    expect(JSON.parse(update.Metadata)).toHaveProperty('name');
    expect(registered.kvs.every((kv) => kv.lease !== '0')).toBe(true);
    await p2.stop();
    await expect.poll(listed, { timeout: pollTimeoutMs }).toEqual([p1.endpoint]);
  }, 60_000);

  it('sends one renewal upstream for keep-alives of one lease that arrive together', async () => {
    const upstream = new Upstream({ endpoints: cluster.endpoints });
    clients.push(upstream);
    const metrics = new ProxyMetrics();
    const keepAlives = new KeepAlives(upstream, metrics);
    clients.push(keepAlives);
    const lease = await upstream.client.lease.grant(30);
    const answers = await Promise.all(Array.from({ length: 5 }, () => keepAlives.renew(lease.id, undefined)));
    expect(answers.map((answer) => [answer.ID, Number(answer.TTL) > 0])).toEqual(Array.from({ length: 5 }, () => [lease.id, true]));
    expect([metrics.keepAlivesForwarded, metrics.keepAlivesCoalesced]).toEqual([1, 4]);
    await upstream.client.lease.revoke(lease.id);
    expect((await keepAlives.renew(lease.id, undefined)).TTL).toBe('0');
  }, 30_000);

  it('answers on the JSON gateway as the cluster does, bad input included', async () => {
    const bodies = [
      ['/v3/kv/put', { key: Buffer.from('gw').toString('base64'), value: Buffer.from('v').toString('base64') }],
      ['/v3/kv/range', { key: Buffer.from('gw').toString('base64') }],
      ['/v3/kv/range', {}],
      ['/v3/kv/range', { key: Buffer.from('gw').toString('base64'), revision: 100_000 }],
      ['/v3/lease/revoke', { ID: 1234 }],
      ['/v3/kv/put', { key: 12 }],
    ] as const;
    const ask = async (endpoint: string, route: string, body: object): Promise<string> => {
      const response = await fetch(`http://${endpoint}${route}`, { method: 'POST', body: JSON.stringify(body) });
      const text = (await response.text()).replace(/"(cluster_id|member_id|raft_term|revision)":"\d+"/g, '"$1":"<n>"');
      return `${response.status} ${text}`;
    };
    // In front of etcd: what etcd's gateway answers, to the byte (the last body, refused by the
    // gateway before any call, is worded by core/api's gateway, not etcd's).
    const etcdProxy = await startProxy([etcdEndpoint()]);
    for (const [route, body] of bodies.slice(0, -1)) expect(await ask(etcdProxy.endpoint, route, body), route).toBe(await ask(etcdEndpoint(), route, body));
    // A gateway watch stream: its first two lines (created, then the event of a put).
    const watchLines = async (endpoint: string, key: string): Promise<string[]> => {
      const controller = new AbortController();
      const response = await fetch(`http://${endpoint}/v3/watch`, {
        method: 'POST', body: JSON.stringify({ create_request: { key: Buffer.from(key).toString('base64') } }), signal: controller.signal,
      });
      const reader = response.body!.getReader();
      let text = '';
      let wrote = false;
      while (text.split('\n').length < 3) {
        const chunk = (await reader.read()) as { done: boolean; value?: Uint8Array };
        if (chunk.done) break;
        text += Buffer.from(chunk.value ?? new Uint8Array(0)).toString('utf8');
        if (!wrote && text.includes('\n')) {
          wrote = true;
          await client(etcdEndpoint()).kv.put(key, 'watched');
        }
      }
      controller.abort();
      return text.split('\n').slice(0, 2).map((line) => line.replace(/"(cluster_id|member_id|raft_term|revision|create_revision|mod_revision)":"\d+"/g, '"$1":"<n>"').replace(/"key":"[^"]*"/, '"key":"<k>"'));
    };
    expect(await watchLines(etcdProxy.endpoint, '/gw-watch/proxied')).toEqual(await watchLines(etcdEndpoint(), '/gw-watch/direct'));
    // In front of Rafter: what the member answers, except that the member's gateway prints
    // proto3 default values (`"lease":"0"`, `"more":false`) that etcd's and the proxy's leave out.
    const upstream = cluster.endpoints[0]!;
    const proxy = await startProxy([upstream]);
    const withoutDefaults = (text: string): string => text.replace(/,"lease":"0"|,"more":false/g, '');
    for (const [route, body] of bodies) expect(await ask(proxy.endpoint, route, body), route).toBe(withoutDefaults(await ask(upstream, route, body)));
  }, 30_000);

  it('reports its health and metrics, and unhealthy when no endpoint answers', async () => {
    const proxy = await startProxy([cluster.endpoints[0]!]);
    const health = await fetch(`http://${proxy.endpoint}/health`);
    expect([health.status, await health.text()]).toEqual([200, '{"health":"true"}']);
    const [closedPort] = await freePorts(1);
    const orphan = await ProxyProcess.start({ endpoints: [`127.0.0.1:${closedPort!}`], waitHealthy: false });
    proxies.push(orphan);
    await expect.poll(async () => {
      const response = await fetch(`http://${orphan.endpoint}/health`).catch(() => null);
      return response ? `${response.status} ${await response.text()}` : 'not listening';
    }, { timeout: pollTimeoutMs }).toBe('503 {"health":"false"}');
    const metrics = await orphan.metrics();
    expect(metrics.get(`rafter_proxy_upstream_healthy{endpoint="127.0.0.1:${closedPort!}"}`)).toBe(0);
  }, 30_000);

  it('relays server streams: snapshots and election observations', async () => {
    const proxy = await startProxy([cluster.endpoints[0]!]);
    const file = path.join(cluster.baseDir, 'through-proxy.db');
    await client(proxy.endpoint).kv.put('/snap/k', 'v');
    const saved = await etcdctl([proxy.endpoint], ['snapshot', 'save', file]);
    expect([saved.code, saved.stdout]).toEqual([0, `Snapshot saved at ${file}\n`]);
    // A Rafter snapshot is an LMDB file: rafter's own snapshot status reads it.
    const status = await rafterCommand(['snapshot', 'status', file, '-w', 'json']);
    expect(status.code, status.stderr).toBe(0);
    expect((JSON.parse(status.stdout) as { totalKeys: number }).totalKeys).toBeGreaterThan(0);
    let observed = '';
    const observing = etcdctlUntil([proxy.endpoint], ['elect', '-l', 'observed-election'], (out) => out.includes('candidate-value'))
      .then((out) => (observed = out), (error: unknown) => (observed = String(error)));
    const campaigner = client(proxy.endpoint);
    const lease = await campaigner.lease.grant(30);
    await campaigner.election.campaign('observed-election', 'candidate-value', { lease: lease.id });
    await observing;
    expect(observed).toMatch(/^observed-election\/[0-9a-f]+\ncandidate-value\n/);
    await campaigner.lease.revoke(lease.id);
  }, 30_000);

  it('refuses bad flags with etcd-like one-line errors', async () => {
    const run = async (args: string[]): Promise<{ code: number; stderr: string }> => {
      const { code, stderr } = await rafterCommand(['grpc-proxy', 'start', ...args]);
      return { code, stderr };
    };
    expect(await run(['--no-such-flag'])).toEqual({ code: 2, stderr: 'rafter grpc-proxy: unknown flag: --no-such-flag\n' });
    expect(await run(['--resolver-prefix=/p'])).toEqual({ code: 2, stderr: 'rafter grpc-proxy: invalid --resolver-ttl 0\n' });
    expect(await run(['--listen-addr=nowhere'])).toEqual({ code: 2, stderr: 'rafter grpc-proxy: invalid --listen-addr "nowhere": want host:port\n' });
  }, 30_000);
});
