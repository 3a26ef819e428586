// What one simulator run did, for the test report and for checking that a run was meaningful.

/** Counters of one run. */
export interface SimulationStats {
  ticks: number;
  members: number;
  messagesDelivered: number;
  writesProposed: number;
  writesCommitted: number;
  readsServed: number;
  crashes: number;
  partitions: number;
  confChanges: number;
  transfers: number;
  snapshotsSent: number;
  leadersElected: number;
  maxCommittedIndex: number;
}

export function newStats(members: number): SimulationStats {
  return {
    ticks: 0,
    members,
    messagesDelivered: 0,
    writesProposed: 0,
    writesCommitted: 0,
    readsServed: 0,
    crashes: 0,
    partitions: 0,
    confChanges: 0,
    transfers: 0,
    snapshotsSent: 0,
    leadersElected: 0,
    maxCommittedIndex: 0,
  };
}
