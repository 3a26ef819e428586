// Membership, leadership and fail-over through the etcd client against a real 3-member etcd.
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdError, hexToId, idToHex } from '../../core/client/index.js';
import type { EtcdClient, MemberStatus } from '../../core/client/index.js';
import { EtcdTestCluster } from '../support/etcd.js';

/** Promotion polls while the learner catches up (each after promotePollPauseMs). */
const promotePollsMax = 200;
const promotePollPauseMs = 50;

let etcd: EtcdTestCluster;
let client: EtcdClient;

beforeAll(async () => {
  // etcd refuses membership changes until every member has been connected for 5 s; the check is
  // turned off so the test need not wait for it.
  etcd = await EtcdTestCluster.start({ members: 3, extraArgs: ['--strict-reconfig-check=false'] });
  client = etcd.client();
});

afterAll(async () => {
  await etcd.stop();
});

async function statuses(): Promise<MemberStatus[]> {
  return Promise.all(etcd.endpoints.map((endpoint) => client.maintenance.status({ endpoint })));
}

describe('Cluster against a real 3-member etcd', () => {
  it('lists the three started members with names and URLs', async () => {
    const { members } = await client.cluster.memberList();
    expect(members.map((member) => member.name).sort()).toEqual(['m1', 'm2', 'm3']);
    for (const member of members) {
      expect(member.id).toMatch(/^\d+$/);
      expect(hexToId(member.idHex)).toBe(member.id);
      expect(idToHex(member.id)).toBe(member.idHex);
      expect(member.isLearner).toBe(false);
      const started = etcd.members.find((candidate) => candidate.name === member.name)!;
      expect(member.peerUrls).toEqual([started.peerUrl]);
      expect(member.clientUrls).toEqual([started.clientUrl]);
    }
  });

  it('adds a learner, updates its peer URL and removes it before it starts', async () => {
    const added = await client.cluster.memberAdd(['http://127.0.0.1:1'], { isLearner: true });
    expect(added.member.isLearner).toBe(true);
    expect(added.member.name).toBe('');
    expect(added.members.map((member) => member.id)).toContain(added.member.id);
    const updated = await client.cluster.memberUpdate(added.member.id, ['http://127.0.0.1:2']);
    expect(updated.members.find((member) => member.id === added.member.id)?.peerUrls).toEqual(['http://127.0.0.1:2']);
    const removed = await client.cluster.memberRemove(added.member.id);
    expect(removed.members.map((member) => member.id)).not.toContain(added.member.id);
    const again = await client.cluster.memberRemove(added.member.id).catch((error: unknown) => error);
    expect((again as EtcdError).message).toBe('etcdserver: member not found');
  });

  it('starts a learner process, promotes it once in sync, and removes it', async () => {
    const learner = await etcd.reserveMember('m4');
    const added = await client.cluster.memberAdd([learner.peerUrl], { isLearner: true });
    const early = await client.cluster.memberPromote(added.member.id).catch((error: unknown) => error);
    expect(early).toBeInstanceOf(EtcdError);
    await etcd.startJoiningMember(learner);
    const learnerStatus = await client.maintenance.status({ endpoint: learner.clientUrl });
    expect(learnerStatus.isLearner).toBe(true);

    let promoted = false;
    for (let poll = 0; poll < promotePollsMax && !promoted; poll++) {
      try {
        const result = await client.cluster.memberPromote(added.member.id);
        expect(result.members.find((member) => member.id === added.member.id)?.isLearner).toBe(false);
        promoted = true;
      } catch (error) {
        expect((error as EtcdError).message).toBe('etcdserver: can only promote a learner member which is in sync with leader');
        await delay(promotePollPauseMs);
      }
    }
    expect(promoted).toBe(true);
    const { members } = await client.cluster.memberList();
    expect(members.find((member) => member.id === added.member.id)).toMatchObject({ name: 'm4', isLearner: false });

    await client.cluster.memberRemove(added.member.id);
    await etcd.stopMember(learner);
    etcd.members.splice(etcd.members.indexOf(learner), 1);
    expect((await client.cluster.memberList()).members).toHaveLength(3);
  });

  it('moves leadership to a follower when asked at the leader', async () => {
    const before = await statuses();
    const leaderId = before[0]!.leader;
    const leaderIndex = before.findIndex((status) => status.header.memberId === leaderId);
    const follower = before.find((status) => status.header.memberId !== leaderId)!;
    const notLeader = await client.maintenance
      .moveLeader(leaderId, { endpoint: etcd.endpoints[(leaderIndex + 1) % 3]! })
      .catch((error: unknown) => error);
    expect((notLeader as EtcdError).message).toBe('etcdserver: not leader');
    await client.maintenance.moveLeader(follower.header.memberId, { endpoint: etcd.endpoints[leaderIndex]! });
    const after = await client.maintenance.status({ endpoint: etcd.endpoints[leaderIndex]! });
    expect(after.leader).toBe(follower.header.memberId);
  });

  it('fails over to the next endpoint when the current member is down, watches included', async () => {
    const first = etcd.members[0]!;
    await client.kv.put('failover/before', '1');
    expect(client.currentEndpoint).toBe(`127.0.0.1:${first.clientPort}`);
    const watcher = await client.watch.watch('failover/', { prefix: true });
    const events = watcher[Symbol.asyncIterator]();
    await etcd.stopMember(first);
    expect((await client.kv.getOne('failover/before'))?.valueString).toBe('1');
    expect(client.currentEndpoint).not.toBe(`127.0.0.1:${first.clientPort}`);
    await client.kv.put('failover/after', '2');
    const event = await events.next();
    expect(event.value?.events.map((item) => item.kv.keyString)).toEqual(['failover/after']);
    watcher.cancel();
    await etcd.startMember(first);
    // A linearizable read at the restarted member sees the write it missed while down.
    const caughtUp = await client.kv.get('failover/', { prefix: true, endpoint: first.clientUrl });
    expect(caughtUp.kvs.map((kv) => kv.valueString)).toEqual(['2', '1']);
  });
});
