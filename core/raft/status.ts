// A plain, serialisable picture of a node for inspection (the console draws it, tests read it).
// Built on demand by RaftNode.status(); nothing here is live state.

import type { ProgressState } from './progress.js';
import type { Raft, Role } from './raft.js';
import type { ConfState, Index, NodeId, Term } from './types.js';

/** The leader's view of one member. */
export interface PeerStatus {
  readonly match: Index;
  readonly next: Index;
  readonly state: ProgressState;
  readonly inflight: number;
  readonly recentActive: boolean;
  readonly isLearner: boolean;
}

/** A node as the console shows it. Invariant: applied <= commit <= lastIndex. */
export interface RaftStatus {
  readonly id: NodeId;
  readonly term: Term;
  readonly vote: NodeId | null;
  readonly leader: NodeId | null;
  readonly role: Role;
  readonly commit: Index;
  readonly applied: Index;
  readonly lastIndex: Index;
  /** The index covered by the snapshot (first index - 1). */
  readonly snapshotIndex: Index;
  readonly conf: ConfState;
  readonly leadTransferee: NodeId | null;
  /** On the leader, each member's progress by id (including itself); null elsewhere. */
  readonly progress: Readonly<Record<string, PeerStatus>> | null;
}

/** Copies the state of `r` into plain data. */
export function statusOf(r: Raft): RaftStatus {
  let progress: Record<string, PeerStatus> | null = null;
  if (r.role === 'leader') {
    progress = {};
    for (const [id, pr] of r.progress) {
      progress[id] = {
        match: pr.match,
        next: pr.next,
        state: pr.state,
        inflight: pr.inflights.count,
        recentActive: pr.recentActive,
        isLearner: pr.isLearner,
      };
    }
  }
  return {
    id: r.id,
    term: r.term,
    vote: r.vote,
    leader: r.lead,
    role: r.role,
    commit: r.log.committed,
    applied: r.log.applied,
    lastIndex: r.log.lastIndex(),
    snapshotIndex: (r.log.firstIndex() - 1) as Index,
    conf: { voters: [...r.conf.voters], learners: [...r.conf.learners] },
    leadTransferee: r.leadTransferee,
    progress,
  };
}
