// A leader's view of one follower (modelled on etcd's tracker.Progress): how much of the log it
// is known to hold, what to send next, and the flow-control state (probe, replicate with a bounded
// window of in-flight appends, or waiting for a snapshot). Owns no messages; the leader decides.

import { assert } from './assert.js';
import { index } from './types.js';
import type { Index } from './types.js';

/**
 * `probe`: one append at a time until the follower's position is known; `replicate`: stream
 * appends optimistically within the in-flight window; `snapshot`: a snapshot is on its way.
 */
export type ProgressState = 'probe' | 'replicate' | 'snapshot';

/** A ring of the last index of each in-flight append. Invariant: `count <= capacity`. */
export class Inflights {
  private readonly buffer: number[];
  private start = 0;
  count = 0;

  constructor(readonly capacity: number) {
    assert(capacity > 0, 'the in-flight window holds at least one append');
    this.buffer = new Array<number>(capacity).fill(0);
  }

  full(): boolean {
    return this.count === this.capacity;
  }

  /** Records an append whose last entry is `last`. Invariant: not full, indexes increase. */
  add(last: Index): void {
    assert(!this.full(), 'cannot add to a full in-flight window');
    this.buffer[(this.start + this.count) % this.capacity] = last;
    this.count++;
  }

  /** Frees every append whose last index is at most `to` (they were acknowledged). */
  freeLE(to: Index): void {
    while (this.count > 0 && this.buffer[this.start]! <= to) {
      this.start = (this.start + 1) % this.capacity;
      this.count--;
    }
  }

  /** Frees the oldest in-flight append (its reply may be lost): lets a stalled window move. */
  freeFirstOne(): void {
    if (this.count === 0) return;
    this.start = (this.start + 1) % this.capacity;
    this.count--;
  }

  reset(): void {
    this.start = 0;
    this.count = 0;
  }
}

/**
 * Invariants: `match < next`; in `snapshot` state `pendingSnapshot > 0`.
 */
export class Progress {
  match: Index = index(0);
  next: Index;
  state: ProgressState = 'probe';
  /** In `snapshot` state, the index of the snapshot being sent. */
  pendingSnapshot: Index = index(0);
  /** Heard from since the last check-quorum round (or a new member). */
  recentActive = true;
  /** In `probe` state: an append is outstanding, so wait for a reply or heartbeat. */
  probeSent = false;
  readonly inflights: Inflights;

  constructor(
    next: Index,
    inflightMax: number,
    public isLearner: boolean,
  ) {
    this.next = next;
    this.inflights = new Inflights(inflightMax);
  }

  private resetState(state: ProgressState): void {
    this.probeSent = false;
    this.pendingSnapshot = index(0);
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      const pending = this.pendingSnapshot;
      this.resetState('probe');
      this.next = index(Math.max(this.match + 1, pending + 1));
    } else {
      this.resetState('probe');
      this.next = index(this.match + 1);
    }
  }

  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = index(this.match + 1);
  }

  becomeSnapshot(snapshotIndex: Index): void {
    this.resetState('snapshot');
    this.pendingSnapshot = snapshotIndex;
  }

  /** The follower holds the log up to `n`. Returns whether that is news. */
  maybeUpdate(n: Index): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.probeSent = false;
    }
    if (this.next < n + 1) this.next = index(n + 1);
    return updated;
  }

  /** Records an append of `count` entries starting at `next`. */
  sentEntries(count: number): void {
    if (this.state === 'replicate') {
      if (count > 0) {
        const last = index(this.next + count - 1);
        this.next = index(last + 1);
        this.inflights.add(last);
      }
    } else if (this.state === 'probe') {
      this.probeSent = true;
    } else {
      assert(false, 'no appends are sent while a snapshot is pending');
    }
  }

  /**
   * The follower rejected an append at `rejected`; `hint` is where its log could match. Returns
   * false when the rejection is stale (already accounted for).
   */
  maybeDecreaseTo(rejected: Index, hint: Index): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = index(this.match + 1);
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = index(Math.max(Math.min(rejected, hint + 1), this.match + 1));
    this.probeSent = false;
    return true;
  }

  /** Whether sending another append to this follower should wait. */
  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }
}
