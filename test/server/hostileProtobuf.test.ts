// Seeded malformed protobuf on every method of every etcd service a member serves — the writing
// ones, the streams and the Auth, Lock and Election services included: random bytes, valid-looking
// requests with a flipped bit, truncated requests and absurd length prefixes. Input that does not
// decode as the method's request is refused with a gRPC error (never a hang, never UNKNOWN, never a
// stack trace), the member keeps serving, and nothing stored changes. Random input that happens to
// decode as a valid request is not malformed: it is sent only to methods that cannot write (nor
// wait, as Observe does for a leader).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, credentials, status } from '@grpc/grpc-js';
import { etcdServiceNames, serviceDefinition } from '../../core/api/proto/load.js';
import { EtcdClient } from '../../core/client/etcdClient.js';
import { Random } from '../../core/raft/random.js';
import { callStream, callUnary, hostileInput } from '../support/hostileCalls.js';
import { RafterCluster } from '../support/rafterCluster.js';

const seed = Number(process.env['RAFTER_FUZZ_SEED'] ?? 4242);
/** Inputs tried per method. */
const inputsPerMethod = 40;

/** Methods that may change the store, the membership, the alarms or the auth state. */
const writing = new Set([
  'etcdserverpb.KV/Put', 'etcdserverpb.KV/DeleteRange', 'etcdserverpb.KV/Txn', 'etcdserverpb.KV/Compact',
  'etcdserverpb.Lease/LeaseGrant', 'etcdserverpb.Lease/LeaseRevoke',
  'etcdserverpb.Cluster/MemberAdd', 'etcdserverpb.Cluster/MemberRemove', 'etcdserverpb.Cluster/MemberUpdate', 'etcdserverpb.Cluster/MemberPromote',
  'etcdserverpb.Maintenance/Alarm', 'etcdserverpb.Maintenance/MoveLeader',
  'v3lockpb.Lock/Lock', 'v3lockpb.Lock/Unlock',
  'v3electionpb.Election/Campaign', 'v3electionpb.Election/Proclaim', 'v3electionpb.Election/Resign',
]);

/** Methods whose valid requests legitimately wait without an answer (Observe waits for a leader). */
const waiting = new Set(['v3electionpb.Election/Observe']);

let cluster: RafterCluster;
let client: EtcdClient;

beforeAll(async () => {
  cluster = await RafterCluster.start({ members: 1 });
  client = new EtcdClient({ endpoints: cluster.endpoints });
  for (let i = 0; i < 20; i++) await client.kv.put(`/kept/${i}`, `value-${i}`);
}, 120_000);

afterAll(async () => {
  client?.close();
  await cluster?.stop();
});

async function kept(): Promise<string[]> {
  const result = await client.kv.get(Buffer.from([0]), { fromKey: true });
  return result.kvs.map((kv) => `${kv.key.toString('hex')}=${kv.value.toString('hex')}@${kv.modRevision}`);
}

/** Services whose errors etcd answers as UNKNOWN (see the check below). */
const unknownAsEtcd = new Set(['v3lockpb.Lock', 'v3electionpb.Election']);

describe('malformed protobuf on every method', () => {
  it(`refuses what does not decode on every method, stays up and changes nothing (seed ${seed})`, async () => {
    const before = await kept();
    const random = new Random(seed);
    const raw = new Client(cluster.endpoints[0]!, credentials.createInsecure());
    const refusedCodes = new Map<string, number>();
    let malformed = 0;
    let validSkipped = 0;
    try {
      for (const service of etcdServiceNames) {
        for (const [name, method] of Object.entries(serviceDefinition(service))) {
          const path = `${service}/${name}`;
          for (let i = 0; i < inputsPerMethod; i++) {
            const input = hostileInput(random);
            let decodes = true;
            try {
              method.requestDeserialize(input);
            } catch {
              decodes = false;
            }
            if (decodes && (writing.has(path) || waiting.has(path))) {
              validSkipped++;
              continue;
            }
            const answer = method.requestStream || method.responseStream ? await callStream(raw, method.path, input, method.requestStream) : await callUnary(raw, method.path, input);
            expect(answer.code, `${path} hung on ${input.toString('hex')}`).not.toBe(status.DEADLINE_EXCEEDED);
            // etcd's lock and election services return plain Go errors ("election: no leader"),
            // which grpc-go answers as UNKNOWN; Rafter answers them the same. Anything else that
            // answers UNKNOWN, and any undecodable input, is a fault.
            if (!(decodes && unknownAsEtcd.has(service))) {
              expect(answer.code, `${path} answered UNKNOWN to ${input.toString('hex')}: ${answer.details}`).not.toBe(status.UNKNOWN);
            }
            expect(answer.details, `${path} leaked a stack trace`).not.toMatch(/\n\s+at /);
            if (!decodes) {
              malformed++;
              expect(answer.code, `${path} accepted undecodable ${input.toString('hex')}`).not.toBe(status.OK);
              refusedCodes.set(status[answer.code] ?? String(answer.code), (refusedCodes.get(status[answer.code] ?? String(answer.code)) ?? 0) + 1);
            }
          }
        }
      }
    } finally {
      raw.close();
    }
    console.log(`malformed inputs refused: ${malformed} (${[...refusedCodes].map(([code, n]) => `${code} ${n}`).join(', ')}); decodable inputs kept from writing methods: ${validSkipped}`);
    expect(malformed).toBeGreaterThan(200);
    expect(await kept()).toEqual(before);
    expect((await fetch(`${cluster.members[0]!.clientUrl}/health`)).status).toBe(200);
  }, 240_000);

  it('answers valid requests carrying extreme numbers on every writing method, and stays up', async () => {
    const before = await kept();
    const extremes = ['-9223372036854775808', '-1', '0', '1', '9007199254740993', '9223372036854775807'];
    const kv = serviceDefinition('etcdserverpb.KV');
    const lease = serviceDefinition('etcdserverpb.Lease');
    const cluster_ = serviceDefinition('etcdserverpb.Cluster');
    const maintenance = serviceDefinition('etcdserverpb.Maintenance');
    const key = Buffer.from('/fuzz/k');
    const requests: [{ path: string; requestSerialize: (value: object) => Buffer }, object][] = [];
    for (const n of extremes) {
      requests.push(
        [kv['Compact']!, { revision: n, physical: true }],
        [kv['Put']!, { key, value: Buffer.from('v'), lease: n }],
        [kv['Range']!, { key, range_end: Buffer.from('/fuzz0'), limit: n, revision: n, min_mod_revision: n, max_create_revision: n }],
        [kv['Txn']!, {
          compare: [{ result: 'LESS', target: 'MOD', key, mod_revision: n }, { result: 'GREATER', target: 'VERSION', key, version: n }],
          success: [{ request_range: { key, limit: n, revision: n } }, { request_put: { key, value: Buffer.from(n) } }],
          failure: [{ request_delete_range: { key, range_end: Buffer.from('/fuzz0') } }],
        }],
        [lease['LeaseGrant']!, { TTL: n, ID: n }],
        [lease['LeaseRevoke']!, { ID: n }],
        [lease['LeaseTimeToLive']!, { ID: n, keys: true }],
        [cluster_['MemberRemove']!, { ID: n }],
        [cluster_['MemberPromote']!, { ID: n }],
        [cluster_['MemberUpdate']!, { ID: n, peerURLs: ['http://127.0.0.1:1'] }],
        [maintenance['HashKV']!, { revision: n }],
        [maintenance['MoveLeader']!, { targetID: n }],
      );
    }
    const raw = new Client(cluster.endpoints[0]!, credentials.createInsecure());
    const codes = new Map<string, number>();
    try {
      for (const [method, request] of requests) {
        const answer = await callUnary(raw, method.path, method.requestSerialize(request));
        expect(answer.code, `${method.path} hung on ${JSON.stringify(request)}`).not.toBe(status.DEADLINE_EXCEEDED);
        expect(answer.code, `${method.path} answered UNKNOWN to ${JSON.stringify(request)}: ${answer.details}`).not.toBe(status.UNKNOWN);
        const name = status[answer.code] ?? String(answer.code);
        codes.set(name, (codes.get(name) ?? 0) + 1);
      }
    } finally {
      raw.close();
    }
    console.log(`extreme numbers: ${requests.length} requests (${[...codes].map(([code, n]) => `${code} ${n}`).join(', ')})`);
    expect((await fetch(`${cluster.members[0]!.clientUrl}/health`)).status).toBe(200);
    // The writes went under /fuzz/ only; everything else is as it was.
    expect((await kept()).filter((line) => !line.startsWith(Buffer.from('/fuzz/').toString('hex')))).toEqual(before);
  }, 120_000);

  it('refuses a transaction whose compare names an unknown result or target, and stays up', async () => {
    const before = await kept();
    const txn = serviceDefinition('etcdserverpb.KV')['Txn']!;
    const key = Buffer.from('/kept/0');
    const raw = new Client(cluster.endpoints[0]!, credentials.createInsecure());
    try {
      for (const compare of [{ result: 255, target: 'VALUE', key, value: Buffer.from('x') }, { result: 'EQUAL', target: 77, key, value: Buffer.from('x') }]) {
        const request = txn.requestSerialize({ compare: [compare], success: [{ request_delete_range: { key } }] });
        // The enum value survives encoding: this is what a newer client or a hostile one sends.
        expect(request.length).toBeGreaterThan(key.length);
        const answer = await callUnary(raw, txn.path, request);
        expect(answer.code, `${JSON.stringify(compare)}: ${answer.details}`).toBe(status.INVALID_ARGUMENT);
        expect(answer.details).toMatch(/invalid compare (result|target)/);
      }
    } finally {
      raw.close();
    }
    // The member still applies writes, and nothing stored changed.
    await client.kv.put('/fuzz/after-compare', 'v');
    expect((await client.kv.get('/fuzz/after-compare')).kvs.length).toBe(1);
    expect((await kept()).filter((line) => !line.startsWith(Buffer.from('/fuzz/').toString('hex')))).toEqual(before);
    expect((await fetch(`${cluster.members[0]!.clientUrl}/health`)).status).toBe(200);
  }, 60_000);
});
