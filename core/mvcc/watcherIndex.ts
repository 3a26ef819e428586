// Finds the watchers interested in a key: single-key watchers in a hash map, range watchers
// (prefix, from-key, [key, end)) in a list sorted by start with running maxima of range ends, so a
// lookup walks back from the last range starting at or before the key and stops as soon as no
// earlier range can reach it. Owns no watcher state beyond membership.
import { assert } from '../raft/assert.js';
import type { KeyRange } from './keyRange.js';

interface RangeEntry<W> {
  readonly start: Buffer;
  readonly end: Buffer | null;
  readonly watcher: W;
}

/** Compares range ends where null is +infinity. */
function endAbove(end: Buffer | null, key: Buffer): boolean {
  return end === null || Buffer.compare(end, key) > 0;
}

/** Membership index of watchers by the key range they watch. */
export class WatcherIndex<W> {
  private readonly single = new Map<string, Set<W>>();
  private readonly ranges = new Map<W, RangeEntry<W>>();
  private sorted: RangeEntry<W>[] = [];
  /** maxEnd[i] is the largest end among sorted[0..i] (null = unbounded). */
  private maxEnd: (Buffer | null)[] = [];
  private dirty = false;

  get size(): number {
    let total = this.ranges.size;
    for (const set of this.single.values()) total += set.size;
    return total;
  }

  add(range: KeyRange, watcher: W): void {
    if (range.single) {
      const id = range.start.toString('latin1');
      let set = this.single.get(id);
      if (set === undefined) this.single.set(id, (set = new Set()));
      set.add(watcher);
      return;
    }
    assert(!this.ranges.has(watcher), 'a watcher is indexed once');
    this.ranges.set(watcher, { start: range.start, end: range.end, watcher });
    this.dirty = true;
  }

  remove(range: KeyRange, watcher: W): void {
    if (range.single) {
      const id = range.start.toString('latin1');
      const set = this.single.get(id);
      set?.delete(watcher);
      if (set?.size === 0) this.single.delete(id);
      return;
    }
    if (this.ranges.delete(watcher)) this.dirty = true;
  }

  /** Every watcher whose range holds `key`. */
  match(key: Buffer, into: (watcher: W) => void): void {
    const set = this.single.get(key.toString('latin1'));
    if (set !== undefined) for (const watcher of set) into(watcher);
    if (this.ranges.size === 0) return;
    if (this.dirty) this.rebuild();
    let low = 0;
    let high = this.sorted.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (Buffer.compare(this.sorted[middle]!.start, key) <= 0) low = middle + 1;
      else high = middle;
    }
    for (let i = low - 1; i >= 0 && endAbove(this.maxEnd[i]!, key); i--) {
      const entry = this.sorted[i]!;
      if (endAbove(entry.end, key)) into(entry.watcher);
    }
  }

  private rebuild(): void {
    this.sorted = [...this.ranges.values()].sort((a, b) => Buffer.compare(a.start, b.start));
    this.maxEnd = [];
    let max: Buffer | null | undefined;
    for (const entry of this.sorted) {
      if (max === undefined || (max !== null && (entry.end === null || Buffer.compare(entry.end, max) > 0))) max = entry.end;
      this.maxEnd.push(max);
    }
    this.dirty = false;
  }
}
