// The not-yet-durable tail of the log: entries (and at most one incoming snapshot) that Raft has
// accepted but the application has not yet persisted. Handed out in a Ready and dropped here once
// the application acknowledges them with advance(). The durable part lives behind Storage.

import { assert } from './assert.js';
import { index } from './types.js';
import type { Entry, Index, Snapshot, Term } from './types.js';

const noEntries: readonly Entry[] = Object.freeze([]);

/**
 * Invariant: `entries[i].index === offset + i`; if `snapshot` is set, `offset` is at most
 * `snapshot.meta.index + 1`.
 */
export class UnstableLog {
  snapshot: Snapshot | null = null;
  entries: Entry[] = [];
  offset: Index;
  /** Set when `entries` was handed out in a Ready: the next append copies instead of mutating. */
  private lent = false;

  constructor(offset: Index) {
    this.offset = offset;
  }

  /** The first index if a snapshot is pending (the log restarts after it), else null. */
  maybeFirstIndex(): Index | null {
    return this.snapshot === null ? null : index(this.snapshot.meta.index + 1);
  }

  maybeLastIndex(): Index | null {
    if (this.entries.length > 0) return index(this.offset + this.entries.length - 1);
    return this.snapshot === null ? null : this.snapshot.meta.index;
  }

  maybeTerm(i: Index): Term | null {
    if (i < this.offset) {
      if (this.snapshot !== null && this.snapshot.meta.index === i) return this.snapshot.meta.term;
      return null;
    }
    const entry = this.entries[i - this.offset];
    return entry === undefined ? null : entry.term;
  }

  /** The entries to persist, shared (not copied) until the next append. */
  lend(): readonly Entry[] {
    // An empty array is never lent: a later append would grow the Ready's entries in place.
    if (this.entries.length === 0) return noEntries;
    this.lent = true;
    return this.entries;
  }

  /** Entries up to (i, t) are durable now; forget them unless they were replaced meanwhile. */
  stableTo(i: Index, t: Term): void {
    const found = this.maybeTerm(i);
    if (found === null || found !== t || i < this.offset) return;
    this.entries = this.entries.slice(i + 1 - this.offset);
    this.lent = false;
    this.offset = index(i + 1);
  }

  stableSnapTo(i: Index): void {
    if (this.snapshot !== null && this.snapshot.meta.index === i) this.snapshot = null;
  }

  restore(snapshot: Snapshot): void {
    this.offset = index(snapshot.meta.index + 1);
    this.entries = [];
    this.lent = false;
    this.snapshot = snapshot;
  }

  /** Appends entries, replacing any unstable entries at or after the first new index. */
  truncateAndAppend(newEntries: readonly Entry[]): void {
    if (newEntries.length === 0) return;
    const after = newEntries[0]!.index;
    if (after === this.offset + this.entries.length) {
      if (this.lent) this.unlend();
      for (const entry of newEntries) this.entries.push(entry);
    } else if (after <= this.offset) {
      this.offset = after;
      this.entries = newEntries.slice();
      this.lent = false;
    } else {
      this.entries = this.entries.slice(0, after - this.offset);
      this.lent = false;
      for (const entry of newEntries) this.entries.push(entry);
    }
  }

  private unlend(): void {
    this.entries = this.entries.slice();
    this.lent = false;
  }

  /** Entries in [lo, hi) cut to `maxBytes` by the caller's slicer. Invariant: within range. */
  assertRange(lo: Index, hi: Index): void {
    assert(lo >= this.offset, 'unstable slice starts at or after the offset');
    assert(hi <= this.offset + this.entries.length, 'unstable slice ends within the entries');
  }
}
