// The durable log as Raft reads it (modelled on etcd's raft Storage): what has been persisted —
// hard state, configuration, entries and the latest snapshot. Raft never writes through this
// interface; the application persists what a Ready says and then makes it visible here.

import type { ConfState, Entry, HardState, Index, Snapshot, Term } from './types.js';

/** What a node restarts from. */
export interface InitialState {
  readonly hardState: HardState;
  /** The membership as of the latest snapshot (later changes are re-applied from the log). */
  readonly confState: ConfState;
}

/**
 * Read access to persisted Raft state. Indexes below `firstIndex()` were compacted into the
 * snapshot: `entries`/`term` throw `CompactedError` for them, except that `term(firstIndex() - 1)`
 * is the snapshot's term. Indexes above `lastIndex()` throw `UnavailableError`.
 */
export interface Storage {
  initialState(): InitialState;
  /**
   * Entries in [lo, hi), as many as fit in `maxBytes` (at least one when lo < hi). The result
   * must not be mutated by the caller.
   */
  entries(lo: Index, hi: Index, maxBytes: number): readonly Entry[];
  term(i: Index): Term;
  /** The index of the first entry still available (the snapshot's index + 1). */
  firstIndex(): Index;
  lastIndex(): Index;
  /** The most recent snapshot (index 0 with empty data before any). */
  snapshot(): Snapshot;
}

/** The bytes an entry counts for against size limits (its payload plus fixed framing). */
export function entryBytes(entry: Entry): number {
  return entry.data.byteLength + entryOverheadBytes;
}

/** Fixed per-entry framing counted by `entryBytes` (term, index, type). */
export const entryOverheadBytes = 16;

/**
 * `entries[lo, hi)` cut to the longest prefix whose total `entryBytes` fit in `maxBytes`, always
 * keeping at least one entry when lo < hi. Copies the chosen range exactly once.
 */
export function sliceWithinBytes(
  entries: readonly Entry[],
  lo: number,
  hi: number,
  maxBytes: number,
): Entry[] {
  let end = lo;
  let size = 0;
  while (end < hi) {
    size += entryBytes(entries[end]!);
    if (size > maxBytes && end > lo) break;
    end++;
  }
  return entries.slice(lo, end);
}

/**
 * The prefix of `entries` whose total `entryBytes` fit in `maxBytes`, always keeping at least one
 * entry. Returns the same array when nothing is cut, so the common case does not copy.
 */
export function limitBytes(entries: readonly Entry[], maxBytes: number): readonly Entry[] {
  if (entries.length <= 1) return entries;
  let size = 0;
  for (let i = 0; i < entries.length; i++) {
    size += entryBytes(entries[i]!);
    if (size > maxBytes && i > 0) return entries.slice(0, i);
  }
  return entries;
}
