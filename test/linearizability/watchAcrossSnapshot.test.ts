// A regression test for a server bug the torture run found: a watch that was open on a member
// while that member installed a snapshot from the leader stopped receiving events, silently
// (neither canceled nor ended), although watches created after the install worked. etcd moves
// such watches to its unsynced set and replays them from the restored store; Rafter's watch hub
// now rebinds to the new store and catches its watchers up. The scenario runs (and checks its
// preconditions) in beforeAll; docs/reliability.md tells the story.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdClient } from '../../core/client/etcdClient.js';
import { RafterCluster } from '../support/rafterCluster.js';

let cluster: RafterCluster | undefined;
const clients: EtcdClient[] = [];
/** Revisions the watch received, and every revision written while it was open. */
const received: number[] = [];
let written: number[] = [];
let receivedAfterInstallByNewWatch: number[] = [];

function clientOf(endpoints: readonly string[]): EtcdClient {
  const client = new EtcdClient({ endpoints });
  clients.push(client);
  return client;
}

/** Polls `check` (50 ms apart, bounded); resolves whether it came to hold. */
async function eventually(check: () => boolean, pollsMax = 200): Promise<boolean> {
  for (let poll = 0; poll < pollsMax; poll++) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

beforeAll(async () => {
  cluster = await RafterCluster.start({ members: 3, snapshotCount: 50, snapshotCatchupEntries: 50 });
  const c = cluster;
  const leader = await c.leader();
  const lagging = c.members.find((m) => m !== leader)!;
  const laggingEndpoint = `127.0.0.1:${lagging.clientPort}`;
  const writer = clientOf(c.members.filter((m) => m !== lagging).map((m) => `127.0.0.1:${m.clientPort}`));
  const first = await writer.kv.put('/w/first', '0');
  await clientOf([laggingEndpoint]).watch.watch('/w/', {
    prefix: true,
    startRevision: first.header.revision + 1,
    onBatch: (batch) => received.push(...batch.events.map((event) => event.kv.modRevision)),
  });
  const ids = await Promise.all(c.members.map(async (m) => (await c.raftStatus(m)).memberId));
  const laggingId = (await c.raftStatus(lagging)).memberId;
  const others = ids.filter((id) => id !== laggingId);
  await c.setFaults(lagging, { dropTo: others, dropFrom: others });
  for (let i = 0; i < 300; i++) await writer.kv.put(`/w/${i}`, `v${i}`);
  await c.setFaults(lagging, { dropTo: [], dropFrom: [] });
  expect(await eventually(() => lagging.log.join('\n').includes('installing a snapshot')), 'the follower installed a snapshot').toBe(true);
  const fresh: number[] = [];
  await clientOf([laggingEndpoint]).watch.watch('/w/', { prefix: true, onBatch: (batch) => fresh.push(...batch.events.map((e) => e.kv.modRevision)) });
  const last = await writer.kv.put('/w/last', '1');
  written = Array.from({ length: last.header.revision - first.header.revision }, (_, i) => first.header.revision + 1 + i);
  expect(await eventually(() => fresh.length > 0), 'a watch created after the install receives the next write').toBe(true);
  await eventually(() => received.length >= written.length, 40);
  receivedAfterInstallByNewWatch = fresh;
}, 90_000);

afterAll(async () => {
  for (const client of clients.splice(0)) client.close();
  await cluster?.stop();
  cluster = undefined;
});

describe('watches across a snapshot install', () => {
  it('delivers the next write to a watch created on the follower after the install', () => {
    expect(receivedAfterInstallByNewWatch).toEqual([written.at(-1)]);
  });

  it('keeps delivering every event, once and in order, to a watch that was open on the follower while it installed a snapshot', () => {
    expect(received).toEqual(written);
  });
});
