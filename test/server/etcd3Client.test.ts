// The `etcd3` npm client, unchanged, against a 3-member Rafter cluster.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Etcd3 } from 'etcd3';
import { RafterCluster } from '../support/rafterCluster.js';

let cluster: RafterCluster;
let client: Etcd3;

beforeAll(async () => {
  cluster = await RafterCluster.start({ members: 3 });
  client = new Etcd3({ hosts: cluster.endpoints.map((e) => `http://${e}`) });
}, 120_000);

afterAll(async () => {
  client?.close();
  await cluster?.stop();
});

describe('the etcd3 npm client against Rafter', () => {
  it('puts, gets by prefix, deletes and runs an if/then transaction', async () => {
    await client.put('/etcd3/a').value('1');
    await client.put('/etcd3/b').value('2');
    expect(await client.get('/etcd3/a').string()).toBe('1');
    expect(await client.getAll().prefix('/etcd3/').strings()).toEqual({ '/etcd3/a': '1', '/etcd3/b': '2' });
    const result = await client.if('/etcd3/a', 'Value', '==', '1').then(client.put('/etcd3/c').value('3')).commit();
    expect(result.succeeded).toBe(true);
    await client.delete().key('/etcd3/b');
    expect(await client.getAll().prefix('/etcd3/').keys()).toEqual(['/etcd3/a', '/etcd3/c']);
  });

  it('watches a prefix and receives puts and deletes', async () => {
    const watcher = await client.watch().prefix('/etcd3w/').create();
    const seen: string[] = [];
    const done = new Promise<void>((resolve) => {
      watcher.on('put', (kv) => seen.push(`put ${kv.key.toString()}`));
      watcher.on('delete', (kv) => {
        seen.push(`delete ${kv.key.toString()}`);
        resolve();
      });
    });
    await client.put('/etcd3w/x').value('1');
    await client.delete().key('/etcd3w/x');
    await done;
    await watcher.cancel();
    expect(seen).toEqual(['put /etcd3w/x', 'delete /etcd3w/x']);
  });

  it('keeps a lease alive, attaches keys to it, and revokes it', async () => {
    const lease = client.lease(10);
    await lease.put('/etcd3l/k').value('v');
    expect(await client.get('/etcd3l/k').string()).toBe('v');
    await lease.keepaliveOnce();
    await lease.revoke();
    expect(await client.get('/etcd3l/k').string()).toBeNull();
  });

  it('takes a lock and an election', async () => {
    const lock = await client.lock('/etcd3lock').acquire();
    expect(await client.getAll().prefix('/etcd3lock').count()).toBe(1);
    await lock.release();
    const election = client.election('/etcd3elect');
    const campaign = election.campaign('candidate-a');
    await new Promise<void>((resolve, reject) => {
      campaign.on('elected', () => resolve());
      campaign.on('error', reject);
    });
    expect(await election.leader()).toBe('candidate-a');
    await campaign.resign();
  });
});
