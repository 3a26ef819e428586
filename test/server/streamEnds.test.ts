// How etcd's streams end, sent as raw grpc-js calls to a real etcd 3.4 and to a 3-member Rafter
// cluster side by side, so a client's half-close (ending its side) and cancel are explicit:
// - LeaseKeepAlive: every request received before the half-close is answered, in order, then the
//   stream ends with OK. A renewal a follower forwards to the leader was once dropped when the
//   half-close overtook it (an empty reply from two members of three).
// - Watch: a half-close ends nothing; watches keep delivering until the client cancels.
// - Observe: a client's cancel releases the member's watch at once, not at the next leader change.
// - Lock and Campaign: a caller who gives up while queued (cancel, deadline) loses its place; its
//   key once stayed, took the lock or the lead when its turn came, and blocked everyone after it.
// Each case runs on every member in turn; no waiting on time, only on the streams themselves.
import { Client, credentials, Metadata, status, type ClientDuplexStream, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceDefinition } from '../../core/api/proto/load.js';
import { EtcdTestCluster } from '../support/etcd.js';
import { RafterCluster } from '../support/rafterCluster.js';

/** Rounds of each case; with three members, two in three rounds go through a follower. */
const rounds = 20;
/** Deadline of every call: a stream that never ends fails the case instead of hanging it. */
const callDeadlineMs = 10_000;
/** Bounded polls of a member's watcher gauge (etcd releases an Observe's watch asynchronously). */
const gaugePollsMax = 200;
const gaugePollPauseMs = 25;
/** A lease id neither server granted. */
const unknownLeaseId = '1234567890123';

const lease = serviceDefinition('etcdserverpb.Lease');
const kv = serviceDefinition('etcdserverpb.KV');
const watch = serviceDefinition('etcdserverpb.Watch')['Watch']!;
const election = serviceDefinition('v3electionpb.Election');
const lock = serviceDefinition('v3lockpb.Lock');

let etcd: EtcdTestCluster;
let rafter: RafterCluster;

beforeAll(async () => {
  [etcd, rafter] = await Promise.all([EtcdTestCluster.start({ members: 1 }), RafterCluster.start({ members: 3 })]);
}, 180_000);

afterAll(async () => {
  await rafter?.stop();
  await etcd?.stop();
});

/** The servers of one round: etcd, and the Rafter member whose turn it is. */
function servers(round: number): { etcd: Server; rafter: Server } {
  const member = rafter.members[round % rafter.members.length]!;
  return {
    etcd: { endpoint: etcd.endpoints[0]!.replace(/^https?:\/\//, ''), metricsUrl: `${etcd.endpoints[0]!}/metrics` },
    rafter: { endpoint: `127.0.0.1:${member.clientPort}`, metricsUrl: `${member.clientUrl}/metrics` },
  };
}

interface Server {
  readonly endpoint: string;
  readonly metricsUrl: string;
}

const deadline = (): { deadline: number } => ({ deadline: Date.now() + callDeadlineMs });

function unary<T>(raw: Client, method: string, definition: ReturnType<typeof serviceDefinition>, request: object): Promise<T> {
  const m = definition[method]!;
  return new Promise((resolve, reject) => {
    raw.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize, request, new Metadata(), deadline(), (error: ServiceError | null, response?: unknown) => {
      if (error) reject(error);
      else resolve(response as T);
    });
  });
}

/** What a stream delivered, one line per message and a last line for its status, in order. */
class Transcript {
  readonly lines: string[] = [];
  private waiter: (() => void) | null = null;
  ended = false;

  constructor(stream: ClientDuplexStream<object, object> | ClientReadableStream<object>, render: (message: never) => string) {
    stream.on('data', (message: object) => this.add(render(message as never)));
    stream.on('error', () => undefined);
    stream.on('status', (s: { code: number }) => {
      this.ended = true;
      this.add(`status ${status[s.code]}`);
    });
  }

  /** Resolves once the transcript has `count` lines (the call deadline bounds the wait). */
  async lineCount(count: number): Promise<void> {
    while (this.lines.length < count && !this.ended) await new Promise<void>((resolve) => (this.waiter = resolve));
  }

  private add(line: string): void {
    this.lines.push(line);
    this.waiter?.();
    this.waiter = null;
  }
}

/**
 * Grants `granted` leases, sends a keep-alive for each and one for an unknown lease on one stream,
 * half-closes it, and returns what came back until the stream ended.
 */
async function keepAliveThenHalfClose(server: Server, granted: number): Promise<string[]> {
  const raw = new Client(server.endpoint, credentials.createInsecure());
  try {
    const ids: string[] = [];
    for (let i = 0; i < granted; i++) ids.push((await unary<{ ID: string }>(raw, 'LeaseGrant', lease, { TTL: 60 })).ID);
    const m = lease['LeaseKeepAlive']!;
    const stream = raw.makeBidiStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, new Metadata(), deadline());
    const names = new Map([...ids.map((id, index): [string, string] => [id, `lease ${index}`]), [unknownLeaseId, 'unknown lease']]);
    const transcript = new Transcript(stream, (r: { ID: string; TTL: string }) => `${names.get(r.ID) ?? r.ID} TTL ${r.TTL}`);
    for (const id of [...ids, unknownLeaseId]) stream.write({ ID: id });
    stream.end();
    await transcript.lineCount(Number.MAX_SAFE_INTEGER);
    return transcript.lines;
  } finally {
    raw.close();
  }
}

/**
 * Opens a watch stream, sends `create` (if any) and half-closes; then puts `key` twice, waiting
 * each time for what the stream says; then cancels the stream.
 */
async function watchThenHalfClose(server: Server, key: string, create: boolean): Promise<string[]> {
  const raw = new Client(server.endpoint, credentials.createInsecure());
  try {
    const stream = raw.makeBidiStreamRequest(watch.path, watch.requestSerialize, watch.responseDeserialize, new Metadata(), deadline());
    const transcript = new Transcript(stream, (r: { created: boolean; canceled: boolean; events: { type: string; kv: { key: Buffer; value: Buffer } }[] }) =>
      [r.created ? 'created' : '', r.canceled ? 'canceled' : '', ...r.events.map((e) => `${e.type} ${e.kv.key.toString()}=${e.kv.value.toString()}`)].filter((s) => s !== '').join(' '),
    );
    if (create) stream.write({ create_request: { key: Buffer.from(key) } });
    stream.end();
    if (create) await transcript.lineCount(1);
    for (const value of ['one', 'two']) {
      const before = transcript.lines.length;
      await unary(raw, 'Put', kv, { key: Buffer.from(key), value: Buffer.from(value) });
      // A watch delivers the put; without one, the put's answer came after anything the
      // server said about the half-close, which it sent first on this connection.
      if (create) await transcript.lineCount(before + 1);
    }
    stream.cancel();
    await transcript.lineCount(Number.MAX_SAFE_INTEGER);
    return transcript.lines;
  } finally {
    raw.close();
  }
}

async function watcherGauge(server: Server): Promise<number> {
  const text = await (await fetch(server.metricsUrl)).text();
  const line = text.split('\n').find((l) => l.startsWith('etcd_debugging_mvcc_watcher_total '));
  if (!line) throw new Error(`no watcher gauge at ${server.metricsUrl}`);
  return Number(line.split(' ')[1]);
}

/** Polls (bounded) until the gauge reads `expected`; returns the last reading. */
async function watcherGaugeSettles(server: Server, expected: number): Promise<number> {
  let reading = await watcherGauge(server);
  for (let poll = 0; poll < gaugePollsMax && reading !== expected; poll++) {
    await new Promise((resolve) => setTimeout(resolve, gaugePollPauseMs));
    reading = await watcherGauge(server);
  }
  return reading;
}

/** Campaigns in `name`, opens an Observe, waits for its first answer, cancels it; the watcher gauge before and after. */
async function observeThenCancel(server: Server, name: string): Promise<{ before: number; during: number; after: number }> {
  const raw = new Client(server.endpoint, credentials.createInsecure());
  try {
    const { ID } = await unary<{ ID: string }>(raw, 'LeaseGrant', lease, { TTL: 60 });
    await unary(raw, 'Campaign', election, { name: Buffer.from(name), lease: ID, value: Buffer.from('leader') });
    const before = await watcherGauge(server);
    const m = election['Observe']!;
    const stream = raw.makeServerStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, { name: Buffer.from(name) }, new Metadata(), deadline());
    const transcript = new Transcript(stream, (r: { kv: { value: Buffer } }) => r.kv.value.toString());
    await transcript.lineCount(1);
    const during = await watcherGauge(server);
    stream.cancel();
    await transcript.lineCount(2);
    const after = await watcherGaugeSettles(server, before);
    await unary(raw, 'LeaseRevoke', lease, { ID });
    return { before, during, after };
  } finally {
    raw.close();
  }
}

function prefixEnd(prefix: string): Buffer {
  const end = Buffer.from(prefix);
  end[end.length - 1]!++;
  return end;
}

/**
 * A holder takes `name` (Lock or Campaign); a quitter queues behind it and cancels its call; a
 * third caller queues, the holder lets go, and the third one gets it. Returns what a watch on
 * the name saw, each key named by the role of its lease.
 */
async function giveUpWhileQueued(server: Server, kind: 'Lock' | 'Campaign', name: string): Promise<string[]> {
  const raw = new Client(server.endpoint, credentials.createInsecure());
  try {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await unary<{ ID: string }>(raw, 'LeaseGrant', lease, { TTL: 60 })).ID);
    const roles = new Map(ids.map((id, i): [string, string] => [`${name}/${BigInt(id).toString(16)}`, ['holder', 'quitter', 'next'][i]!]));
    const watching = raw.makeBidiStreamRequest(watch.path, watch.requestSerialize, watch.responseDeserialize, new Metadata(), deadline());
    const transcript = new Transcript(watching, (r: { created: boolean; events: { type: string; kv: { key: Buffer } }[] }) =>
      [r.created ? 'created' : '', ...r.events.map((e) => `${e.type} ${roles.get(e.kv.key.toString()) ?? e.kv.key.toString()}`)].filter((l) => l !== '').join(' '),
    );
    watching.write({ create_request: { key: Buffer.from(`${name}/`), range_end: prefixEnd(`${name}/`) } });
    await transcript.lineCount(1);
    const request = (id: string): object => (kind === 'Lock' ? { name: Buffer.from(name), lease: id } : { name: Buffer.from(name), lease: id, value: Buffer.from('v') });
    const definition = kind === 'Lock' ? lock : election;
    const held = await unary<{ key: Buffer; leader: object }>(raw, kind, definition, request(ids[0]!));
    await transcript.lineCount(2);
    const m = definition[kind]!;
    const quitting = raw.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize, request(ids[1]!), new Metadata(), deadline(), () => undefined);
    await transcript.lineCount(3);
    quitting.cancel();
    await transcript.lineCount(4);
    const next = unary(raw, kind, definition, request(ids[2]!));
    await transcript.lineCount(5);
    if (kind === 'Lock') await unary(raw, 'Unlock', lock, { key: held.key });
    else await unary(raw, 'Resign', election, { leader: held.leader });
    await next;
    await transcript.lineCount(6);
    watching.cancel();
    await transcript.lineCount(Number.MAX_SAFE_INTEGER);
    for (const id of ids) await unary(raw, 'LeaseRevoke', lease, { ID: id });
    return transcript.lines;
  } finally {
    raw.close();
  }
}

describe('LeaseKeepAlive when the client half-closes', () => {
  it('answers every request received before the half-close, in order, then ends with OK, as etcd does', async () => {
    for (let round = 0; round < rounds; round++) {
      const granted = 1 + (round % 3);
      const { etcd: oracle, rafter: member } = servers(round);
      const expected = await keepAliveThenHalfClose(oracle, granted);
      expect(expected).toEqual([...Array.from({ length: granted }, (_, i) => `lease ${i} TTL 60`), 'unknown lease TTL 0', 'status OK']);
      expect({ round, lines: await keepAliveThenHalfClose(member, granted) }).toEqual({ round, lines: expected });
    }
  });
});

describe('Watch when the client half-closes', () => {
  it('keeps delivering events after the half-close until the client cancels, as etcd does', async () => {
    for (let round = 0; round < rounds; round++) {
      const { etcd: oracle, rafter: member } = servers(round);
      const key = `/half-closed/${round}`;
      const expected = await watchThenHalfClose(oracle, key, true);
      expect(expected).toEqual(['created', `PUT ${key}=one`, `PUT ${key}=two`, 'status CANCELLED']);
      expect({ round, lines: await watchThenHalfClose(member, key, true) }).toEqual({ round, lines: expected });
    }
  });

  it('leaves a stream that never asked for a watch open until the client cancels, as etcd does', async () => {
    for (let round = 0; round < rafter.members.length; round++) {
      const { etcd: oracle, rafter: member } = servers(round);
      const expected = await watchThenHalfClose(oracle, `/half-closed/empty/${round}`, false);
      expect(expected).toEqual(['status CANCELLED']);
      expect({ round, lines: await watchThenHalfClose(member, `/half-closed/empty/${round}`, false) }).toEqual({ round, lines: expected });
    }
  });
});

describe('Observe when the client cancels', () => {
  it('releases the watch behind it at once, as etcd does, without waiting for a change of leader', async () => {
    for (let round = 0; round < rafter.members.length; round++) {
      const { etcd: oracle, rafter: member } = servers(round);
      const onEtcd = await observeThenCancel(oracle, `/observed/${round}`);
      expect(onEtcd.after).toBe(onEtcd.before);
      const onRafter = await observeThenCancel(member, `/observed/${round}`);
      expect(onRafter.during).toBe(onRafter.before + 1);
      expect({ round, after: onRafter.after }).toEqual({ round, after: onRafter.before });
    }
  });
});

describe('Lock and Campaign when the caller gives up while queued', () => {
  for (const kind of ['Lock', 'Campaign'] as const) {
    it(`${kind}: the quitter's key goes, and the next caller gets it when the holder lets go, as in etcd`, async () => {
      for (let round = 0; round < rafter.members.length; round++) {
        const { etcd: oracle, rafter: member } = servers(round);
        const name = `/given-up/${kind}/${round}`;
        const expected = await giveUpWhileQueued(oracle, kind, name);
        expect(expected).toEqual(['created', 'PUT holder', 'PUT quitter', 'DELETE quitter', 'PUT next', 'DELETE holder', 'status CANCELLED']);
        expect({ round, lines: await giveUpWhileQueued(member, kind, name) }).toEqual({ round, lines: expected });
      }
    });
  }
});
