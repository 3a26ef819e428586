// Hostile input on the peer port of a real member: seeded garbage before and after a handshake,
// absurd frame lengths, malformed and mismatched handshakes, garbage queries and snapshot headers,
// and well-formed Raft messages from a stranger (not a member of the cluster) — a vote at term
// 1000, a proposal carrying a put, a snapshot that claims to be far ahead. The member stays up,
// stays leader in its term, and nothing stored changes. A stranger that forges a member's id is
// not caught here: that takes peer TLS with client certificates.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdClient } from '../../core/client/etcdClient.js';
import { Random } from '../../core/raft/random.js';
import type { Message } from '../../core/raft/message.js';
import type { Entry, Index, NodeId, Term } from '../../core/raft/types.js';
import { encodeMessage } from '../../core/server/messageCodec.js';
import { encodeRequest } from '../../core/server/internalRequest.js';
import { frameHeader } from '../../core/transport/frames.js';
import { RafterCluster, type RafterMember } from '../support/rafterCluster.js';

const seed = Number(process.env['RAFTER_FUZZ_SEED'] ?? 2380);
const stranger = 'deadbeefdeadbeef' as NodeId;

let cluster: RafterCluster;
let member: RafterMember;
let client: EtcdClient;
let memberId: string;
let clusterId: string;
let termBefore: number;

beforeAll(async () => {
  cluster = await RafterCluster.start({ members: 1 });
  member = cluster.members[0]!;
  client = new EtcdClient({ endpoints: cluster.endpoints });
  for (let i = 0; i < 20; i++) await client.kv.put(`/kept/${i}`, `value-${i}`);
  const status = (await (await fetch(`${member.clientUrl}/rafter/v1/raft/status`)).json()) as { memberId: string; clusterId: string; status: { term: number } };
  memberId = status.memberId;
  clusterId = status.clusterId;
  termBefore = status.status.term;
}, 60_000);

afterAll(async () => {
  client.close();
  await cluster.stop();
});

function frame(bytes: Uint8Array): Buffer {
  return Buffer.concat([frameHeader(bytes.length), Buffer.from(bytes)]);
}

function hello(fields: Record<string, unknown>): Buffer {
  return frame(Buffer.from(JSON.stringify({ v: 1, clusterId, from: stranger, to: memberId, kind: 'messages', ...fields })));
}

/** Sends `bytes` on a new peer connection, ends it, and resolves with what came back once it closed. */
function exchange(bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port: member.peerPort });
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Buffer.concat(received)));
    socket.end(bytes);
  });
}

function message(fields: Partial<Message>): Message {
  return { type: 'heartbeat', from: stranger, to: memberId as NodeId, term: 0 as Term, logTerm: 0 as Term, index: 0 as Index, entries: [], commit: 0 as Index, reject: false, rejectHint: 0 as Index, ...fields };
}

function garbage(random: Random, lengthMax: number): Buffer {
  return Buffer.from(Array.from({ length: random.nextInt(lengthMax + 1) }, () => random.nextInt(256)));
}

async function stillServing(): Promise<void> {
  const health = await fetch(`${member.clientUrl}/health`);
  expect(health.status).toBe(200);
  const kept = await client.kv.get('/kept/', { prefix: true });
  expect(kept.kvs.map((kv) => `${kv.key.toString()}=${kv.value.toString()}`).sort()).toEqual(
    Array.from({ length: 20 }, (_, i) => `/kept/${i}=value-${i}`).sort(),
  );
  expect(await client.kv.get('/planted')).toMatchObject({ count: 0 });
  const status = await cluster.raftStatus(member);
  expect(status.status.term).toBe(termBefore);
  expect(status.status.role).toBe('leader');
}

describe('hostile input on the peer port', () => {
  it(`drops seeded garbage, absurd frames and bad handshakes, and stays up (seed ${seed})`, async () => {
    const random = new Random(seed);
    const inputs: Buffer[] = [
      frame(Buffer.alloc(0)),
      Buffer.concat([frameHeader(0xffffffff), garbage(random, 64)]),
      Buffer.concat([frameHeader(100 * 1024 * 1024), Buffer.alloc(16 * 1024)]),
      frame(Buffer.from('{not json')),
      frame(Buffer.from('[]')),
      hello({ v: 99 }),
      hello({ clusterId: 'ffffffffffffffff' }),
      hello({ to: 'ffffffffffffffff' }),
      hello({ kind: 'gossip' }),
      Buffer.concat([hello({ kind: 'query' }), frame(Buffer.from('{not json'))]),
      Buffer.concat([hello({ kind: 'query' }), frame(Buffer.from(JSON.stringify({ call: 'no-such-call' })))]),
      Buffer.concat([hello({ kind: 'snapshot' }), frame(garbage(random, 256)), frame(garbage(random, 256)), frameHeader(0)]),
    ];
    for (let i = 0; i < 40; i++) inputs.push(garbage(random, 2048));
    for (let i = 0; i < 40; i++) {
      const frames = Array.from({ length: 1 + random.nextInt(4) }, () => frame(garbage(random, 512)));
      inputs.push(Buffer.concat([hello({}), ...frames]));
    }
    for (let i = 0; i < 20; i++) {
      const valid = Buffer.from(encodeMessage(message({ type: 'app', term: 1000 as Term, entries: [] })));
      inputs.push(Buffer.concat([hello({}), frame(valid.subarray(0, random.nextInt(valid.length)))]));
    }
    for (const input of inputs) await exchange(input);
    await stillServing();
  });

  it('drops well-formed Raft messages from a stranger: a vote at term 1000, a proposal, a snapshot far ahead', async () => {
    const put = encodeRequest({ id: 0n, request: { kind: 'put', put: { key: Buffer.from('/planted'), value: Buffer.from('by a stranger') } } });
    const proposal: Entry = { term: 0 as Term, index: 0 as Index, type: 'normal', data: put };
    await exchange(Buffer.concat([hello({}), frame(encodeMessage(message({ type: 'vote', term: 1000 as Term, logTerm: 1000 as Term, index: 1_000_000 as Index })))]));
    await exchange(Buffer.concat([hello({}), frame(encodeMessage(message({ type: 'prop', entries: [proposal] })))]));
    // A message naming a sender other than the one its connection announced.
    await exchange(Buffer.concat([hello({ from: memberId }), frame(encodeMessage(message({ type: 'vote', term: 1001 as Term, logTerm: 1001 as Term, index: 1_000_000 as Index })))]));
    // The proposal was stepped before this read's read index was taken: were it accepted, the
    // read would see /planted.
    await stillServing();
    const snapshot = message({
      type: 'snapshot',
      term: 1000 as Term,
      snapshot: { meta: { index: 1_000_000 as Index, term: 1000 as Term, conf: { voters: [stranger], learners: [] } }, data: Buffer.from('x') },
    });
    const answer = await exchange(Buffer.concat([hello({ kind: 'snapshot' }), frame(encodeMessage(snapshot)), frame(Buffer.alloc(4096, 7)), frameHeader(0)]));
    expect(answer.toString('utf8')).toContain('refused a snapshot from deadbeefdeadbeef');
    await stillServing();
    expect(member.log.join('\n')).toContain(`dropped a peer message from ${stranger}`);
  });
});
