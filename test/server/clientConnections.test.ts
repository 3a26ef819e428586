// A member never drops a client's connection on its own: every gRPC connection in these cases runs
// through a ConnectionWitness, which reports any connection the server began to close (a GOAWAY,
// or an end or reset of its side). Checked against a 3-member Rafter cluster and a real etcd 3.4:
// - the `etcd3` npm client campaigning, resigning and calling again, round after round (a run of a
//   client's election tests once lost the call right after a resign with "UNAVAILABLE: No
//   connection established"; that client closes and reopens its own connections around every
//   resign, on etcd as on Rafter, which the witness shows as closed by the client);
// - raw calls over one channel through every way a stream or election call ends: a half-closed
//   keep-alive, a cancelled Observe and Watch, Campaign, Proclaim and Resign, failures, a revoke.
import { Client, connectivityState, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceDefinition } from '../../core/api/proto/load.js';
import { ConnectionWitness } from '../support/connectionWitness.js';
import { EtcdTestCluster } from '../support/etcd.js';
import { RafterCluster } from '../support/rafterCluster.js';

/** Campaign-resign rounds of the etcd3 client. */
const rounds = 20;
const callDeadlineMs = 10_000;

const lease = serviceDefinition('etcdserverpb.Lease');
const kv = serviceDefinition('etcdserverpb.KV');
const watch = serviceDefinition('etcdserverpb.Watch')['Watch']!;
const election = serviceDefinition('v3electionpb.Election');

let etcd: EtcdTestCluster;
let rafter: RafterCluster;

beforeAll(async () => {
  [etcd, rafter] = await Promise.all([EtcdTestCluster.start({ members: 1 }), RafterCluster.start({ members: 3 })]);
}, 180_000);

afterAll(async () => {
  await rafter?.stop();
  await etcd?.stop();
});

const targets = (): Record<'etcd' | 'rafter', string[]> => ({
  etcd: etcd.endpoints.map((url) => url.replace(/^https?:\/\//, '')),
  rafter: rafter.endpoints,
});

async function witnessing<T>(endpoints: readonly string[], body: (witnessed: string[]) => Promise<T>): Promise<{ result: T; witnesses: ConnectionWitness[] }> {
  const witnesses = await Promise.all(endpoints.map((endpoint) => ConnectionWitness.start(endpoint)));
  try {
    return { result: await body(witnesses.map((w) => w.endpoint)), witnesses };
  } finally {
    await Promise.all(witnesses.map((w) => w.stop()));
  }
}

const closedByServer = (witnesses: readonly ConnectionWitness[]): string[] =>
  witnesses.flatMap((w) => w.closedByServer.map((c) => `${w.endpoint} connection ${c.id}: ${c.how} after ${c.bytesFromClient}/${c.bytesFromServer} bytes`));

/** Campaign, wait to lead, resign, then call again; a second candidate waits behind each round's leader. */
async function campaignRounds(hosts: readonly string[]): Promise<string[]> {
  const client = new Etcd3({ hosts: hosts.map((h) => `http://${h}`) });
  const failures: string[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      const name = `/campaigns/${round % 4}`;
      const first = await client.election(name).campaign('first').wait();
      const second = client.election(name).campaign('second');
      const secondLeads = second.wait();
      try {
        await first.resign();
        expect(await client.election(name).leader()).not.toBe('first');
        await secondLeads;
        await second.resign();
        await client.get(`${name}/after`).string();
      } catch (error) {
        failures.push(`round ${round}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  } finally {
    client.close();
  }
  return failures;
}

function unary<T>(raw: Client, definition: ReturnType<typeof serviceDefinition>, method: string, request: object): Promise<{ ok: T } | { code: number }> {
  const m = definition[method]!;
  return new Promise((resolve) => {
    raw.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize, request, new Metadata(), { deadline: Date.now() + callDeadlineMs }, (error: ServiceError | null, response?: unknown) => {
      resolve(error ? { code: error.code } : { ok: response as T });
    });
  });
}

function okOf<T>(answer: { ok: T } | { code: number }): T {
  if (!('ok' in answer)) throw new Error(`call failed with code ${answer.code}`);
  return answer.ok;
}

/** Waits for the first message of a stream (or its end), then lets `finish` end it; resolves at its status. */
function streamUntilStatus(stream: NodeJS.EventEmitter, finish: () => void): Promise<void> {
  return new Promise((resolve) => {
    let finished = false;
    stream.on('data', () => {
      if (!finished) finish();
      finished = true;
    });
    stream.on('error', () => undefined);
    stream.on('status', () => resolve());
  });
}

/** Every way this suite knows a stream or election call to end, over one channel; its state changes. */
async function everyEnding(endpoint: string): Promise<string[]> {
  const raw = new Client(endpoint, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
  const states: string[] = [];
  try {
    okOf(await unary(raw, kv, 'Range', { key: Buffer.from('warm-up') }));
    const channel = raw.getChannel();
    let state = channel.getConnectivityState(false);
    const follow = (): void => {
      channel.watchConnectivityState(state, Infinity, () => {
        state = channel.getConnectivityState(false);
        states.push(connectivityState[state]);
        if (state !== connectivityState.SHUTDOWN) follow();
      });
    };
    follow();
    const { ID } = okOf(await unary<{ ID: string }>(raw, lease, 'LeaseGrant', { TTL: 60 }));
    const name = Buffer.from('/endings/election');
    const { leader } = okOf(await unary<{ leader: object }>(raw, election, 'Campaign', { name, lease: ID, value: Buffer.from('a') }));
    okOf(await unary(raw, election, 'Proclaim', { leader, value: Buffer.from('b') }));
    const observe = election['Observe']!;
    const observing = raw.makeServerStreamRequest(observe.path, observe.requestSerialize, observe.responseDeserialize, { name }, new Metadata());
    await streamUntilStatus(observing, () => observing.cancel());
    const keepAlive = lease['LeaseKeepAlive']!;
    const renewing = raw.makeBidiStreamRequest(keepAlive.path, keepAlive.requestSerialize, keepAlive.responseDeserialize, new Metadata());
    renewing.write({ ID });
    renewing.write({ ID: '99999' });
    renewing.end();
    await streamUntilStatus(renewing, () => undefined);
    const watching = raw.makeBidiStreamRequest(watch.path, watch.requestSerialize, watch.responseDeserialize, new Metadata());
    watching.write({ create_request: { key: name } });
    watching.end();
    await streamUntilStatus(watching, () => watching.cancel());
    okOf(await unary(raw, election, 'Resign', { leader }));
    expect(await unary(raw, election, 'Proclaim', { leader, value: Buffer.from('stale') })).not.toHaveProperty('ok');
    expect(await unary(raw, election, 'Leader', { name })).not.toHaveProperty('ok');
    okOf(await unary(raw, lease, 'LeaseRevoke', { ID }));
    expect(await unary(raw, lease, 'LeaseRevoke', { ID })).not.toHaveProperty('ok');
    okOf(await unary(raw, kv, 'Range', { key: Buffer.from('after') }));
  } finally {
    raw.close();
  }
  return states;
}

describe('client connections', () => {
  it('survive the etcd3 client campaigning, resigning and calling again, and only the client closes them, as with etcd', async () => {
    for (const server of ['etcd', 'rafter'] as const) {
      const { result: failures, witnesses } = await witnessing(targets()[server], (hosts) => campaignRounds(hosts));
      expect({ server, failures, closedByServer: closedByServer(witnesses) }).toEqual({ server, failures: [], closedByServer: [] });
      expect(witnesses.some((w) => w.all.length > 0)).toBe(true);
    }
  });

  it('stay open through every way a stream or an election call ends, as with etcd', async () => {
    for (const server of ['etcd', 'rafter'] as const) {
      for (const endpoint of targets()[server]) {
        const { result: states, witnesses } = await witnessing([endpoint], ([witnessed]) => everyEnding(witnessed!));
        const [witness] = witnesses;
        expect({ server, endpoint, states, connections: witness!.all.length, closedByServer: closedByServer(witnesses) }).toEqual({
          server, endpoint, states: ['SHUTDOWN'], connections: 1, closedByServer: [],
        });
      }
    }
  });
});
