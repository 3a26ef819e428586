// etcd's --strict-reconfig-check: the rules that refuse a membership change which would leave the
// cluster unable to reach a quorum. Pure functions over the voting members, which of them have
// started (published their name) and which the leader hears from; the leader asks them before
// proposing (clusterMembers.ts), and the flag turns them off. Learners never count towards quorum.
import type { NodeId } from '../raft/types.js';
import type { ServerErrorCode } from './errors.js';

/** The cluster as the checks see it. */
export interface ReconfigurationView {
  readonly self: NodeId;
  /** The voting members (learners excluded), this one included. */
  readonly voters: readonly { readonly id: NodeId; readonly started: boolean }[];
  /** Whether this member hears from `id` (always true for itself). */
  isActive(id: NodeId): boolean;
}

/** Why a change is refused: etcd's "not enough started members", or its "unhealthy cluster". */
export type ReconfigurationRefusal = Extract<ServerErrorCode, 'NOT_ENOUGH_STARTED' | 'UNHEALTHY'>;

function quorumOf(count: number): number {
  return Math.floor(count / 2) + 1;
}

/**
 * etcd's mayAddMember: a new voter must leave a quorum of started members (a member added to a
 * one-member cluster is allowed, to rebuild a cluster from one member), and every voter must be
 * active now, since the new one will not be at first.
 */
export function checkAddMember(view: ReconfigurationView, isLearner: boolean): ReconfigurationRefusal | null {
  if (!isLearner) {
    const members = view.voters.length + 1;
    const started = view.voters.filter((m) => m.started).length;
    if (!(started === 1 && members === 2) && started < quorumOf(members)) return 'NOT_ENOUGH_STARTED';
  }
  if (!view.voters.every((m) => view.isActive(m.id))) return 'UNHEALTHY';
  return null;
}

/**
 * etcd's mayRemoveMember: removing a learner or a member nobody hears from is always safe;
 * otherwise the remaining voters must hold a quorum of started members, and the active ones left
 * must still be a quorum of the current voters.
 */
export function checkRemoveMember(view: ReconfigurationView, id: NodeId): ReconfigurationRefusal | null {
  const target = view.voters.find((m) => m.id === id);
  if (!target) return null;
  const rest = view.voters.filter((m) => m.id !== id);
  if (rest.filter((m) => m.started).length < quorumOf(rest.length)) return 'NOT_ENOUGH_STARTED';
  if (id !== view.self && !view.isActive(id)) return null;
  const active = view.voters.filter((m) => view.isActive(m.id)).length;
  if (active - 1 < 1 + Math.floor((view.voters.length - 1) / 2)) return 'UNHEALTHY';
  return null;
}

/** etcd's mayPromoteMember (after its learner-in-sync check): the learner counts as started. */
export function checkPromoteMember(view: ReconfigurationView): ReconfigurationRefusal | null {
  const members = view.voters.length + 1;
  const started = view.voters.filter((m) => m.started).length + 1;
  return started < quorumOf(members) ? 'NOT_ENOUGH_STARTED' : null;
}
