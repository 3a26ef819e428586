// Lease calls of the etcd client against a real single-member etcd.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdError } from '../../core/client/index.js';
import type { EtcdClient, KeepAliveResponse } from '../../core/client/index.js';
import { EtcdTestCluster } from '../support/etcd.js';

let etcd: EtcdTestCluster;
let client: EtcdClient;

beforeAll(async () => {
  etcd = await EtcdTestCluster.start();
  client = etcd.client();
});

afterAll(async () => {
  await etcd.stop();
});

describe('Lease against real etcd', () => {
  it('grants a lease, attaches keys and reports them with its time to live', async () => {
    const lease = await client.lease.grant(60);
    expect(lease.id).toMatch(/^\d+$/);
    expect(lease.ttl).toBe(60);
    await client.kv.put('lease/a', '1', { lease: lease.id });
    await client.kv.put('lease/b', '2', { lease: BigInt(lease.id) });
    expect((await client.kv.getOne('lease/a'))?.lease).toBe(lease.id);
    const info = await client.lease.timeToLive(lease.id, { keys: true });
    expect(info.id).toBe(lease.id);
    expect(info.grantedTtl).toBe(60);
    expect(info.ttl).toBeGreaterThan(0);
    expect(info.ttl).toBeLessThanOrEqual(60);
    expect(info.keys.map((key) => key.toString()).sort()).toEqual(['lease/a', 'lease/b']);
    expect(await client.lease.leases()).toContain(lease.id);
  });

  it('grants a lease with a chosen id larger than 2^53 without losing precision', async () => {
    const id = 9_007_199_254_740_993n;
    const lease = await client.lease.grant(30, { id });
    expect(lease.id).toBe('9007199254740993');
    expect((await client.lease.timeToLive(lease.id)).grantedTtl).toBe(30);
    await client.lease.revoke(lease.id);
  });

  it('revokes a lease and deletes its keys', async () => {
    const lease = await client.lease.grant(60);
    await client.kv.put('revoke/a', '1', { lease: lease.id });
    await client.lease.revoke(lease.id);
    expect(await client.kv.getOne('revoke/a')).toBeNull();
    expect((await client.lease.timeToLive(lease.id)).ttl).toBe(-1);
    expect(await client.lease.leases()).not.toContain(lease.id);
  });

  it('names a missing lease with etcd message and NOT_FOUND', async () => {
    const failure = await client.lease.revoke('123456789').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(EtcdError);
    expect((failure as EtcdError).codeName).toBe('NOT_FOUND');
    expect((failure as EtcdError).message).toBe('etcdserver: requested lease not found');
    const attach = await client.kv.put('nolease', 'x', { lease: '123456789' }).catch((error: unknown) => error);
    expect((attach as EtcdError).message).toBe('etcdserver: requested lease not found');
  });

  it('renews a lease once with keepAliveOnce and refuses a missing one', async () => {
    const lease = await client.lease.grant(20);
    const renewed = await client.lease.keepAliveOnce(lease.id);
    expect(renewed.id).toBe(lease.id);
    expect(renewed.ttl).toBe(20);
    const failure = await client.lease.keepAliveOnce('987654321').catch((error: unknown) => error);
    expect((failure as EtcdError).message).toBe('etcdserver: requested lease not found');
  });

  it('keeps a short lease alive across several renewals', async () => {
    const lease = await client.lease.grant(2);
    const keepAlive = client.lease.keepAlive(lease.id);
    const responses: KeepAliveResponse[] = [];
    for await (const response of keepAlive) {
      responses.push(response);
      if (responses.length === 3) break;
    }
    keepAlive.close();
    expect(responses.every((response) => response.id === lease.id && response.ttl === 2)).toBe(true);
    expect((await client.lease.timeToLive(lease.id)).ttl).toBeGreaterThan(0);
    await client.lease.revoke(lease.id);
  });

  it('ends a keep-alive with lease not found once the lease is revoked', async () => {
    const lease = await client.lease.grant(2);
    const keepAlive = client.lease.keepAlive(lease.id);
    const iterator = keepAlive[Symbol.asyncIterator]();
    expect((await iterator.next()).done).toBe(false);
    await client.lease.revoke(lease.id);
    const failure = await (async () => {
      for (;;) await iterator.next();
    })().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(EtcdError);
    expect((failure as EtcdError).message).toBe('etcdserver: requested lease not found');
    expect(keepAlive.closed).toBe(true);
  });
});
