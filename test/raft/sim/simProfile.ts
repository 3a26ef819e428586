// The fault profile and node settings of one simulator run, drawn from its seed so that runs
// differ widely (cluster size, loss, delay, reordering, duplication, crash and partition rates,
// message size and in-flight limits, pre-vote and check-quorum on or off).

import type { Random } from '../../../core/raft/index.js';

export interface SimProfile {
  readonly size: 3 | 5;
  readonly lossRate: number;
  readonly duplicateRate: number;
  readonly delayTicksMax: number;
  readonly reorderRate: number;
  readonly crashRate: number;
  readonly partitionRate: number;
  readonly confChangeRate: number;
  /** Chance that a newly elected leader is cut off at once (leaving a divergent tail behind). */
  readonly newLeaderIsolationRate: number;
  readonly snapshotEveryEntries: number;
  readonly heartbeatTicks: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly messageBytesMax: number;
  readonly inflightMax: number;
}

export function drawProfile(r: Random): SimProfile {
  return {
    size: r.chance(0.5) ? 3 : 5,
    lossRate: r.pick([0, 0.02, 0.05, 0.1, 0.2]),
    duplicateRate: r.pick([0, 0.02, 0.05]),
    delayTicksMax: r.pick([1, 2, 4, 8]),
    reorderRate: r.pick([0, 0.05, 0.2]),
    crashRate: r.pick([0, 0.01, 0.02, 0.04]),
    partitionRate: r.pick([0, 0.01, 0.02, 0.04]),
    confChangeRate: r.pick([0, 0.01, 0.02]),
    newLeaderIsolationRate: r.pick([0, 0.1, 0.3]),
    snapshotEveryEntries: r.pick([8, 20, 50]),
    heartbeatTicks: r.pick([1, 2, 3]),
    preVote: r.chance(0.75),
    checkQuorum: r.chance(0.75),
    messageBytesMax: r.pick([1, 64, 256, 4096]),
    inflightMax: r.pick([1, 2, 8, 64]),
  };
}
