// RaftLog: the durable and unstable parts read as one log, the append consistency check, conflict
// search by term, and commit bounds.

import { describe, expect, it } from 'vitest';
import { MemoryStorage, index, nodeId, term } from '../../core/raft/index.js';
import type { Entry } from '../../core/raft/index.js';
import { RaftLog } from '../../core/raft/raftLog.js';
import { entryBytes } from '../../core/raft/storage.js';

const entry = (i: number, t: number): Entry => ({ index: index(i), term: term(t), type: 'normal', data: new Uint8Array(4) });
const conf = { voters: [nodeId('a')], learners: [] };

function logWith(stored: Entry[], unstable: Entry[]): RaftLog {
  const storage = new MemoryStorage(conf);
  storage.append(stored);
  const log = new RaftLog(storage, Infinity);
  log.append(unstable);
  return log;
}

describe('RaftLog', () => {
  it('reads one sequence across the durable and unstable parts, bounded by bytes', () => {
    const log = logWith([entry(1, 1), entry(2, 1)], [entry(3, 2), entry(4, 2)]);
    expect(log.lastIndex()).toBe(4);
    expect(log.slice(index(1), index(5), Infinity)?.map((e) => e.index)).toEqual([1, 2, 3, 4]);
    expect(log.slice(index(2), index(5), 2 * entryBytes(entry(1, 1)))?.map((e) => e.index)).toEqual([2, 3]);
    expect(log.unstableEntries().map((e) => e.index)).toEqual([3, 4]);
  });

  it('accepts an append only when the previous entry matches, and truncates a conflicting tail (§5.3)', () => {
    const log = logWith([entry(1, 1), entry(2, 1)], [entry(3, 1), entry(4, 1)]);
    expect(log.maybeAppend(index(4), term(2), index(0), [entry(5, 2)])).toBeNull();
    expect(log.maybeAppend(index(2), term(1), index(3), [entry(3, 2)])).toBe(3);
    expect(log.lastIndex()).toBe(3);
    expect(log.term(index(3))).toBe(2);
    expect(log.committed).toBe(3);
  });

  it('never commits past what the leader vouched for in this append', () => {
    const log = logWith([entry(1, 1)], []);
    expect(log.maybeAppend(index(1), term(1), index(10), [entry(2, 1)])).toBe(2);
    expect(log.committed).toBe(2);
  });

  it('finds the last index whose term is at most the given term', () => {
    const log = logWith([entry(1, 1), entry(2, 1), entry(3, 3), entry(4, 3), entry(5, 5)], []);
    expect(log.findConflictByTerm(index(5), term(4))).toEqual({ index: 4, term: 3 });
    expect(log.findConflictByTerm(index(5), term(2))).toEqual({ index: 2, term: 1 });
    expect(log.findConflictByTerm(index(5), term(0))).toEqual({ index: 0, term: 0 });
  });

  it('judges candidates up to date by last term, then by length (§5.4.1)', () => {
    const log = logWith([entry(1, 1), entry(2, 2)], []);
    expect(log.isUpToDate(index(1), term(3))).toBe(true);
    expect(log.isUpToDate(index(2), term(2))).toBe(true);
    expect(log.isUpToDate(index(1), term(2))).toBe(false);
    expect(log.isUpToDate(index(9), term(1))).toBe(false);
  });

  it('commits only an index of the given term (§5.4.2)', () => {
    const log = logWith([entry(1, 1), entry(2, 2)], []);
    expect(log.maybeCommit(index(1), term(2))).toBe(false);
    expect(log.maybeCommit(index(2), term(2))).toBe(true);
    expect(log.committed).toBe(2);
  });
});
