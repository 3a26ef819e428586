// The leader's pending linearizable reads (ReadIndex, Raft thesis §6.4), batched by heartbeat
// round: a read is confirmed once a majority acknowledged a heartbeat round started after the read
// arrived, so any number of reads pending together are confirmed by a single round. Knows nothing
// of messages; the leader broadcasts rounds and feeds acknowledgements in.

import { quorumValue } from './quorum.js';
import type { Index, NodeId } from './types.js';

/** A read waiting for confirmation: who asked, with what context, at which commit index. */
export interface PendingRead {
  readonly from: NodeId;
  readonly context: Uint8Array;
  readonly index: Index;
  /** The first heartbeat round whose majority acknowledgement confirms this read. */
  readonly round: number;
}

/** Bound on reads pending at the leader; beyond it new reads are dropped (clients retry). */
export const pendingReadsMax = 4096;

/**
 * Invariant: `pending` is ordered by `round`, and every round is at most `roundSent + 1`.
 */
export class ReadIndexQueue {
  private pending: PendingRead[] = [];
  private readonly acks = new Map<NodeId, number>();
  /** The last round broadcast. */
  roundSent = 0;
  /** The highest round a majority acknowledged. */
  private roundConfirmed = 0;

  get size(): number {
    return this.pending.length;
  }

  /**
   * Queues a read at commit index `index`. Returns the round to broadcast now, or 0 when a round
   * is already in flight (the read then rides on the next one, started when that one confirms).
   * Returns -1 when the queue is full and the read was dropped.
   */
  add(from: NodeId, context: Uint8Array, index: Index): number {
    if (this.pending.length >= pendingReadsMax) return -1;
    if (this.roundSent > this.roundConfirmed) {
      this.pending.push({ from, context, index, round: this.roundSent + 1 });
      return 0;
    }
    this.roundSent++;
    this.pending.push({ from, context, index, round: this.roundSent });
    return this.roundSent;
  }

  /** Starts a new round if reads are waiting for one. Returns its number, or 0. */
  nextRound(): number {
    if (this.pending.length === 0) return 0;
    this.roundSent++;
    return this.roundSent;
  }

  /**
   * Records that `from` acknowledged `round`; returns the reads now confirmed by a majority of
   * `voters` (the leader, `self`, acknowledges every round it sends), oldest first.
   */
  acknowledge(from: NodeId, round: number, voters: readonly NodeId[], self: NodeId): PendingRead[] {
    if (round > this.roundSent) return [];
    if ((this.acks.get(from) ?? 0) < round) this.acks.set(from, round);
    const confirmed = quorumValue(voters, (id) => (id === self ? this.roundSent : (this.acks.get(id) ?? 0)));
    if (confirmed <= this.roundConfirmed) return [];
    this.roundConfirmed = Math.min(confirmed, this.roundSent);
    let count = 0;
    while (count < this.pending.length && this.pending[count]!.round <= this.roundConfirmed) count++;
    if (count === 0) return [];
    const done = this.pending.slice(0, count);
    this.pending = this.pending.slice(count);
    return done;
  }

  /** Whether reads wait for a round that has not been broadcast yet. */
  needsRound(): boolean {
    const last = this.pending[this.pending.length - 1];
    return last !== undefined && last.round > this.roundSent;
  }
}

const roundBytes = 8;

/** A heartbeat context naming a read round. */
export function encodeRound(round: number): Uint8Array {
  const out = new Uint8Array(roundBytes);
  new DataView(out.buffer).setFloat64(0, round);
  return out;
}

/** The round named by a heartbeat context, or 0 when the context is not a round. */
export function decodeRound(context: Uint8Array | undefined): number {
  if (context === undefined || context.length !== roundBytes) return 0;
  const round = new DataView(context.buffer, context.byteOffset, roundBytes).getFloat64(0);
  return Number.isSafeInteger(round) && round > 0 ? round : 0;
}
