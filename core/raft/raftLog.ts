// The log as one sequence: the durable part (Storage) followed by the unstable part (UnstableLog),
// with the commit and apply cursors. Owns the log-matching and conflict rules of Raft §5.3; knows
// nothing about roles, peers or messages.

import { assert } from './assert.js';
import { CompactedError } from './errors.js';
import { entryBytes, sliceWithinBytes } from './storage.js';
import type { Storage } from './storage.js';
import { index, term } from './types.js';
import type { Entry, Index, Snapshot, Term } from './types.js';
import { UnstableLog } from './unstableLog.js';

/** An index with the term found there (term 0 when unknown or compacted). */
export interface IndexTerm {
  readonly index: Index;
  readonly term: Term;
}

/**
 * Invariants: `applied <= committed <= lastIndex()`; `firstIndex() - 1 <= committed`.
 */
export class RaftLog {
  readonly unstable: UnstableLog;
  committed: Index;
  applied: Index;

  constructor(
    readonly storage: Storage,
    /** Bound on the bytes of committed entries handed out in one Ready. */
    private readonly committedBytesMax: number,
  ) {
    const first = storage.firstIndex();
    this.unstable = new UnstableLog(index(storage.lastIndex() + 1));
    this.committed = index(first - 1);
    this.applied = index(first - 1);
  }

  firstIndex(): Index {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): Index {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  lastTerm(): Term {
    const t = this.term(this.lastIndex());
    assert(t !== null, 'the last entry always has a known term');
    return t;
  }

  /** The term at `i`, or null when `i` is compacted or beyond the last index. */
  term(i: Index): Term | null {
    const dummy = this.firstIndex() - 1;
    if (i < dummy || i > this.lastIndex()) return null;
    const unstableTerm = this.unstable.maybeTerm(i);
    if (unstableTerm !== null) return unstableTerm;
    try {
      return this.storage.term(i);
    } catch (error) {
      if (error instanceof CompactedError) return null;
      throw error;
    }
  }

  matchTerm(i: Index, t: Term): boolean {
    return this.term(i) === t;
  }

  /** §5.4.1: a candidate's log is at least as up to date as ours. */
  isUpToDate(lastIndex: Index, lastTerm: Term): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /**
   * The follower side of AppendEntries (§5.3): if our entry at `prevIndex` has `prevTerm`, append
   * `entries` (dropping a conflicting suffix), advance commit to what the leader vouches for, and
   * return the index of the last new entry; otherwise null.
   */
  maybeAppend(prevIndex: Index, prevTerm: Term, commit: Index, entries: readonly Entry[]): Index | null {
    if (!this.matchTerm(prevIndex, prevTerm)) return null;
    const lastNew = index(prevIndex + entries.length);
    const conflict = this.findConflict(entries);
    if (conflict !== 0) {
      assert(conflict > this.committed, 'a committed entry never conflicts with the leader');
      this.append(entries.slice(conflict - (prevIndex + 1)));
    }
    this.commitTo(index(Math.min(commit, lastNew)));
    return lastNew;
  }

  /** Appends entries after any conflicting suffix. Returns the new last index. */
  append(entries: readonly Entry[]): Index {
    if (entries.length === 0) return this.lastIndex();
    assert(entries[0]!.index - 1 >= this.committed, 'append never rewrites committed entries');
    this.unstable.truncateAndAppend(entries);
    return this.lastIndex();
  }

  /** The index of the first entry whose term differs from ours (or that we lack); 0 if none. */
  findConflict(entries: readonly Entry[]): number {
    for (const entry of entries) {
      if (!this.matchTerm(entry.index, entry.term)) return entry.index;
    }
    return 0;
  }

  /**
   * The last index at or below `i` whose term is at most `t`, with that term: where a leader with
   * `t` at `i` and this log could first agree. Stops (term 0) at compacted entries.
   */
  findConflictByTerm(i: Index, t: Term): IndexTerm {
    for (let at = i; at > 0; at--) {
      const ourTerm = this.term(index(at));
      if (ourTerm === null) return { index: index(at), term: term(0) };
      if (ourTerm <= t) return { index: index(at), term: ourTerm };
    }
    return { index: index(0), term: term(0) };
  }

  hasPendingSnapshot(): boolean {
    return this.unstable.snapshot !== null;
  }

  /** The entries to persist (shared with the unstable log until the next append). */
  unstableEntries(): readonly Entry[] {
    return this.unstable.lend();
  }

  /** Committed entries not yet applied, bounded by bytes; none while a snapshot is pending. */
  nextCommittedEntries(): readonly Entry[] {
    if (this.hasPendingSnapshot()) return [];
    const from = Math.max(this.applied + 1, this.firstIndex());
    if (this.committed + 1 <= from) return [];
    const entries = this.slice(index(from), index(this.committed + 1), this.committedBytesMax);
    assert(entries !== null, 'unapplied committed entries are never compacted');
    return entries;
  }

  hasNextCommittedEntries(): boolean {
    if (this.hasPendingSnapshot()) return false;
    return this.committed + 1 > Math.max(this.applied + 1, this.firstIndex());
  }

  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  commitTo(i: Index): void {
    if (this.committed >= i) return;
    assert(i <= this.lastIndex(), 'commit never passes the last index');
    this.committed = i;
  }

  appliedTo(i: Index): void {
    if (i === 0) return;
    assert(i <= this.committed, 'applied never passes committed');
    assert(i >= this.applied, 'applied never goes backwards');
    this.applied = i;
  }

  stableTo(i: Index, t: Term): void {
    this.unstable.stableTo(i, t);
  }

  stableSnapTo(i: Index): void {
    this.unstable.stableSnapTo(i);
  }

  /** Commits `maxIndex` if it carries `t` (the leader's term: §5.4.2). */
  maybeCommit(maxIndex: Index, t: Term): boolean {
    if (maxIndex > this.committed && this.term(maxIndex) === t) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  /** Replaces the log with a snapshot (the follower side of InstallSnapshot, §7). */
  restore(snapshot: Snapshot): void {
    this.committed = snapshot.meta.index;
    this.unstable.restore(snapshot);
  }

  /** Entries from `i` to the end, bounded by bytes; null when `i` is compacted. */
  entriesFrom(i: Index, maxBytes: number): readonly Entry[] | null {
    const last = this.lastIndex();
    if (i > last) return [];
    return this.slice(i, index(last + 1), maxBytes);
  }

  /** Entries in [lo, hi) bounded by bytes (at least one); null when `lo` is compacted. */
  slice(lo: Index, hi: Index, maxBytes: number): readonly Entry[] | null {
    assert(lo <= hi, 'slice takes lo <= hi');
    assert(hi <= this.lastIndex() + 1, 'slice stays within the log');
    if (lo < this.firstIndex()) return null;
    if (lo === hi) return [];
    const offset = this.unstable.offset;
    if (lo >= offset) {
      this.unstable.assertRange(lo, hi);
      return sliceWithinBytes(this.unstable.entries, lo - offset, hi - offset, maxBytes);
    }
    let stored: readonly Entry[];
    try {
      stored = this.storage.entries(lo, index(Math.min(hi, offset)), maxBytes);
    } catch (error) {
      if (error instanceof CompactedError) return null;
      throw error;
    }
    if (hi <= offset || stored.length < offset - lo) return stored;
    let size = 0;
    for (const entry of stored) size += entryBytes(entry);
    const rest = sliceWithinBytes(this.unstable.entries, 0, hi - offset, Math.max(maxBytes - size, 0));
    if (size + (rest.length > 0 ? entryBytes(rest[0]!) : 0) > maxBytes) return stored;
    return stored.concat(rest);
  }
}
