// A JSON-gateway Lock or Campaign call queued behind a holder, whose HTTP client goes away, gives up
// its place, on a Rafter member and an etcd 3.4 member side by side: its key is deleted, so it never
// takes the lock or the lead with nobody to let go (grpc-gateway cancels the call's context when
// the HTTP request ends).
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdClient } from '../../core/client/etcdClient.js';
import { EtcdTestCluster } from '../support/etcd.js';
import { RafterCluster } from '../support/rafterCluster.js';

const pollsMax = 400;
const pollPauseMs = 25;

interface Side { readonly name: string; readonly url: string; readonly client: EtcdClient }

let rafter: RafterCluster;
let etcd: EtcdTestCluster;
let sides: Side[] = [];

beforeAll(async () => {
  [rafter, etcd] = await Promise.all([RafterCluster.start({ members: 1 }), EtcdTestCluster.start({ members: 1 })]);
  sides = [
    { name: 'etcd', url: etcd.endpoints[0]!, client: new EtcdClient({ endpoints: [etcd.endpoints[0]!.replace(/^https?:\/\//, '')] }) },
    { name: 'rafter', url: rafter.members[0]!.clientUrl, client: new EtcdClient({ endpoints: rafter.endpoints }) },
  ];
}, 120_000);

afterAll(async () => {
  for (const side of sides) side.client.close();
  await rafter?.stop();
  await etcd?.stop();
});

const b64 = (text: string): string => Buffer.from(text).toString('base64');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls (bounded) until the number of keys under `prefix` is `count`; returns the last count seen. */
async function keysUnder(side: Side, prefix: string, count: number): Promise<number> {
  let seen = -1;
  for (let poll = 0; poll < pollsMax; poll++) {
    seen = (await side.client.kv.get(prefix, { prefix: true })).kvs.length;
    if (seen === count) return seen;
    await sleep(pollPauseMs);
  }
  return seen;
}

/** Starts a gateway POST that will wait; returns a function that drops the HTTP connection. */
function waitingPost(url: string, path: string, body: object): () => void {
  const request = http.request(new URL(path, url), { method: 'POST', headers: { 'content-type': 'application/json' } });
  request.on('error', () => undefined);
  request.end(JSON.stringify(body));
  return () => request.destroy();
}

async function queuedCallGivesUp(side: Side, path: string, name: string, hold: (lease: string) => Promise<void>, body: (lease: string) => object): Promise<number[]> {
  const holder = String((await side.client.lease.grant(60)).id);
  const waiter = String((await side.client.lease.grant(60)).id);
  await hold(holder);
  const drop = waitingPost(side.url, path, body(waiter));
  const queued = await keysUnder(side, `${name}/`, 2);
  drop();
  const afterDrop = await keysUnder(side, `${name}/`, 1);
  return [queued, afterDrop];
}

describe('a queued gateway call whose HTTP client goes away, side by side with etcd 3.4', () => {
  it('Lock: the waiter\'s key is deleted', async () => {
    const outcomes = await Promise.all(
      sides.map((side) =>
        queuedCallGivesUp(
          side, '/v3/lock/lock', '/gw-lock',
          async (lease) => void (await side.client.lock.lock('/gw-lock', { lease: BigInt(lease) })),
          (lease) => ({ name: b64('/gw-lock'), lease }),
        ),
      ),
    );
    expect(outcomes[0]).toEqual([2, 1]);
    expect(outcomes[1]).toEqual(outcomes[0]);
  }, 60_000);

  it('Campaign: the candidate\'s key is deleted', async () => {
    const outcomes = await Promise.all(
      sides.map((side) =>
        queuedCallGivesUp(
          side, '/v3/election/campaign', '/gw-elect',
          async (lease) => void (await side.client.election.campaign('/gw-elect', 'first', { lease: BigInt(lease) })),
          (lease) => ({ name: b64('/gw-elect'), lease, value: b64('second') }),
        ),
      ),
    );
    expect(outcomes[0]).toEqual([2, 1]);
    expect(outcomes[1]).toEqual(outcomes[0]);
  }, 60_000);
});
