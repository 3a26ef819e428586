// The message tap's ring, sampling and subscription lease, on a hand-driven clock: nothing is
// recorded before a subscription or after its lease lapses, the ring keeps the newest records and
// says how many a slow reader missed, and heavy traffic is cut to a number per window with the
// rest counted.
import { describe, expect, it } from 'vitest';
import { MessageTap } from '../../core/server/messageTap.js';
import type { Message, MessageType } from '../../core/raft/message.js';
import type { Index, NodeId, Term } from '../../core/raft/types.js';

function message(type: MessageType, index: number, term = 2): Message {
  return {
    type, from: 'a1' as NodeId, to: 'b2' as NodeId, term: term as Term, logTerm: 1 as Term, index: index as Index,
    entries: [], commit: 0 as Index, reject: false, rejectHint: 0 as Index,
  };
}

function tapAt(options: { capacity?: number; perWindowMax?: number; leaseMs?: number } = {}) {
  const time = { nowMs: 1_000 };
  const tap = new MessageTap({ windowMs: 100, perWindowMax: 1_000, leaseMs: 5_000, ...options, clock: () => time.nowMs });
  return { tap, time };
}

describe('the message tap', () => {
  it('is off and records nothing until someone subscribes', () => {
    const { tap } = tapAt();
    expect(tap.active).toBe(false);
    expect(tap.read(0).records).toEqual([]);
    expect(tap.recorded).toBe(0);
  });

  it('records what it is given while subscribed, with a sequence a reader pages through', () => {
    const { tap } = tapAt();
    tap.subscribe();
    tap.record('send', message('heartbeat', 0));
    tap.record('receive', message('appResp', 7), false);
    tap.record('send', message('app', 8), true);
    const first = tap.read(0, 2);
    expect(first.records.map((r) => [r.seq, r.direction, r.type, r.index, r.dropped])).toEqual([
      [1, 'send', 'heartbeat', 0, false],
      [2, 'receive', 'appResp', 7, false],
    ]);
    expect(first.lastSeq).toBe(2);
    const second = tap.read(first.lastSeq);
    expect(second.records.map((r) => r.type)).toEqual(['app']);
    expect(second.records[0]).toMatchObject({ from: 'a1', to: 'b2', term: 2, dropped: true });
    expect(tap.read(second.lastSeq)).toMatchObject({ records: [], lastSeq: 3, missed: 0 });
  });

  it('turns itself off at the first message after the lease lapses, and on again at the next read', () => {
    const { tap, time } = tapAt({ leaseMs: 5_000 });
    tap.subscribe();
    time.nowMs += 5_000;
    tap.record('send', message('heartbeat', 0));
    expect(tap.active).toBe(true);
    time.nowMs += 1;
    tap.record('send', message('heartbeat', 0));
    expect(tap.active).toBe(false);
    expect(tap.recorded).toBe(1);
    tap.subscribe();
    tap.record('send', message('heartbeat', 0));
    expect(tap.recorded).toBe(2);
  });

  it('keeps only the newest records of a full ring and tells a slow reader how many it missed', () => {
    const { tap, time } = tapAt({ capacity: 8 });
    tap.subscribe();
    for (let i = 1; i <= 20; i++) {
      time.nowMs += 1;
      tap.record('send', message('app', i));
    }
    const page = tap.read(3);
    expect(page.records.map((r) => r.index)).toEqual([13, 14, 15, 16, 17, 18, 19, 20]);
    expect(page.missed).toBe(9);
    expect(tap.read(0).records).toHaveLength(8);
  });

  it('samples heavy traffic: at most perWindowMax records per window, the rest counted', () => {
    const { tap, time } = tapAt({ perWindowMax: 5 });
    tap.subscribe();
    for (let i = 0; i < 12; i++) tap.record('send', message('app', i));
    time.nowMs += 100;
    for (let i = 12; i < 15; i++) tap.record('send', message('app', i));
    const page = tap.read(0);
    expect(page.records.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 12, 13, 14]);
    expect(page.sampledOut).toBe(7);
  });

  it('wakes a waiting reader when a record arrives', async () => {
    const { tap } = tapAt();
    tap.subscribe();
    const waited = tap.whenRecordAfter(0, 60_000);
    tap.record('send', message('vote', 0, 3));
    await waited;
    expect(tap.read(0).records[0]?.type).toBe('vote');
  });
});
