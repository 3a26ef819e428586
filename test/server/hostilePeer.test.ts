// Hostile input on the peer port of a real member: seeded garbage before and after a handshake,
// absurd frame lengths, malformed and mismatched handshakes, garbage queries and snapshot headers,
// and well-formed Raft messages from a stranger (not a member of the cluster) — a vote at term
// 1000, a proposal carrying a put, a snapshot that claims to be far ahead. The member stays up,
// stays leader in its term, and nothing stored changes. A stranger that forges a member's id is
// not caught by the handshake: that takes peer TLS with client certificates, the last part here —
// with --peer-client-cert-auth, a process without a certificate from the peer CA (none, one from
// another CA, or plain TCP) cannot complete a connection, so it cannot send a single message,
// even under a member's own id.
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdClient } from '../../core/client/etcdClient.js';
import { Random } from '../../core/raft/random.js';
import type { Message } from '../../core/raft/message.js';
import type { Entry, Index, NodeId, Term } from '../../core/raft/types.js';
import { encodeMessage } from '../../core/server/messageCodec.js';
import { encodeRequest } from '../../core/server/internalRequest.js';
import { frameHeader } from '../../core/transport/frames.js';
import { RafterCluster, type RafterMember } from '../support/rafterCluster.js';
import { generateCertificates, type TestCertificates } from '../support/tls.js';

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

describe('a stranger on a peer port that requires client certificates', () => {
  let certificates: TestCertificates;
  let secured: RafterCluster;
  let securedMember: RafterMember;
  let securedClient: EtcdClient;
  let securedId: string;
  let securedClusterId: string;
  let securedTerm: number;

  beforeAll(async () => {
    certificates = await generateCertificates();
    secured = await RafterCluster.start({
      members: 1,
      peerScheme: 'https',
      extraArgs: [
        `--peer-cert-file=${certificates.serverCertFile}`,
        `--peer-key-file=${certificates.serverKeyFile}`,
        `--peer-trusted-ca-file=${certificates.caFile}`,
        '--peer-client-cert-auth',
      ],
    });
    securedMember = secured.members[0]!;
    securedClient = new EtcdClient({ endpoints: secured.endpoints });
    await securedClient.kv.put('/kept', 'value');
    const status = await secured.raftStatus(securedMember);
    securedId = status.memberId;
    securedTerm = status.status.term;
    securedClusterId = ((await (await fetch(`${securedMember.clientUrl}/rafter/v1/raft/status`)).json()) as { clusterId: string }).clusterId;
  }, 60_000);

  afterAll(async () => {
    securedClient?.close();
    await secured?.stop();
    await certificates?.cleanup();
  });

  /** A handshake under the member's own id, a vote at term 1000 and a proposal planting a key. */
  function forgedTraffic(): Buffer {
    const greeting = frame(Buffer.from(JSON.stringify({ v: 1, clusterId: securedClusterId, from: securedId, to: securedId, kind: 'messages' })));
    const forged = (fields: Partial<Message>): Buffer => frame(encodeMessage(message({ from: securedId as NodeId, to: securedId as NodeId, ...fields })));
    const put = encodeRequest({ id: 0n, request: { kind: 'put', put: { key: Buffer.from('/planted'), value: Buffer.from('by a stranger') } } });
    return Buffer.concat([
      greeting,
      forged({ type: 'vote', term: 1000 as Term, logTerm: 1000 as Term, index: 1_000_000 as Index }),
      forged({ type: 'prop', entries: [{ term: 0 as Term, index: 0 as Index, type: 'normal', data: put }] }),
    ]);
  }

  /** Connects with `connect`, sends `bytes` once connected, resolves with what came back once closed. */
  function attempt(socket: net.Socket, readyEvent: 'connect' | 'secureConnect', bytes: Buffer): Promise<{ received: string; error: string }> {
    return new Promise((resolve) => {
      const received: Buffer[] = [];
      let error = '';
      socket.on(readyEvent, () => socket.end(bytes));
      socket.on('data', (chunk: Buffer) => received.push(chunk));
      socket.on('error', (failure) => (error = failure.message));
      socket.on('close', () => resolve({ received: Buffer.concat(received).toString('latin1'), error }));
    });
  }

  it('cannot move the term or write: plain TCP, TLS without a certificate, TLS with another CA\'s certificate', async () => {
    const at = { host: '127.0.0.1', port: securedMember.peerPort };
    const plain = await attempt(net.connect(at), 'connect', forgedTraffic());
    const noCertificate = await attempt(tls.connect({ ...at, rejectUnauthorized: false }), 'secureConnect', forgedTraffic());
    const otherCa = await attempt(
      tls.connect({ ...at, rejectUnauthorized: false, cert: fs.readFileSync(certificates.otherServerCertFile), key: fs.readFileSync(certificates.otherServerKeyFile) }),
      'secureConnect',
      forgedTraffic(),
    );
    // No handshake reply: the member answers a peer only once it is through TLS.
    for (const outcome of [plain, noCertificate, otherCa]) expect(outcome.received).toBe('');
    // The proposal would have been stepped before this read's read index was taken.
    expect(await securedClient.kv.get('/planted')).toMatchObject({ count: 0 });
    expect((await securedClient.kv.getOne('/kept'))?.valueString).toBe('value');
    const status = await secured.raftStatus(securedMember);
    expect(status.status.term).toBe(securedTerm);
    expect(status.status.role).toBe('leader');
    expect(securedMember.log.join('\n')).toMatch(/refused a peer connection from 127\.0\.0\.1: (TLS handshake failed|client certificate not accepted)/);
    expect(securedMember.log.join('\n')).not.toContain('dropped a peer message');
  });
});
