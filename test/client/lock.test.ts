// Lock and Election calls of the etcd client against a real single-member etcd.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdError } from '../../core/client/index.js';
import type { EtcdClient } from '../../core/client/index.js';
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

describe('Lock and Election against real etcd', () => {
  it('grants a lock to one holder at a time, the next after unlock', async () => {
    const first = await client.lease.grant(30);
    const second = await client.lease.grant(30);
    const held = await client.lock.lock('mutex', { lease: first.id });
    expect(held.key.toString().startsWith('mutex/')).toBe(true);
    let secondAcquired = false;
    const waiting = client.lock.lock('mutex', { lease: second.id }).then((result) => {
      secondAcquired = true;
      return result;
    });
    waiting.catch(() => undefined);
    const busy = await client.lock.lock('mutex', { lease: second.id, timeoutMs: 200 }).catch((error: unknown) => error);
    // Whichever side notices the deadline first: the client (DEADLINE_EXCEEDED) or etcd (UNKNOWN).
    expect(busy).toBeInstanceOf(EtcdError);
    expect((busy as EtcdError).message).toMatch(/deadline exceeded/i);
    expect(secondAcquired).toBe(false);
    await client.lock.unlock(held.key);
    const next = await waiting;
    expect(next.key.equals(held.key)).toBe(false);
    await client.lock.unlock(next.key);
  });

  it('elects a leader, streams its proclamations and resigns', async () => {
    const lease = await client.lease.grant(30);
    const leader = await client.election.campaign('election', 'one', { lease: lease.id });
    expect(leader.name.toString()).toBe('election');
    expect(leader.lease).toBe(lease.id);
    expect((await client.election.leader('election'))?.valueString).toBe('one');

    const observer = await client.election.observe('election');
    const seen = observer[Symbol.asyncIterator]();
    expect((await seen.next()).value?.valueString).toBe('one');
    await client.election.proclaim(leader, 'two');
    expect((await seen.next()).value?.valueString).toBe('two');
    observer.cancel();

    await client.election.resign(leader);
    const none = await client.election.leader('election').catch((error: unknown) => error);
    expect(none).toBeInstanceOf(EtcdError);
    expect((none as EtcdError).message).toBe('election: no leader');
  });
});
