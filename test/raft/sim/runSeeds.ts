// Runs a slice of simulator seeds for one test file. RAFT_SEED=n replays one seed; RAFT_SEEDS=n
// sets how many seeds the whole suite runs (split across the simulation test files).

import { InvariantViolation } from './invariants.js';
import { Simulation } from './simulation.js';
import type { SimulationStats } from './simStats.js';

/** Seeds the suite runs by default, split across `simulationFiles` test files. */
export const defaultSeedCount = 2000;
export const simulationFiles = 4;

/** The seeds file number `part` (0-based) runs. */
export function seedsFor(part: number): number[] {
  const single = process.env['RAFT_SEED'];
  if (single !== undefined && single !== '') return [Number(single)];
  const total = Number(process.env['RAFT_SEEDS'] ?? defaultSeedCount);
  const seeds: number[] = [];
  for (let seed = part; seed < total; seed += simulationFiles) seeds.push(seed);
  return seeds;
}

/** Runs one seed; on failure throws an error naming the seed and the command that replays it. */
export function runSeed(seed: number, file: string): SimulationStats {
  try {
    return new Simulation({ seed }).run();
  } catch (error) {
    const replay = `RAFT_SEED=${seed} npx vitest run ${file}`;
    const what = error instanceof InvariantViolation ? 'invariant violated' : 'crashed';
    const message = error instanceof Error ? error.message : String(error);
    const failure = new Error(`seed ${seed} ${what}: ${message}\n  replay: ${replay}`);
    failure.stack = `${failure.message}\n${error instanceof Error ? error.stack : ''}`;
    throw failure;
  }
}
