// Negative numbers where etcd expects counts and revisions: a Rafter member answers each the way a
// real etcd 3.4 does — the same success and result, or the same gRPC code and message. (A negative
// compaction revision once made a Raft entry no member could decode: every member stopped.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EtcdClient } from '../../core/client/etcdClient.js';
import { EtcdError } from '../../core/client/etcdError.js';
import { Compare, Op } from '../../core/client/txn.js';
import { EtcdClient as Client } from '../../core/client/etcdClient.js';
import { EtcdTestCluster } from '../support/etcd.js';
import { RafterCluster } from '../support/rafterCluster.js';

let etcd: EtcdTestCluster;
let rafter: RafterCluster;
let clients: { etcd: EtcdClient; rafter: EtcdClient };

beforeAll(async () => {
  [etcd, rafter] = await Promise.all([EtcdTestCluster.start({ members: 1 }), RafterCluster.start({ members: 1 })]);
  clients = { etcd: etcd.client(), rafter: new Client({ endpoints: rafter.endpoints }) };
  for (const client of Object.values(clients)) {
    for (let i = 0; i < 5; i++) await client.kv.put(`/n/${i}`, `v${i}`);
  }
}, 120_000);

afterAll(async () => {
  clients?.rafter.close();
  await rafter?.stop();
  await etcd?.stop();
});

/** What a call gives: its result in `shape`, or its error's code and message. */
async function outcome(call: (client: EtcdClient) => Promise<unknown>, client: EtcdClient): Promise<unknown> {
  try {
    return { ok: await call(client) };
  } catch (error) {
    if (error instanceof EtcdError) return { code: error.codeName, message: error.message };
    throw error;
  }
}

const cases: [string, (client: EtcdClient) => Promise<unknown>][] = [
  ['a range with a negative limit', async (c) => (await c.kv.get('/n/', { prefix: true, limit: -3 })).kvs.map((kv) => kv.keyString)],
  ['a range at a negative revision', async (c) => (await c.kv.get('/n/', { prefix: true, revision: -1 })).kvs.length],
  ['a range at a revision far in the future', async (c) => (await c.kv.get('/n/', { prefix: true, revision: 1_000_000 })).count],
  ['a compaction to a negative revision', async (c) => (await c.kv.compact(-5)).revision > 0],
  ['a lease with a negative TTL', async (c) => (await c.lease.grant(-10)).ttl],
  ['a transaction comparing with a negative mod revision', async (c) => (await c.kv.txn().if(Compare.modRevision('/n/0', '>', -1)).then(Op.put('/n/t', 'x')).commit()).succeeded],
  ['a transaction comparing with a negative version', async (c) => (await c.kv.txn().if(Compare.version('/n/1', '<', -3)).then(Op.put('/n/u', 'x')).commit()).succeeded],
];

describe('negative counts and revisions', () => {
  for (const [name, call] of cases) {
    it(`answers ${name} as etcd 3.4 does`, async () => {
      const expected = await outcome(call, clients.etcd);
      expect(await outcome(call, clients.rafter)).toEqual(expected);
    });
  }
});
