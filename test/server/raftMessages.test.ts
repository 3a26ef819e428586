// The message tap of real member processes, read through /rafter/v1/raft/messages as the console
// reads it: a cluster nobody watches describes no message at all; once watched, each member
// records the heartbeats and appends it sends and receives, with the sender, the receiver and
// the leader's term; a partition shows as messages the transport dropped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntil } from '../support/memberProcess.js';
import { RafterCluster } from '../support/rafterCluster.js';
import type { RafterMember } from '../support/rafterCluster.js';
import type { TappedMessage } from '../../core/server/messageTap.js';

/** Reads of the tap before a test gives up (each waits up to 500 ms for a message): a bound. */
const readsMax = 60;

interface MessagesAnswer {
  memberId: string;
  tapId: string;
  lastSeq: number;
  records: TappedMessage[];
  status: { role: string; term: number; leader: string | null };
}

interface StatusAnswer {
  memberId: string;
  messageTap: { active: boolean; recorded: number };
}

let rafter: RafterCluster;

beforeAll(async () => {
  rafter = await RafterCluster.start({ members: 3 });
}, 120_000);

afterAll(async () => {
  await rafter?.stop();
});

async function tapStatus(member: RafterMember): Promise<StatusAnswer> {
  return JSON.parse((await rafter.request(member, '/rafter/v1/raft/status', 2_000)).body) as StatusAnswer;
}

/** Reads every member's tap until `done` accepts all records seen so far. */
async function collect(done: (records: TappedMessage[]) => boolean): Promise<TappedMessage[]> {
  const cursors = new Map<RafterMember, { tap: string; after: number }>();
  const seen: TappedMessage[] = [];
  await pollUntil(
    async () => {
      for (const member of rafter.members) {
        const cursor = cursors.get(member) ?? { tap: '', after: 0 };
        const response = await rafter.request(member, `/rafter/v1/raft/messages?tap=${cursor.tap}&after=${cursor.after}&waitMs=500`, 5_000);
        const answer = JSON.parse(response.body) as MessagesAnswer;
        cursors.set(member, { tap: answer.tapId, after: answer.lastSeq });
        seen.push(...answer.records);
      }
      return done(seen);
    },
    { pollsMax: readsMax, pauseMs: 0, failure: () => new Error(`the taps never showed what was expected; saw ${JSON.stringify(seen.slice(-20))}`) },
  );
  return seen;
}

describe('the message tap of real members', () => {
  it('records nothing while nobody reads it, though the members exchange heartbeats', async () => {
    const leader = await rafter.leader();
    await rafter.etcdctl(['put', 'quiet', 'yes']);
    const statuses = await Promise.all(rafter.members.map(tapStatus));
    expect(statuses.map((status) => status.messageTap)).toEqual([
      { active: false, recorded: 0 },
      { active: false, recorded: 0 },
      { active: false, recorded: 0 },
    ]);
    expect(leader.process).toBeDefined();
  });

  it('records heartbeats, appends and their answers with sender, receiver and term once read', async () => {
    const leaderMember = await rafter.leader();
    const leader = await rafter.raftStatus(leaderMember);
    const leaderId = leader.memberId;
    const term = leader.status.term;
    const followerIds = (await Promise.all(rafter.members.filter((m) => m !== leaderMember).map((m) => rafter.raftStatus(m)))).map((v) => v.memberId);
    let wrote = false;
    const records = await collect((seen) => {
      if (!wrote && seen.length > 0) {
        wrote = true;
        void rafter.etcdctl(['put', 'watched', 'yes']);
      }
      const appendsTo = new Set(seen.filter((r) => r.type === 'app' && r.direction === 'send' && r.entries > 0).map((r) => r.to));
      const heartbeatAnswers = new Set(seen.filter((r) => r.type === 'heartbeatResp' && r.direction === 'receive').map((r) => r.from));
      return followerIds.every((id) => appendsTo.has(id) && heartbeatAnswers.has(id));
    });
    const heartbeats = records.filter((r) => r.type === 'heartbeat' && r.direction === 'send');
    expect(heartbeats.length).toBeGreaterThan(0);
    for (const heartbeat of heartbeats) {
      expect(heartbeat.from).toBe(leaderId);
      expect(followerIds).toContain(heartbeat.to);
      expect(heartbeat.term).toBe(term);
      expect(heartbeat.dropped).toBe(false);
    }
    // Each message the leader sent and a follower received shows on both sides.
    const received = records.filter((r) => r.type === 'heartbeat' && r.direction === 'receive');
    expect(received.length).toBeGreaterThan(0);
    expect(received.every((r) => r.from === leaderId && followerIds.includes(r.to) && r.term === term)).toBe(true);
    const appendAnswers = records.filter((r) => r.type === 'appResp' && r.direction === 'send');
    expect(appendAnswers.every((r) => followerIds.includes(r.from) && r.to === leaderId && r.term === term && !r.reject)).toBe(true);
    const statuses = await Promise.all(rafter.members.map(tapStatus));
    expect(statuses.every((status) => status.messageTap.active && status.messageTap.recorded > 0)).toBe(true);
  });

  it('shows what a partition drops, and the election the cut-off members start', async () => {
    const leaderMember = await rafter.leader();
    const leaderId = (await rafter.raftStatus(leaderMember)).memberId;
    const others = rafter.members.filter((m) => m !== leaderMember);
    const otherIds = await Promise.all(others.map(async (m) => (await rafter.raftStatus(m)).memberId));
    await rafter.setFaults(leaderMember, { dropTo: otherIds, dropFrom: otherIds });
    try {
      const records = await collect((seen) => seen.some((r) => r.type === 'voteResp' && r.direction === 'receive' && !r.reject && r.from !== leaderId));
      expect(records.some((r) => r.from === leaderId && r.direction === 'send' && r.dropped)).toBe(true);
      const votes = records.filter((r) => r.type === 'vote' && r.direction === 'send' && r.from !== leaderId);
      expect(votes.length).toBeGreaterThan(0);
      expect(Math.min(...votes.map((r) => r.term))).toBeGreaterThan(0);
      // With pre-vote on, a candidate asks first with a pre-vote for the term it would take.
      expect(records.some((r) => r.type === 'preVote' && r.direction === 'send' && r.from !== leaderId)).toBe(true);
    } finally {
      await rafter.setFaults(leaderMember, { dropTo: [], dropFrom: [] });
    }
  });
});
