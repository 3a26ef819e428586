// The simulated network: messages in flight keyed by the tick they arrive at, and the set of
// blocked directed links (partitions, both ways or one way). Randomness comes from the caller's
// seeded generator so runs replay exactly.

import type { Message, NodeId, Random } from '../../../core/raft/index.js';

/** A message on its way, with the member that sent it (`from` may name a transfer target). */
export interface InFlight {
  readonly sender: NodeId;
  readonly message: Message;
}

export class SimNetwork {
  private readonly queues = new Map<number, InFlight[]>();
  private readonly blocked = new Set<string>();

  schedule(at: number, item: InFlight): void {
    let queue = this.queues.get(at);
    if (queue === undefined) {
      queue = [];
      this.queues.set(at, queue);
    }
    queue.push(item);
  }

  /** Removes and returns the messages due at `tick`, letting some overtake others. */
  takeDue(tick: number, random: Random, reorderRate: number): InFlight[] | null {
    const queue = this.queues.get(tick);
    this.queues.delete(tick);
    if (queue === undefined || queue.length === 0) return null;
    if (reorderRate > 0) {
      for (let i = 0; i < queue.length - 1; i++) {
        if (!random.chance(reorderRate)) continue;
        const j = i + 1 + random.nextInt(queue.length - i - 1);
        const t = queue[i]!;
        queue[i] = queue[j]!;
        queue[j] = t;
      }
    }
    return queue;
  }

  /** Drops every message in flight to `id` (its connections broke); returns them. */
  dropTo(id: NodeId): InFlight[] {
    const dropped: InFlight[] = [];
    for (const queue of this.queues.values()) {
      for (let i = queue.length - 1; i >= 0; i--) {
        if (queue[i]!.message.to !== id) continue;
        dropped.push(queue[i]!);
        queue.splice(i, 1);
      }
    }
    return dropped;
  }

  isBlocked(from: NodeId, to: NodeId): boolean {
    return this.blocked.has(`${from}>${to}`);
  }

  get partitioned(): boolean {
    return this.blocked.size > 0;
  }

  cut(from: NodeId, to: NodeId): void {
    if (from !== to) this.blocked.add(`${from}>${to}`);
  }

  isolate(id: NodeId, all: Iterable<NodeId>): void {
    for (const other of all) {
      this.cut(id, other);
      this.cut(other, id);
    }
  }

  /** Splits `ids` into two random sides that cannot talk to each other. */
  split(ids: readonly NodeId[], random: Random): void {
    const side = new Set(ids.filter(() => random.chance(0.5)));
    for (const a of ids) {
      for (const b of ids) if (side.has(a) !== side.has(b)) this.cut(a, b);
    }
  }

  heal(): void {
    this.blocked.clear();
  }
}
