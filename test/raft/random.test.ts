// The seeded generator: the same seed replays the same sequence, bounds hold, values spread.

import { describe, expect, it } from 'vitest';
import { Random } from '../../core/raft/index.js';

describe('Random', () => {
  it('replays the same sequence for the same seed and differs across seeds', () => {
    const a = new Random(42);
    const b = new Random(42);
    const c = new Random(43);
    const seqA = Array.from({ length: 100 }, () => a.nextUint32());
    expect(Array.from({ length: 100 }, () => b.nextUint32())).toEqual(seqA);
    expect(Array.from({ length: 100 }, () => c.nextUint32())).not.toEqual(seqA);
  });

  it('draws integers uniformly within [0, n)', () => {
    const random = new Random(7);
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) counts[random.nextInt(10)]!++;
    for (const count of counts) expect(Math.abs(count - 10_000)).toBeLessThan(600);
  });

  it('forks independent, reproducible streams', () => {
    const first = new Random(1).fork();
    const second = new Random(1).fork();
    expect(first.nextUint32()).toBe(second.nextUint32());
  });
});
