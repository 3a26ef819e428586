// Typed errors for the expected refusals of core/raft: a proposal that cannot be accepted now, a
// configuration change that is not allowed, a leader transfer that cannot happen, and storage
// that cannot serve a range. Invariant violations are asserts, never these.

/** Base class of every expected failure raised by core/raft. */
export class RaftError extends Error {
  override readonly name: string = 'RaftError';
}

/** Why a proposal (or a forwarded read) was dropped rather than appended. */
export type ProposalDropReason =
  | 'noLeader'
  | 'leaderTransferring'
  | 'forwardingDisabled'
  | 'removedFromCluster';

/** A proposal was dropped: retrying later (after a leader is known) may succeed. */
export class ProposalDroppedError extends RaftError {
  override readonly name = 'ProposalDroppedError';
  constructor(readonly reason: ProposalDropReason) {
    super(`proposal dropped: ${proposalDropMessages[reason]}`);
  }
}

const proposalDropMessages: Record<ProposalDropReason, string> = {
  noLeader: 'no leader is known',
  leaderTransferring: 'leadership is being transferred',
  forwardingDisabled: 'this node is not the leader and proposal forwarding is disabled',
  removedFromCluster: 'this node is no longer a member',
};

/** Why a configuration change was refused. */
export type ConfChangeRefusalReason =
  | 'notLeader'
  | 'changePending'
  | 'learnerBehind'
  | 'alreadyVoter'
  | 'alreadyLearner'
  | 'notMember'
  | 'notLearner'
  | 'lastVoter';

/** A membership change was refused; the configuration is unchanged. */
export class ConfChangeRefusedError extends RaftError {
  override readonly name = 'ConfChangeRefusedError';
  constructor(
    readonly reason: ConfChangeRefusalReason,
    detail: string,
  ) {
    super(`configuration change refused (${reason}): ${detail}`);
  }
}

/** Why a leader transfer was refused. */
export type TransferRefusalReason = 'notVoter' | 'noLeader' | 'alreadyLeader';

/** A leader transfer was refused. */
export class TransferRefusedError extends RaftError {
  override readonly name = 'TransferRefusedError';
  constructor(
    readonly reason: TransferRefusalReason,
    detail: string,
  ) {
    super(`leader transfer refused (${reason}): ${detail}`);
  }
}

/** The requested index precedes the storage's first index (it was compacted into a snapshot). */
export class CompactedError extends RaftError {
  override readonly name = 'CompactedError';
  constructor(readonly requested: number) {
    super(`index ${requested} is compacted`);
  }
}

/** The requested index is beyond the storage's last index. */
export class UnavailableError extends RaftError {
  override readonly name = 'UnavailableError';
  constructor(readonly requested: number) {
    super(`index ${requested} is not yet available`);
  }
}

/** A snapshot older than the one the storage already holds. */
export class SnapshotOutOfDateError extends RaftError {
  override readonly name = 'SnapshotOutOfDateError';
  constructor(
    readonly requested: number,
    readonly current: number,
  ) {
    super(`snapshot at ${requested} is older than the current snapshot at ${current}`);
  }
}
