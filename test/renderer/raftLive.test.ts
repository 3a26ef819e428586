// The live Raft view's pure parts: which messages are in flight at a playhead and where, the
// members' roles told by the messages they sent after the last reading, the log's filters, and
// the replay clock's live, slow-motion, pause and seek behaviour on a hand-driven clock, and drops
// on arrival folded into the senders' records.
import { effectScope } from 'vue';
import { describe, expect, it } from 'vitest';
import type { RaftLiveMember, RaftMessageRecord } from '../../renderer/contract';
import { dotsAt, filterMessages, membersAt, messagesUpTo, nodePositions, readingAt, travelMs } from '../../renderer/components/raft/liveLayout';
import { useReplayClock } from '../../renderer/composables/useReplayClock';
import { foldArrivalDrops } from '../../renderer/stores/arrivalDrops';

function message(fields: Partial<RaftMessageRecord> & Pick<RaftMessageRecord, 'seq' | 'atMs'>): RaftMessageRecord {
  return { seenBy: '1', type: 'heartbeat', from: '1', to: '2', term: 2, index: 0, entries: 0, commit: 0, reject: false, dropped: false, droppedAt: null, ...fields };
}

function member(memberId: string, role: RaftLiveMember['role'], term: number): RaftLiveMember {
  return {
    memberId, name: `m${memberId}`, reachable: true, error: null, role, term, leaderId: '1', commitIndex: 5, lastIndex: 5, appliedIndex: 5,
    cutOff: false, cursor: null, sampledOut: 0, missed: 0,
  };
}

describe('the live diagram', () => {
  const positions = nodePositions(['1', '2', '3']);

  it('places members on a circle, the first at the top', () => {
    expect(positions).toHaveLength(3);
    expect(positions[0]!.y).toBeLessThan(positions[1]!.y);
    expect(positions[1]!.y).toBe(positions[2]!.y);
  });

  it('draws only the messages sent within the travel time before the playhead, moving towards the receiver', () => {
    const messages = [message({ seq: 1, atMs: 1_000 }), message({ seq: 2, atMs: 1_200 }), message({ seq: 3, atMs: 1_500 })];
    const early = dotsAt(messages, positions, 1_250);
    expect(early.map((dot) => dot.key)).toEqual(['1:1', '1:2']);
    const later = dotsAt(messages, positions, 1_250 + travelMs / 2);
    expect(later.map((dot) => dot.key)).toEqual(['1:2']);
    const to = positions[1]!;
    const distance = (dot: { x: number; y: number }): number => Math.hypot(dot.x - to.x, dot.y - to.y);
    expect(distance(later[0]!)).toBeLessThan(distance(early[1]!));
  });

  it('stops a message its sender dropped halfway, as a cross', () => {
    const dropped = message({ seq: 1, atMs: 1_000, dropped: true, droppedAt: 'sender' });
    const [dot] = dotsAt([dropped], positions, 1_000 + travelMs * 0.9);
    expect(dot?.dropped).toBe(true);
    const [moving] = dotsAt([dropped], positions, 1_000 + travelMs * 0.2);
    expect(moving?.dropped).toBe(false);
  });

  it('tells a candidate by the vote it sent after the last reading, and a pre-candidate by its pre-vote', () => {
    const reading = { takenAtMs: 1_000, members: [member('1', 'leader', 2), member('2', 'follower', 2), member('3', 'follower', 2)] };
    const messages = [
      message({ seq: 1, atMs: 900, from: '2', seenBy: '2', type: 'vote', term: 9 }),
      message({ seq: 2, atMs: 1_010, from: '2', seenBy: '2', to: '1', type: 'preVote', term: 3 }),
      message({ seq: 3, atMs: 1_020, from: '3', seenBy: '3', to: '1', type: 'vote', term: 3 }),
      message({ seq: 4, atMs: 1_020, from: '3', seenBy: '3', to: '1', type: 'heartbeat', term: 3 }),
    ];
    const at = (ms: number, end?: number): string[] => membersAt(reading, messages, ms, end).map((m) => `${m.role ?? ''}@${m.term ?? ''}`);
    expect(at(1_005)).toEqual(['leader@2', 'follower@2', 'follower@2']);
    expect(at(1_015)).toEqual(['leader@2', 'preCandidate@2', 'follower@2']);
    expect(at(1_020)).toEqual(['leader@2', 'preCandidate@2', 'leader@3']);
    // Standing on the vote (a picked message), the same millisecond's heartbeat is not sent yet.
    expect(at(1_020, 3)).toEqual(['leader@2', 'preCandidate@2', 'candidate@3']);
    // A granted pre-vote answer carries the asker's term and says nothing of its sender's.
    const answered = [...messages, message({ seq: 5, atMs: 1_030, from: '2', seenBy: '2', to: '3', type: 'preVoteResp', term: 4 })];
    expect(membersAt(reading, answered, 1_030)[1]).toMatchObject({ role: 'preCandidate', term: 2 });
    const cutOff = [...messages, message({ seq: 5, atMs: 1_030, type: 'heartbeat', dropped: true, droppedAt: 'sender' })];
    expect(membersAt(reading, cutOff, 1_030).map((m) => m.cutOff)).toEqual([true, false, false]);
  });

  it('finds the reading in force at a time, and the newest messages up to it through a filter', () => {
    const readings = [{ takenAtMs: 100, members: [] }, { takenAtMs: 200, members: [] }];
    expect(readingAt(readings, 150)?.takenAtMs).toBe(100);
    expect(readingAt(readings, 50)?.takenAtMs).toBe(100);
    expect(readingAt(readings, 200)?.takenAtMs).toBe(200);
    const messages = [message({ seq: 1, atMs: 10, type: 'vote' }), message({ seq: 2, atMs: 20 }), message({ seq: 3, atMs: 30, type: 'voteResp' })];
    expect(messagesUpTo(filterMessages(messages, 'elections'), 25, 10).map((m) => m.seq)).toEqual([1]);
    expect(messagesUpTo(filterMessages(messages, 'all'), 30, 2).map((m) => m.seq)).toEqual([3, 2]);
  });
});

describe('the replay clock', () => {
  function clockAt(startMs: number) {
    const time = { nowMs: startMs };
    const scope = effectScope();
    const clock = scope.run(() => useReplayClock({ lagMs: 500, oldestMs: () => 0, clock: () => time.nowMs }))!;
    return { clock, time, scope };
  }

  it('follows the wall clock less the lag while live, at a tenth of its pace in slow motion, and not at all paused', () => {
    const { clock, time, scope } = clockAt(10_000);
    time.nowMs = 11_000;
    clock.advance(time.nowMs);
    expect(clock.playheadMs.value).toBe(10_500);
    clock.setSpeed(0.1);
    time.nowMs = 12_000;
    clock.advance(time.nowMs);
    expect(clock.playheadMs.value).toBe(10_600);
    expect(clock.live.value).toBe(false);
    clock.togglePause();
    time.nowMs = 13_000;
    clock.advance(time.nowMs);
    expect(clock.playheadMs.value).toBe(10_600);
    clock.setSpeed(1);
    clock.goLive();
    expect(clock.playheadMs.value).toBe(12_500);
    expect(clock.live.value).toBe(true);
    scope.stop();
  });

  it('stands on a sought time, paused, until played again', () => {
    const { clock, time, scope } = clockAt(10_000);
    clock.seek(4_000);
    time.nowMs = 11_000;
    clock.advance(time.nowMs);
    expect(clock.playheadMs.value).toBe(4_000);
    clock.togglePause();
    time.nowMs = 11_100;
    clock.advance(time.nowMs);
    expect(clock.playheadMs.value).toBe(4_100);
    scope.stop();
  });
});

describe('folding drops on arrival', () => {
  it('marks the sender’s record dropped at the receiver and leaves out the receiver’s', () => {
    const sent = message({ seq: 10, atMs: 100 });
    const other = message({ seq: 11, atMs: 101, to: '3' });
    const drop = message({ seenBy: '2', seq: 5, atMs: 101, dropped: true, droppedAt: 'receiver' });
    expect(foldArrivalDrops([sent, other, drop])).toEqual([{ ...sent, dropped: true, droppedAt: 'receiver' }, other]);
  });

  it('matches each drop to one sent message, oldest first, by kind, peers, term, index and commit', () => {
    const first = message({ seq: 1, atMs: 100 });
    const second = message({ seq: 2, atMs: 150 });
    const vote = message({ seq: 3, atMs: 150, type: 'vote', term: 5 });
    const drop = message({ seenBy: '2', seq: 9, atMs: 151, dropped: true, droppedAt: 'receiver' });
    expect(foldArrivalDrops([first, second, vote, drop]).map((m) => [m.seq, m.droppedAt])).toEqual([
      [1, 'receiver'],
      [2, null],
      [3, null],
    ]);
  });

  it('keeps a drop whose sender’s record has not arrived, and folds it once it does', () => {
    const drop = message({ seenBy: '2', seq: 9, atMs: 151, dropped: true, droppedAt: 'receiver' });
    const sentToAnother = message({ seq: 1, atMs: 100, to: '3' });
    const before = [sentToAnother, drop];
    expect(foldArrivalDrops(before)).toBe(before);
    const sentLater = message({ seq: 2, atMs: 150 });
    expect(foldArrivalDrops([sentToAnother, sentLater, drop]).map((m) => [m.seq, m.droppedAt])).toEqual([
      [1, null],
      [2, 'receiver'],
    ]);
  });
});
