// A simple token that is not used for longer than --auth-token-ttl expires, on a 1-member Rafter
// and a 1-member etcd 3.4 side by side: the expired token gets etcd's code and message, a fresh
// Authenticate works again, and a token kept in use does not expire. Waiting out the TTL is the
// behaviour under test, so the test waits (twice the TTL plus etcd's one-second expiry sweep).
import { Client, credentials } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EtcdServiceName } from '../../core/api/proto/load.js';
import { rawUnaryCall, type RawAnswer } from '../support/rawGrpc.js';
import { EtcdTestCluster } from '../support/etcd.js';
import { RafterCluster } from '../support/rafterCluster.js';

const ttlSeconds = 2;
/** Past the TTL and etcd's expiry sweep, which runs once a second. */
const idleMs = 2 * ttlSeconds * 1_000 + 1_500;
const ttlFlags = [`--auth-token-ttl=${ttlSeconds}`];

interface Side { readonly name: string; readonly raw: Client }
type Answer = RawAnswer;

let etcd: EtcdTestCluster;
let rafter: RafterCluster;
let sides: Side[] = [];

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function call(side: Side, service: EtcdServiceName, method: string, request: object, token?: string): Promise<Answer> {
  return rawUnaryCall(side.raw, service, method, request, token);
}

async function mustSucceed(side: Side, service: EtcdServiceName, method: string, request: object, token?: string): Promise<Record<string, unknown>> {
  const answer = await call(side, service, method, request, token);
  if (!answer.ok) throw new Error(`${side.name}: ${method}: ${answer.message}`);
  return answer.value;
}

const read = (side: Side, token: string): Promise<Answer> => call(side, 'etcdserverpb.KV', 'Range', { key: Buffer.from('k') }, token);
const tokenOf = async (side: Side): Promise<string> => String((await mustSucceed(side, 'etcdserverpb.Auth', 'Authenticate', { name: 'root', password: 'rootpw' }))['token']);
const strip = (answer: Answer): unknown => (answer.ok ? { ok: true } : answer);

beforeAll(async () => {
  [etcd, rafter] = await Promise.all([EtcdTestCluster.start({ members: 1, extraArgs: ttlFlags }), RafterCluster.start({ members: 1, extraArgs: ttlFlags })]);
  const etcdEndpoint = etcd.endpoints[0]!.replace(/^https?:\/\//, '');
  sides = [
    { name: 'etcd', raw: new Client(etcdEndpoint, credentials.createInsecure()) },
    { name: 'rafter', raw: new Client(rafter.endpoints[0]!, credentials.createInsecure()) },
  ];
  for (const side of sides) {
    await mustSucceed(side, 'etcdserverpb.Auth', 'UserAdd', { name: 'root', password: 'rootpw' });
    await mustSucceed(side, 'etcdserverpb.Auth', 'UserGrantRole', { user: 'root', role: 'root' });
    await mustSucceed(side, 'etcdserverpb.Auth', 'AuthEnable', {});
  }
}, 120_000);

afterAll(async () => {
  for (const side of sides) side.raw.close();
  await rafter?.stop();
  await etcd?.stop();
});

describe('simple tokens under --auth-token-ttl, side by side with etcd 3.4', () => {
  it('refuse a token left unused past its TTL with etcd\'s error, and a new one works', async () => {
    const tokens = await Promise.all(sides.map(tokenOf));
    const fresh = await Promise.all(sides.map((side, i) => read(side, tokens[i]!)));
    expect(fresh.map(strip)).toEqual([{ ok: true }, { ok: true }]);
    await sleep(idleMs);
    const expired = await Promise.all(sides.map((side, i) => read(side, tokens[i]!)));
    expect(strip(expired[1]!)).toEqual(strip(expired[0]!));
    expect(strip(expired[1]!)).toEqual({ ok: false, code: 16, message: 'etcdserver: invalid auth token' });
    const renewed = await Promise.all(sides.map(async (side) => read(side, await tokenOf(side))));
    expect(renewed.map(strip)).toEqual([{ ok: true }, { ok: true }]);
  }, 30_000);

  it('keep a token alive while it is used more often than its TTL', async () => {
    const tokens = await Promise.all(sides.map(tokenOf));
    const useEveryMs = (ttlSeconds * 1_000) / 4;
    for (let used = 0; used < idleMs; used += useEveryMs) {
      const answers = await Promise.all(sides.map((side, i) => read(side, tokens[i]!)));
      expect(answers.map(strip)).toEqual([{ ok: true }, { ok: true }]);
      await sleep(useEveryMs);
    }
  }, 30_000);
});
