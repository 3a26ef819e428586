// A local cluster with a grpc-proxy in front, through the AdminService: the proxy is a real
// `rafter grpc-proxy` process launched with the cluster; its figures (health, cache, coalesced
// watchers) come from its own /health and /metrics, on the Cluster page's status ticks too; keys,
// watches and leases work through a connection to it (inside its namespace); it comes back when
// the service is closed and opened again on the same data folder, follows a member added, and
// goes when removed.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminEvent, LocalClusterInfo, ProxyStatus } from '../../core/admin/api.js';
import { AdminService } from '../../core/admin/adminService.js';
import { appDataOptions } from '../../core/admin/appData.js';
import { compiledMemberCommand } from '../../core/admin/memberCommand.js';
import type { MemberCommand } from '../../core/admin/localMember.js';
import { EtcdClient } from '../../core/client/etcdClient.js';
import { value } from '../support/adminResults.js';

/** Polls while a condition settles (each ~100 ms apart): a bound, not a pause. */
const pollsMax = 300;
const namespace = 'tenant-a/';

let dataDir: string;
let memberCommand: MemberCommand;
let service: AdminService;
let cluster: LocalClusterInfo;

function base64(text: string): string {
  return Buffer.from(text).toString('base64');
}

/** Calls `read` until its answer satisfies `done` (bounded). */
async function until<T>(read: () => Promise<T>, done: (answer: T) => boolean): Promise<T> {
  let answer = await read();
  for (let poll = 0; poll < pollsMax && !done(answer); poll++) {
    await delay(100);
    answer = await read();
  }
  if (!done(answer)) throw new Error(`did not settle: ${JSON.stringify(answer)}`);
  return answer;
}

async function proxyStatus(): Promise<ProxyStatus> {
  return value(await service.localProxyStatus({ clusterId: cluster.id }));
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'rafter-proxy-console-'));
  const command = compiledMemberCommand();
  if (!command) throw new Error('the rafter member command is missing from this checkout');
  memberCommand = command;
  service = new AdminService(appDataOptions(dataDir, memberCommand));
  await service.open();
  cluster = value(await service.createLocalCluster({ name: 'fronted', memberCount: 1, proxy: { namespace } }));
}, 180_000);

afterAll(async () => {
  await service?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('a local cluster with a grpc-proxy', () => {
  let proxyConnectionId: string;

  it('launches the proxy as a process of its own, in front of the members', async () => {
    const proxy = cluster.proxy!;
    expect(proxy).toMatchObject({ namespace, state: 'running', connectionId: null, endpoints: [cluster.members[0]!.clientUrl] });
    expect(proxy.pid).not.toBe(cluster.members[0]!.pid);
    expect(proxy.clientUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const status = await until(proxyStatus, (candidate) => candidate.healthy);
    expect(status).toMatchObject({ clientUrl: proxy.clientUrl, namespace, error: null });
    expect(status.figures?.currentEndpoint).toBe(new URL(cluster.members[0]!.clientUrl).host);
    const log = value(await service.memberLogs({ clusterId: cluster.id, memberName: 'proxy', tailLines: 20 }));
    expect(log.join('\n')).toContain('started gRPC proxy');
  });

  it('makes a connection through the proxy, once, on which keys are inside its namespace', async () => {
    const connection = value(await service.connectThroughProxy({ clusterId: cluster.id }));
    expect(connection).toMatchObject({ name: 'local: fronted via proxy', endpoints: [cluster.proxy!.clientUrl] });
    proxyConnectionId = connection.id;
    expect(value(await service.connectThroughProxy({ clusterId: cluster.id })).id).toBe(proxyConnectionId);
    expect(value(await service.listLocalClusters({}))[0]!.proxy?.connectionId).toBe(proxyConnectionId);

    value(await service.putKey({ connectionId: proxyConnectionId, key: '/config/a', value: base64('through') }));
    const direct = value(await service.getKey({ connectionId: cluster.connectionId, key: `${namespace}/config/a` }));
    expect(Buffer.from(direct.value, 'base64').toString()).toBe('through');
    const page = value(await service.listKeys({ connectionId: proxyConnectionId, prefix: '/config/', cursor: null, limit: 10 }));
    expect(page.items.map((item) => item.key)).toEqual(['/config/a']);
    // The Cluster page's status of either connection carries the proxy's figures.
    for (const connectionId of [cluster.connectionId, proxyConnectionId]) {
      const status = value(await service.clusterStatus({ connectionId }));
      expect(status.proxy).toMatchObject({ clientUrl: cluster.proxy!.clientUrl, healthy: true });
    }
  });

  it('coalesces the console’s watches through it into one upstream watch, and delivers to both', async () => {
    const events: AdminEvent[] = [];
    const watches = [];
    for (let index = 0; index < 2; index++) {
      const watch = value(await service.startWatch({ connectionId: proxyConnectionId, key: '/config/', prefix: true, prevKv: false }));
      value(await service.subscribe({ kind: 'watch', watchId: watch.watchId }, (event) => events.push(event)));
      watches.push(watch);
    }
    const status = await until(proxyStatus, (candidate) => candidate.figures?.clientWatchers === 2);
    expect(status.figures?.upstreamWatchers).toBe(1);
    value(await service.putKey({ connectionId: proxyConnectionId, key: '/config/b', value: base64('watched') }));
    await until(() => Promise.resolve(events.filter((event) => event.kind === 'watch').length), (count) => count >= 2);
    for (const watch of watches) {
      const batch = events.find((event) => event.kind === 'watch' && event.watchId === watch.watchId);
      expect(batch?.kind === 'watch' ? batch.events.map((event) => event.key) : []).toEqual(['/config/b']);
    }
    for (const watch of watches) value(await service.stopWatch({ watchId: watch.watchId }));
    await until(proxyStatus, (candidate) => candidate.figures?.clientWatchers === 0 && candidate.figures.upstreamWatchers === 0);
  });

  it('grants, keeps alive and lists leases through it, and counts cache hits of serializable reads', async () => {
    const lease = value(await service.grantLease({ connectionId: proxyConnectionId, ttlSeconds: 60 }));
    value(await service.putKey({ connectionId: proxyConnectionId, key: '/leased', value: base64('x'), leaseId: lease.id }));
    expect(value(await service.keepAliveLease({ connectionId: proxyConnectionId, leaseId: lease.id })).ttlSeconds).toBeGreaterThan(0);
    const listed = value(await service.listLeases({ connectionId: proxyConnectionId })).find((candidate) => candidate.id === lease.id);
    expect(listed?.keys).toEqual(['/leased']);

    const before = (await proxyStatus()).figures!;
    const client = new EtcdClient({ endpoints: [cluster.proxy!.clientUrl] });
    try {
      for (let read = 0; read < 3; read++) await client.kv.get('/config/a', { serializable: true });
    } finally {
      client.close();
    }
    const after = (await proxyStatus()).figures!;
    expect(after.cacheHits - before.cacheHits).toBe(2);
    expect(after.cacheMisses - before.cacheMisses).toBe(1);
    expect(after.cacheHitRate).toBeCloseTo(after.cacheHits / (after.cacheHits + after.cacheMisses));
  });

  it('comes back, on its address and with its connection, when the service opens again on the same data', async () => {
    const { clientUrl } = cluster.proxy!;
    await service.close();
    service = new AdminService(appDataOptions(dataDir, memberCommand));
    await service.open();
    const [restored] = value(await service.listLocalClusters({}));
    expect(restored?.proxy).toMatchObject({ clientUrl, namespace, state: 'running', connectionId: proxyConnectionId });
    cluster = restored!;
    const read = await until(
      () => service.getKey({ connectionId: proxyConnectionId, key: '/config/a' }),
      (result) => result.ok,
    );
    expect(read.ok && Buffer.from(read.value.value, 'base64').toString()).toBe('through');
    await until(proxyStatus, (candidate) => candidate.healthy);
  });

  it('is started again on the new member list when a member is added', async () => {
    const added = value(await service.addLocalMember({ clusterId: cluster.id, asLearner: true }));
    const [listed] = value(await service.listLocalClusters({}));
    expect(listed?.proxy).toMatchObject({ state: 'running', endpoints: [cluster.members[0]!.clientUrl, added.clientUrl] });
    cluster = listed!;
    await until(proxyStatus, (candidate) => candidate.healthy);
  });

  it('is removed with its connection, and its port is free again', async () => {
    const { clientUrl } = cluster.proxy!;
    value(await service.removeLocalProxy({ clusterId: cluster.id }));
    expect(value(await service.listLocalClusters({}))[0]!.proxy).toBeNull();
    expect(value(await service.listConnections({})).map((connection) => connection.id)).not.toContain(proxyConnectionId);
    expect(await fetch(`${clientUrl}/metrics`).then(() => 'answered', () => 'refused')).toBe('refused');
    expect(value(await service.clusterStatus({ connectionId: cluster.connectionId })).proxy).toBeUndefined();
    expect(await service.localProxyStatus({ clusterId: cluster.id })).toMatchObject({ ok: false, error: { code: 'failed_precondition' } });
    // Added again on an existing cluster, with no namespace this time.
    const added = value(await service.addLocalProxy({ clusterId: cluster.id, namespace: '' }));
    expect(added).toMatchObject({ namespace: '', state: 'running' });
    const connection = value(await service.connectThroughProxy({ clusterId: cluster.id }));
    const read = value(await service.getKey({ connectionId: connection.id, key: `${namespace}/config/a` }));
    expect(Buffer.from(read.value, 'base64').toString()).toBe('through');
  });
});
