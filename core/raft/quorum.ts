// Quorum arithmetic as pure functions over a voter list: the highest index a majority has
// reached, and the outcome of an election. Learners never appear here; callers pass voters only.

import { assert } from './assert.js';
import type { NodeId } from './types.js';

/** How many votes of `voterCount` make a majority. */
export function majority(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

/**
 * The largest value that at least a majority of `voters` have reached, where `valueOf` gives a
 * voter's value (e.g. its match index). With no voters, returns `Infinity` (nothing constrains).
 */
export function quorumValue(voters: readonly NodeId[], valueOf: (id: NodeId) => number): number {
  const n = voters.length;
  if (n === 0) return Infinity;
  // Insertion sort, descending: clusters are small, and this runs on every acknowledgement.
  const values = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const value = valueOf(voters[i]!);
    let j = i;
    while (j > 0 && values[j - 1]! < value) {
      values[j] = values[j - 1]!;
      j--;
    }
    values[j] = value;
  }
  return values[majority(n) - 1]!;
}

export type VoteResult = 'won' | 'lost' | 'pending';

/** The election outcome given the votes received so far (true = granted). */
export function voteResult(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  assert(voters.length > 0, 'an election needs voters');
  let granted = 0;
  let rejected = 0;
  for (const id of voters) {
    const vote = votes.get(id);
    if (vote === true) granted++;
    else if (vote === false) rejected++;
  }
  const needed = majority(voters.length);
  if (granted >= needed) return 'won';
  if (voters.length - rejected < needed) return 'lost';
  return 'pending';
}

/** Whether a majority of `voters` satisfy `isActive`. */
export function quorumActive(voters: readonly NodeId[], isActive: (id: NodeId) => boolean): boolean {
  let active = 0;
  for (const id of voters) if (isActive(id)) active++;
  return active >= majority(voters.length);
}
