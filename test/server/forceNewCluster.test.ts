// --force-new-cluster with real processes, against a real etcd 3.4 side by side: a 3-member
// cluster of each with data (past several snapshots on the Rafter side), every member stopped,
// one started alone with the flag. Both must list one member and serve every key at the same
// revisions; then the Rafter member keeps its one-member cluster across a restart without the
// flag, and a member added again catches up.
import { afterEach, describe, expect, it } from 'vitest';
import { EtcdTestCluster } from '../support/etcd.js';
import { pollUntil } from '../support/memberProcess.js';
import { etcdctl, RafterCluster, type CommandResult } from '../support/rafterCluster.js';

const keyCount = 60;
/** Polls (100 ms apart) for the added member to hold every key. */
const catchUpPollsMax = 200;
const catchUpPollPauseMs = 100;

let etcd: EtcdTestCluster | undefined;
let rafter: RafterCluster | undefined;

afterEach(async () => {
  await Promise.all([etcd?.stop(), rafter?.stop()]);
  etcd = undefined;
  rafter = undefined;
});

/** `member list` with ids and ports taken out. */
function members(result: CommandResult): string {
  expect(result.code).toBe(0);
  return result.stdout.replace(/^[0-9a-f]+,/gm, 'ID,').replace(/127\.0\.0\.1:\d+/g, 'HOST').trim();
}

interface Kv {
  key: string;
  create_revision: number;
  mod_revision: number;
  version: number;
  value: string;
}

async function everyKey(endpoint: string, consistency: 'l' | 's' = 'l'): Promise<{ revision: number; kvs: Kv[] }> {
  const result = await etcdctl([endpoint], ['get', '', '--prefix', '-w', 'json', `--consistency=${consistency}`]);
  expect(result.code, result.stderr).toBe(0);
  const parsed = JSON.parse(result.stdout) as { header: { revision: number }; kvs?: Kv[] };
  return { revision: parsed.header.revision, kvs: parsed.kvs ?? [] };
}

async function fill(endpoint: string): Promise<void> {
  for (let i = 0; i < keyCount; i++) {
    const result = await etcdctl([endpoint], ['put', `/k/${String(i % 20).padStart(2, '0')}`, `v${i}`]);
    expect(result.code, result.stderr).toBe(0);
  }
  expect((await etcdctl([endpoint], ['del', '/k/00'])).code).toBe(0);
}

describe('--force-new-cluster, as etcd 3.4 does it', () => {
  it('restarts one member of a stopped cluster alone, with every key and revision, durably, and lets members be added again', async () => {
    [etcd, rafter] = await Promise.all([
      EtcdTestCluster.start({ members: 3 }),
      RafterCluster.start({ members: 3, snapshotCount: 20, snapshotCatchupEntries: 5 }),
    ]);
    const [e1, r1] = [etcd.members[0]!, rafter.members[0]!];
    await Promise.all([fill(e1.clientUrl), fill(r1.clientUrl)]);
    const before = await everyKey(e1.clientUrl);
    expect(await everyKey(r1.clientUrl)).toEqual(before);
    await Promise.all([...etcd.members.map((m) => etcd!.stopMember(m)), ...rafter.members.map((m) => rafter!.kill(m, 'SIGTERM'))]);

    await Promise.all([etcd.startMember(e1, ['--force-new-cluster']), rafter.restart(r1, ['--force-new-cluster'])]);
    const listed = members(await etcdctl([e1.clientUrl], ['member', 'list']));
    expect(listed).toBe('ID, started, m1, http://HOST, http://HOST, false');
    expect(members(await etcdctl([r1.clientUrl], ['member', 'list']))).toBe(listed);
    expect(r1.log.join('\n')).toMatch(/--force-new-cluster: member \w+ is now the only member/);
    expect(await everyKey(r1.clientUrl)).toEqual(before);
    expect(await everyKey(e1.clientUrl)).toEqual(before);
    const status = await etcdctl([r1.clientUrl], ['endpoint', 'status', '-w', 'json']);
    expect((JSON.parse(status.stdout) as { Status: { leader: string; header: { member_id: string } } }[])[0]!.Status.leader).toBeDefined();
    // A member left out, started on its old data, learns it was removed and stops, in both.
    const [e2, r2] = [etcd.members[1]!, rafter.members[1]!];
    await Promise.all([expect(etcd.startMember(e2)).rejects.toThrow(/exited/), expect(rafter.restart(r2)).rejects.toThrow(/exited/)]);
    expect(r2.log.join('\n')).toContain('removed from the cluster');
    expect((await etcdctl([r1.clientUrl], ['put', '/after', 'force'])).code).toBe(0);
    expect((await everyKey(r1.clientUrl)).revision).toBe(before.revision + 1);

    // Without the flag, the member stays alone.
    await rafter.kill(r1, 'SIGTERM');
    await rafter.restart(r1);
    expect(members(await etcdctl([r1.clientUrl], ['member', 'list']))).toBe(listed);
    const after = await everyKey(r1.clientUrl);
    expect(after.revision).toBe(before.revision + 1);

    // The operator grows the cluster again.
    const r4 = await rafter.reserveMember('m4');
    r4.initialCluster = `m1=${r1.peerUrl},m4=${r4.peerUrl}`;
    const added = await etcdctl([r1.clientUrl], ['member', 'add', 'm4', `--peer-urls=${r4.peerUrl}`]);
    expect(added.code, added.stderr).toBe(0);
    await rafter.startJoining(r4);
    let last = '';
    await pollUntil(
      async () => {
        const held = await everyKey(r4.clientUrl, 's').catch(() => null);
        last = JSON.stringify(held?.revision);
        return held !== null && JSON.stringify(held) === JSON.stringify(after);
      },
      { pollsMax: catchUpPollsMax, pauseMs: catchUpPollPauseMs, failure: () => new Error(`m4 never caught up (revision ${last})`) },
    );
    expect(members(await etcdctl([r1.clientUrl], ['member', 'list'])).split('\n')).toHaveLength(2);
  });

  it('has no effect on an empty data directory, where etcd ignores it too, and says so', async () => {
    [etcd, rafter] = await Promise.all([EtcdTestCluster.start({ members: 1, extraArgs: ['--force-new-cluster'] }), RafterCluster.start({ members: 1, extraArgs: ['--force-new-cluster'] })]);
    const listed = members(await etcdctl([etcd.members[0]!.clientUrl], ['member', 'list']));
    expect(members(await etcdctl([rafter.members[0]!.clientUrl], ['member', 'list']))).toBe(listed);
    expect(rafter.members[0]!.log.join('\n')).toContain('--force-new-cluster has no effect');
  });
});
