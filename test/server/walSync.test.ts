// When a member waits for its WAL to reach the disk: for new entries and a new term or vote, not
// for a new commit index alone (etcd's raft.MustSync). Counted with the member's fsync metric.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdClient } from '../../core/client/etcdClient.js';
import { RafterCluster } from '../support/rafterCluster.js';

const putsSequential = 30;

function valueOf(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (line === undefined) throw new Error(`no ${name} in /metrics`);
  return Number(line.slice(name.length + 1));
}

describe('WAL fsyncs of a member', () => {
  let cluster: RafterCluster;
  let client: EtcdClient;

  beforeAll(async () => {
    cluster = await RafterCluster.start({ members: 3, extraArgs: ['--log-level=warn'] });
    client = new EtcdClient({ endpoints: cluster.endpoints });
  });

  afterAll(async () => {
    client?.close();
    await cluster?.stop();
  });

  it('number one per sequential put on each of 3 members: the commit index that follows is written without waiting for the disk', async () => {
    const fsyncs = async (): Promise<number[]> =>
      Promise.all(cluster.members.map(async (member) => valueOf((await cluster.request(member, '/metrics', 2_000)).body, 'etcd_disk_wal_fsync_duration_seconds_count')));
    await client.kv.put('warm', 'up');
    const before = await fsyncs();
    for (let i = 0; i < putsSequential; i++) await client.kv.put(`key-${i}`, 'value');
    // Each put is one entry, synced on every member; the commit index that follows it (on the
    // leader once a follower acknowledged, on followers with the next message) would be another.
    const after = await fsyncs();
    for (const [i, count] of after.entries()) expect(count - before[i]!).toBeLessThanOrEqual(putsSequential + 3);
    const read = await client.kv.get('key-', { prefix: true, countOnly: true });
    expect(read.count).toBe(putsSequential);
  });
});
