// An in-memory Storage: the application's cache of what it has made durable (the server fills it
// from the WAL on start and keeps it in step with every Ready it persists). Owns the persisted
// entries, hard state and latest snapshot; knows nothing about disks.

import { assert } from './assert.js';
import { CompactedError, SnapshotOutOfDateError, UnavailableError } from './errors.js';
import { sliceWithinBytes } from './storage.js';
import type { InitialState, Storage } from './storage.js';
import { index, term } from './types.js';
import type { ConfState, Entry, HardState, Index, Snapshot, Term } from './types.js';

const emptyConf: ConfState = { voters: [], learners: [] };
const emptyHardState: HardState = { term: term(0), vote: null, commit: index(0) };

/**
 * Persisted Raft state in memory. Invariant: `entries` holds consecutive indexes starting right
 * after `compactedIndex`, and `compactedIndex <= snapshotValue.meta.index` (the snapshot covers
 * everything compacted away).
 */
export class MemoryStorage implements Storage {
  private hardStateValue: HardState = emptyHardState;
  private snapshotValue: Snapshot;
  private entriesValue: Entry[] = [];
  private compactedIndex: Index = index(0);
  private compactedTerm: Term = term(0);

  constructor(conf: ConfState = emptyConf) {
    this.snapshotValue = {
      meta: { index: index(0), term: term(0), conf },
      data: new Uint8Array(0),
    };
  }

  /**
   * Storage for a member of a brand-new cluster: a snapshot at index 1, term 1 holding the
   * initial membership, so members added later always receive that membership in a snapshot.
   */
  static bootstrap(conf: ConfState): MemoryStorage {
    const storage = new MemoryStorage(conf);
    storage.snapshotValue = { meta: { index: index(1), term: term(1), conf }, data: new Uint8Array(0) };
    storage.compactedIndex = index(1);
    storage.compactedTerm = term(1);
    storage.hardStateValue = { term: term(1), vote: null, commit: index(1) };
    return storage;
  }

  initialState(): InitialState {
    return { hardState: this.hardStateValue, confState: this.snapshotValue.meta.conf };
  }

  hardState(): HardState {
    return this.hardStateValue;
  }

  setHardState(hardState: HardState): void {
    this.hardStateValue = hardState;
  }

  private offset(): number {
    return this.compactedIndex;
  }

  firstIndex(): Index {
    return index(this.offset() + 1);
  }

  lastIndex(): Index {
    return index(this.offset() + this.entriesValue.length);
  }

  term(i: Index): Term {
    const offset = this.offset();
    if (i < offset) throw new CompactedError(i);
    if (i === offset) return this.compactedTerm;
    const entry = this.entriesValue[i - offset - 1];
    if (entry === undefined) throw new UnavailableError(i);
    return entry.term;
  }

  entries(lo: Index, hi: Index, maxBytes: number): readonly Entry[] {
    const offset = this.offset();
    if (lo <= offset) throw new CompactedError(lo);
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1);
    assert(lo <= hi, 'entries takes lo <= hi');
    return sliceWithinBytes(this.entriesValue, lo - offset - 1, hi - offset - 1, maxBytes);
  }

  snapshot(): Snapshot {
    return this.snapshotValue;
  }

  /**
   * Appends entries, replacing any existing entries from the first new index on (a conflicting
   * suffix is truncated). Entries below the first index are ignored (already compacted).
   * Invariant: the first new entry is at most lastIndex() + 1.
   */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const lastNew = entries[entries.length - 1]!.index;
    if (lastNew < first) return;
    let from = 0;
    if (entries[0]!.index < first) from = first - entries[0]!.index;
    const start = entries[from]!.index;
    assert(start <= this.lastIndex() + 1, 'appended entries leave no gap in the log');
    const keep = start - this.offset() - 1;
    if (keep < this.entriesValue.length) this.entriesValue.length = keep;
    for (let i = from; i < entries.length; i++) this.entriesValue.push(entries[i]!);
  }

  /**
   * Replaces the whole log with a snapshot received from the leader.
   * Throws SnapshotOutOfDateError if it is older than the current snapshot.
   */
  applySnapshot(snapshot: Snapshot): void {
    const current = this.snapshotValue.meta.index;
    if (snapshot.meta.index < current) throw new SnapshotOutOfDateError(snapshot.meta.index, current);
    this.snapshotValue = snapshot;
    this.entriesValue = [];
    this.compactedIndex = snapshot.meta.index;
    this.compactedTerm = snapshot.meta.term;
  }

  /**
   * Records a snapshot of the application's state at applied index `i` (with the membership at
   * that index), keeping the log. Throws SnapshotOutOfDateError if `i` is not newer than the
   * current snapshot, UnavailableError if beyond the last index.
   */
  createSnapshot(i: Index, conf: ConfState, data: Uint8Array): Snapshot {
    const current = this.snapshotValue.meta.index;
    if (i <= current) throw new SnapshotOutOfDateError(i, current);
    if (i > this.lastIndex()) throw new UnavailableError(i);
    this.snapshotValue = { meta: { index: i, term: this.term(i), conf }, data };
    return this.snapshotValue;
  }

  /**
   * Discards entries up to and including `compactIndex`, which must be covered by the snapshot
   * (create one first). Throws CompactedError if already compacted past it.
   */
  compact(compactIndex: Index): void {
    const offset = this.offset();
    if (compactIndex <= offset) throw new CompactedError(compactIndex);
    assert(compactIndex <= this.snapshotValue.meta.index, 'compaction is covered by the snapshot');
    assert(compactIndex <= this.lastIndex(), 'compact stays within the log');
    const compactedTerm = this.term(compactIndex);
    this.entriesValue = this.entriesValue.slice(compactIndex - offset);
    this.compactedIndex = compactIndex;
    this.compactedTerm = compactedTerm;
  }
}
