// How the live view's read folds the receivers' drops into the senders' records: a message
// dropped on arrival shows once, as sent and dropped at the receiver; a drop whose sender was not
// read stays as the receiver saw it.
import { describe, expect, it } from 'vitest';
import type { RaftMessageRecord } from '../../core/admin/api.js';
import { foldArrivalDrops } from '../../core/admin/raftTraffic.js';

function record(fields: Partial<RaftMessageRecord> & Pick<RaftMessageRecord, 'seenBy' | 'seq' | 'atMs'>): RaftMessageRecord {
  return { type: 'heartbeat', from: '1', to: '2', term: 4, index: 0, entries: 0, commit: 7, reject: false, dropped: false, droppedAt: null, ...fields };
}

describe('folding drops on arrival', () => {
  it('marks the sender’s record dropped at the receiver and leaves out the receiver’s', () => {
    const sent = record({ seenBy: '1', seq: 10, atMs: 100 });
    const other = record({ seenBy: '1', seq: 11, atMs: 101, to: '3' });
    const drop = record({ seenBy: '2', seq: 5, atMs: 101, dropped: true, droppedAt: 'receiver' });
    expect(foldArrivalDrops([sent, other, drop])).toEqual([{ ...sent, dropped: true, droppedAt: 'receiver' }, other]);
  });

  it('matches each drop to one sent message, oldest first, by kind, peers, term, index and commit', () => {
    const first = record({ seenBy: '1', seq: 1, atMs: 100 });
    const second = record({ seenBy: '1', seq: 2, atMs: 150 });
    const vote = record({ seenBy: '1', seq: 3, atMs: 150, type: 'vote', term: 5 });
    const drop = record({ seenBy: '2', seq: 9, atMs: 151, dropped: true, droppedAt: 'receiver' });
    expect(foldArrivalDrops([first, second, vote, drop]).map((m) => [m.seq, m.droppedAt])).toEqual([
      [1, 'receiver'],
      [2, null],
      [3, null],
    ]);
  });

  it('keeps a drop whose sender’s record is not in the read', () => {
    const drop = record({ seenBy: '2', seq: 9, atMs: 151, dropped: true, droppedAt: 'receiver' });
    const sentToAnother = record({ seenBy: '1', seq: 1, atMs: 100, to: '3' });
    expect(foldArrivalDrops([sentToAnother, drop])).toEqual([sentToAnother, drop]);
  });
});
