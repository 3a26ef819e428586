// etcd's v3lock and v3election gRPC services on a Rafter member, through the typed client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdClient } from '../../core/client/etcdClient.js';
import { RafterCluster } from '../support/rafterCluster.js';

let cluster: RafterCluster;
let client: EtcdClient;

beforeAll(async () => {
  cluster = await RafterCluster.start({ members: 1 });
  client = new EtcdClient({ endpoints: cluster.endpoints });
}, 120_000);

afterAll(async () => {
  client?.close();
  await cluster?.stop();
});

describe('lock and election services', () => {
  it('grants a lock to one holder at a time, in arrival order', async () => {
    const first = await client.lease.grant(60);
    const second = await client.lease.grant(60);
    const held = await client.lock.lock('/locks/a', { lease: first.id });
    expect(held.key.toString()).toBe(`/locks/a/${BigInt(first.id).toString(16)}`);
    let secondHolds = false;
    const waiting = client.lock.lock('/locks/a', { lease: second.id }).then((r) => {
      secondHolds = true;
      return r;
    });
    // Wait (bounded) until the second caller's key exists: it is queued behind the first.
    let queued = 0;
    for (let poll = 0; poll < 200 && queued < 2; poll++) {
      queued = (await client.kv.get('/locks/a/', { prefix: true })).kvs.length;
      if (queued < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(queued).toBe(2);
    expect(secondHolds).toBe(false);
    await client.lock.unlock(held.key);
    const next = await waiting;
    expect(next.key.toString()).toBe(`/locks/a/${BigInt(second.id).toString(16)}`);
  });

  it('elects a leader, proclaims a value, reports it, and hands over on resign', async () => {
    const lease1 = await client.lease.grant(60);
    const lease2 = await client.lease.grant(60);
    const leader = await client.election.campaign('/elect/x', 'one', { lease: lease1.id });
    expect((await client.election.leader('/elect/x'))?.value.toString()).toBe('one');
    await client.election.proclaim(leader, 'one-again');
    expect((await client.election.leader('/elect/x'))?.value.toString()).toBe('one-again');
    const second = client.election.campaign('/elect/x', 'two', { lease: lease2.id });
    await client.election.resign(leader);
    await second;
    expect((await client.election.leader('/elect/x'))?.value.toString()).toBe('two');
    await expect(client.election.proclaim(leader, 'stale')).rejects.toThrow('election: not leader');
  });
});
