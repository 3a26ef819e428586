// Seeded whole-cluster simulation, part 1 of 4 (the suite's seeds are split across four files so
// they run in parallel). Every step is checked for Raft's safety properties; each seed ends with
// a liveness check once faults stop. A failure names its seed and the command that replays it.

import { describe, expect, it } from 'vitest';
import { runSeed, seedsFor } from './sim/runSeeds.js';

const file = 'test/raft/simulation-1.test.ts';
const seeds = seedsFor(0);
/** Seeds per test case: enough to amortise overhead, few enough to localise a failure. */
const seedsPerCase = 50;

describe('a simulated cluster under loss, delay, reordering, duplication, partitions and crashes', () => {
  for (let start = 0; start < seeds.length; start += seedsPerCase) {
    const chunk = seeds.slice(start, start + seedsPerCase);
    it(`stays safe and recovers for seeds ${chunk[0]}..${chunk[chunk.length - 1]}`, () => {
      for (const seed of chunk) {
        const stats = runSeed(seed, file);
        expect(stats.leadersElected).toBeGreaterThan(0);
      }
    });
  }
});
