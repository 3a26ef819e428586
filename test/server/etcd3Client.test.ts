// The `etcd3` npm client, unchanged, against a 3-member Rafter cluster.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Etcd3, Range } from 'etcd3';
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

  it('manages roles and users, and with auth enabled reads and writes as the permissions allow', async () => {
    const reader = await client.role('etcd3-reader').create();
    await reader.grant({ permission: 'Read', range: Range.prefix('/etcd3auth/') });
    await reader.grant({ permission: 'Readwrite', key: '/etcd3auth/own' });
    expect((await reader.permissions()).map((p) => p.permission)).toEqual(['Read', 'Readwrite']);
    const user = await client.user('etcd3-user').create('userpw');
    await user.addRole(reader);
    expect((await user.roles()).map((r) => r.name)).toEqual(['etcd3-reader']);
    const root = await client.user('root').create('rootpw');
    await root.addRole('root');
    expect((await client.getUsers()).map((u) => u.name).sort()).toEqual(['etcd3-user', 'root']);
    // The root role need not exist as a record to be granted (as in etcd), so only created roles are listed.
    expect((await client.getRoles()).map((r) => r.name)).toEqual(['etcd3-reader']);
    await client.put('/etcd3auth/a').value('1');
    await client.auth.authEnable();

    const hosts = cluster.endpoints.map((e) => `http://${e}`);
    const asUser = new Etcd3({ hosts, auth: { username: 'etcd3-user', password: 'userpw' } });
    const asRoot = new Etcd3({ hosts, auth: { username: 'root', password: 'rootpw' } });
    try {
      expect(await asUser.get('/etcd3auth/a').string()).toBe('1');
      await asUser.put('/etcd3auth/own').value('mine');
      await expect(asUser.put('/etcd3auth/a').value('2')).rejects.toThrow('etcdserver: permission denied');
      await expect(client.get('/etcd3auth/a').string()).rejects.toThrow('etcdserver: user name is empty');
      await asRoot.user('etcd3-user').removeRole('etcd3-reader');
      await expect(asUser.get('/etcd3auth/a').string()).rejects.toThrow('etcdserver: permission denied');
      await asRoot.role('etcd3-reader').revoke({ permission: 'Readwrite', key: '/etcd3auth/own' });
      await asRoot.user('etcd3-user').delete();
      await asRoot.auth.authDisable();
    } finally {
      asUser.close();
      asRoot.close();
    }
    expect(await client.get('/etcd3auth/own').string()).toBe('mine');
  });
});
