// The Raft state machine of one node: term, vote, role, log and membership, driven by tick() and
// step(). Owns elections (§5.2, pre-vote and leader lease of thesis §9.6) and the rules common to
// every role; leader.ts and follower.ts hold the role-specific handlers. Produces messages and
// read states for RaftNode to hand out; performs no I/O.

import { assert } from './assert.js';
import { applyChange, decodeConfChange, isMember } from './confChange.js';
import type { ConfChange } from './confChange.js';
import { resolveConfig } from './config.js';
import type { RaftConfig, ResolvedConfig } from './config.js';
import { ConfChangeRefusedError, ProposalDroppedError } from './errors.js';
import type { RaftError } from './errors.js';
import { stepCandidate, stepFollower } from './follower.js';
import {
  bcastAppend,
  bcastHeartbeat,
  leaderPropose,
  leaderReadIndex,
  releaseDeferredReads,
  stepLeader,
} from './leader.js';
import type { Message, MessageType } from './message.js';
import { Progress } from './progress.js';
import { quorumActive, quorumValue, voteResult } from './quorum.js';
import { RaftLog } from './raftLog.js';
import { ReadIndexQueue } from './readIndexQueue.js';
import { index, term } from './types.js';
import type { ConfState, Entry, HardState, Index, NodeId, Term } from './types.js';

/** A node's role. Exactly one leader per term (§5.2). */
export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader';

/** The volatile state an application may want to observe (not persisted). */
export interface SoftState {
  readonly leader: NodeId | null;
  readonly role: Role;
}

/** A confirmed ReadIndex: once `index` is applied, reads for `context` are linearizable. */
export interface ReadState {
  readonly index: Index;
  readonly context: Uint8Array;
}

/** Optional message fields; the rest default to zero values. */
export interface MessageFields {
  readonly logTerm?: Term;
  readonly index?: Index;
  readonly entries?: readonly Entry[];
  readonly commit?: Index;
  readonly reject?: boolean;
  readonly rejectHint?: Index;
  readonly snapshot?: Message['snapshot'];
  readonly context?: Uint8Array | undefined;
}

type CampaignKind = 'preElection' | 'election' | 'transfer';

const noEntries: readonly Entry[] = [];
const zeroIndex = index(0);
const zeroTerm = term(0);
/** The vote context that tells voters to ignore their leader lease (a leader transfer). */
const transferContext = new TextEncoder().encode('campaignTransfer');

function isTransferContext(context: Uint8Array | undefined): boolean {
  if (context === undefined || context.length !== transferContext.length) return false;
  for (let i = 0; i < context.length; i++) if (context[i] !== transferContext[i]) return false;
  return true;
}

/**
 * One node's Raft state. Internal to core/raft: applications use RaftNode.
 * Invariants: `role === 'leader'` implies `lead === id`; `vote` is the only vote cast in `term`.
 */
export class Raft {
  readonly id: NodeId;
  readonly config: ResolvedConfig;
  readonly log: RaftLog;
  term: Term = term(0);
  vote: NodeId | null = null;
  lead: NodeId | null = null;
  role: Role = 'follower';
  conf: ConfState;
  /** Per-member replication state; meaningful on the leader. Invariant: keys = members. */
  progress = new Map<NodeId, Progress>();
  votes = new Map<NodeId, boolean>();
  msgs: Message[] = [];
  readStates: ReadState[] = [];
  electionElapsed = 0;
  heartbeatElapsed = 0;
  randomizedElectionTimeout = 0;
  leadTransferee: NodeId | null = null;
  /** The index of the latest conf change entry the leader appended (or its last index at start). */
  pendingConfIndex: Index = index(0);
  reads = new ReadIndexQueue();
  /** Reads held by a new leader until it commits an entry of its own term (thesis §6.4). */
  deferredReads: { from: NodeId; context: Uint8Array }[] = [];

  constructor(config: RaftConfig) {
    this.config = resolveConfig(config);
    this.id = this.config.id;
    this.log = new RaftLog(this.config.storage, this.config.readyCommittedBytesMax);
    const { hardState, confState } = this.config.storage.initialState();
    this.conf = confState;
    if (hardState.term > 0 || hardState.commit > 0 || hardState.vote !== null) this.loadHardState(hardState);
    if (this.config.applied !== null) this.log.appliedTo(this.config.applied);
    this.becomeFollower(this.term, null);
  }

  private loadHardState(hardState: HardState): void {
    assert(hardState.commit >= this.log.committed, 'hard state commit is not below the snapshot');
    assert(hardState.commit <= this.log.lastIndex(), 'hard state commit is within the log');
    this.log.committed = hardState.commit;
    this.term = hardState.term;
    this.vote = hardState.vote;
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  softState(): SoftState {
    return { leader: this.lead, role: this.role };
  }

  /** Queues a message; stamps the current term except where the caller set one. */
  send(type: MessageType, to: NodeId, fields: MessageFields, messageTerm: Term = this.term): void {
    this.msgs.push({
      type,
      from: this.id,
      to,
      term: messageTerm,
      logTerm: fields.logTerm ?? zeroTerm,
      index: fields.index ?? zeroIndex,
      entries: fields.entries ?? noEntries,
      commit: fields.commit ?? zeroIndex,
      reject: fields.reject ?? false,
      rejectHint: fields.rejectHint ?? zeroIndex,
      snapshot: fields.snapshot,
      context: fields.context,
    });
  }

  /** Asks the leader to transfer leadership to `transferee` (the message names it as sender). */
  requestTransfer(transferee: NodeId): void {
    assert(this.lead !== null, 'a transfer request goes to a known leader');
    this.send('transferLeader', this.lead, {});
    const request = this.msgs.pop()!;
    this.msgs.push({ ...request, from: transferee });
  }

  /** Re-addresses a message to `to` without changing its content (forwarding). */
  forward(m: Message, to: NodeId): void {
    this.msgs.push({ ...m, to });
  }

  // ---- time -------------------------------------------------------------------------------

  tick(): void {
    if (this.role === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.hup(false);
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.config.electionTicks) {
      this.electionElapsed = 0;
      if (this.config.checkQuorum) this.checkQuorum();
      if (this.role === 'leader' && this.leadTransferee !== null) this.leadTransferee = null;
    }
    if (this.role !== 'leader') return;
    if (this.heartbeatElapsed >= this.config.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      bcastHeartbeat(this, this.reads.nextRound());
    }
  }

  /** A leader that has not heard from a majority within an election timeout steps down. */
  private checkQuorum(): void {
    const active = quorumActive(
      this.conf.voters,
      (id) => id === this.id || this.progress.get(id)?.recentActive === true,
    );
    if (!active) this.becomeFollower(this.term, null);
    for (const [id, pr] of this.progress) if (id !== this.id) pr.recentActive = false;
  }

  // ---- roles ------------------------------------------------------------------------------

  /** Whether this node may start an election: it is a voter and not installing a snapshot. */
  promotable(): boolean {
    return this.conf.voters.includes(this.id) && !this.log.hasPendingSnapshot();
  }

  private reset(newTerm: Term): void {
    if (newTerm !== this.term) {
      this.term = newTerm;
      this.vote = null;
    }
    this.lead = null;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout =
      this.config.electionTicks + this.config.random.nextInt(this.config.electionTicks);
    this.leadTransferee = null;
    this.votes = new Map();
    this.resetProgress();
    this.pendingConfIndex = index(0);
    this.reads = new ReadIndexQueue();
    this.deferredReads = [];
  }

  private resetProgress(): void {
    const last = this.log.lastIndex();
    this.progress = new Map();
    const inflightMax = this.config.inflightMessagesMax;
    const next = index(last + 1);
    for (const id of this.conf.voters) this.progress.set(id, new Progress(next, inflightMax, false));
    for (const id of this.conf.learners) this.progress.set(id, new Progress(next, inflightMax, true));
    const self = this.progress.get(this.id);
    if (self !== undefined) self.match = last;
  }

  becomeFollower(newTerm: Term, lead: NodeId | null): void {
    this.reset(newTerm);
    this.lead = lead;
    this.role = 'follower';
  }

  private becomePreCandidate(): void {
    assert(this.role !== 'leader', 'a leader never becomes a pre-candidate');
    this.votes = new Map();
    this.lead = null;
    this.role = 'preCandidate';
  }

  private becomeCandidate(): void {
    assert(this.role !== 'leader', 'a leader never becomes a candidate');
    this.reset(term(this.term + 1));
    this.vote = this.id;
    this.role = 'candidate';
  }

  becomeLeader(): void {
    assert(this.role === 'candidate', 'only a candidate becomes leader');
    this.reset(this.term);
    this.lead = this.id;
    this.role = 'leader';
    const self = this.progress.get(this.id);
    assert(self !== undefined, 'a leader is a member');
    self.becomeReplicate();
    self.recentActive = true;
    // Conservatively treat any conf change in the uncommitted tail as pending.
    this.pendingConfIndex = this.log.lastIndex();
    // §5.4.2: a new leader commits entries of earlier terms only through one of its own.
    this.appendEntries([{ term: zeroTerm, index: zeroIndex, type: 'normal', data: new Uint8Array(0) }]);
  }

  // ---- elections --------------------------------------------------------------------------

  /** Starts an election (or a pre-vote) if this node may. `transfer` skips pre-vote and leases. */
  hup(transfer: boolean): void {
    if (this.role === 'leader') return;
    if (!this.promotable()) return;
    if (this.hasUnappliedConfChanges()) return;
    if (transfer) this.campaign('transfer');
    else this.campaign(this.config.preVote ? 'preElection' : 'election');
  }

  private hasUnappliedConfChanges(): boolean {
    if (this.log.committed <= this.log.applied) return false;
    const entries = this.log.slice(index(this.log.applied + 1), index(this.log.committed + 1), Infinity);
    if (entries === null) return false;
    for (const entry of entries) if (entry.type === 'confChange') return true;
    return false;
  }

  private campaign(kind: CampaignKind): void {
    let voteType: MessageType;
    let voteTerm: Term;
    if (kind === 'preElection') {
      this.becomePreCandidate();
      voteType = 'preVote';
      voteTerm = term(this.term + 1);
    } else {
      this.becomeCandidate();
      voteType = 'vote';
      voteTerm = this.term;
    }
    this.votes.set(this.id, true);
    if (voteResult(this.conf.voters, this.votes) === 'won') {
      if (kind === 'preElection') this.campaign('election');
      else this.becomeLeader();
      return;
    }
    const lastIndex = this.log.lastIndex();
    const lastTerm = this.log.lastTerm();
    const context = kind === 'transfer' ? transferContext : undefined;
    for (const voter of this.conf.voters) {
      if (voter === this.id) continue;
      this.send(voteType, voter, { index: lastIndex, logTerm: lastTerm, context }, voteTerm);
    }
  }

  /** Records a (pre-)vote response and acts on the outcome. */
  poll(from: NodeId, granted: boolean): void {
    if (!this.votes.has(from)) this.votes.set(from, granted);
    const result = voteResult(this.conf.voters, this.votes);
    if (result === 'won') {
      if (this.role === 'preCandidate') {
        this.campaign('election');
      } else {
        this.becomeLeader();
        bcastAppend(this);
      }
    } else if (result === 'lost') {
      this.becomeFollower(this.term, null);
    }
  }

  private handleVoteRequest(m: Message): void {
    const responseType: MessageType = m.type === 'vote' ? 'voteResp' : 'preVoteResp';
    // §5.2 one vote per term; a pre-vote for a future term promises nothing.
    const canVote =
      this.vote === m.from ||
      (this.vote === null && this.lead === null) ||
      (m.type === 'preVote' && m.term > this.term);
    if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
      this.send(responseType, m.from, {}, m.term);
      if (m.type === 'vote') {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send(responseType, m.from, { reject: true }, this.term);
    }
  }

  // ---- messages ---------------------------------------------------------------------------

  /** Handles a message from the network (or a forwarded proposal/read with term 0). */
  step(m: Message): void {
    if (m.term === 0) {
      if (m.type === 'prop') this.propose(m.entries);
      else if (m.type === 'readIndex') this.readIndex(m.from, m.context ?? new Uint8Array(0));
      return;
    }
    if (m.term > this.term) {
      if (m.type === 'vote' || m.type === 'preVote') {
        const inLease =
          this.config.checkQuorum && this.lead !== null && this.electionElapsed < this.config.electionTicks;
        // Thesis §9.6: a node that heard from a leader recently ignores disruptive candidates.
        if (inLease && !isTransferContext(m.context)) return;
      }
      if (m.type === 'preVote' || (m.type === 'preVoteResp' && !m.reject)) {
        // A pre-vote never changes terms; a granted pre-vote comes back with the future term.
      } else if (m.type === 'app' || m.type === 'heartbeat' || m.type === 'snapshot') {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, null);
      }
    } else if (m.term < this.term) {
      if ((this.config.checkQuorum || this.config.preVote) && (m.type === 'heartbeat' || m.type === 'app')) {
        // Tell a stale leader about the newer term so it steps down (it may otherwise be stuck).
        this.send('appResp', m.from, {});
      } else if (m.type === 'preVote') {
        this.send('preVoteResp', m.from, { reject: true });
      }
      return;
    }
    if (m.type === 'vote' || m.type === 'preVote') {
      this.handleVoteRequest(m);
      return;
    }
    switch (this.role) {
      case 'leader':
        stepLeader(this, m);
        return;
      case 'candidate':
      case 'preCandidate':
        stepCandidate(this, m);
        return;
      case 'follower':
        stepFollower(this, m);
        return;
    }
  }

  /**
   * Appends proposed entries on the leader or forwards them to it. Returns the refusal, if any
   * (a local caller throws it; a forwarded proposal is dropped silently and the client retries).
   */
  propose(entries: readonly Entry[]): RaftError | null {
    assert(entries.length > 0, 'a proposal carries entries');
    if (this.role === 'leader') return leaderPropose(this, entries);
    if (this.lead === null || this.role !== 'follower') return new ProposalDroppedError('noLeader');
    if (this.config.disableProposalForwarding) return new ProposalDroppedError('forwardingDisabled');
    this.send('prop', this.lead, { entries }, zeroTerm);
    return null;
  }

  /** Starts a ReadIndex on the leader or forwards it. Returns the refusal, if any. */
  readIndex(from: NodeId, context: Uint8Array): RaftError | null {
    if (this.role === 'leader') return leaderReadIndex(this, from, context);
    if (this.lead === null || this.role !== 'follower') return new ProposalDroppedError('noLeader');
    this.send('readIndex', this.lead, { context }, zeroTerm);
    return null;
  }

  // ---- log and commit ---------------------------------------------------------------------

  /** The leader appends entries of its term (re-created with their final term and index). */
  appendEntries(proposed: readonly Entry[]): void {
    const first = this.log.lastIndex() + 1;
    const entries = new Array<Entry>(proposed.length);
    for (let i = 0; i < proposed.length; i++) {
      const p = proposed[i]!;
      entries[i] = { term: this.term, index: index(first + i), type: p.type, data: p.data };
    }
    const last = this.log.append(entries);
    this.progress.get(this.id)!.maybeUpdate(last);
    // No follower holds the new entries yet, so only a single-voter cluster can commit them now.
    if (this.conf.voters.length === 1) this.maybeCommit();
  }

  /** §5.3/§5.4.2: commit the highest index a majority of voters match, if it is of this term. */
  maybeCommit(): boolean {
    const matched = quorumValue(this.conf.voters, (id) => this.progress.get(id)?.match ?? 0);
    if (!Number.isFinite(matched)) return false;
    if (!this.log.maybeCommit(index(matched), this.term)) return false;
    releaseDeferredReads(this);
    return true;
  }

  committedEntryInCurrentTerm(): boolean {
    return this.log.term(this.log.committed) === this.term;
  }

  /**
   * Whether stepping snapshot message `m` now would replace the log with it: it is not stale, its
   * index is past our commit, and our log does not already hold its last entry. The application
   * installs a snapshot's state only then; otherwise its state would go back in time.
   */
  wouldRestore(m: Message): boolean {
    if (m.type !== 'snapshot' || m.snapshot === undefined || m.term < this.term) return false;
    if (m.term === this.term && this.role === 'leader') return false;
    const meta = m.snapshot.meta;
    return meta.index > this.log.committed && !this.log.matchTerm(meta.index, meta.term);
  }

  /** Replaces the log with a snapshot if it is news (§7). Returns whether it was installed. */
  restore(snapshot: Message['snapshot']): boolean {
    if (snapshot === undefined) return false;
    const meta = snapshot.meta;
    if (meta.index <= this.log.committed) return false;
    assert(this.role === 'follower', 'only a follower installs a snapshot');
    if (this.log.matchTerm(meta.index, meta.term)) {
      this.log.commitTo(meta.index);
      return false;
    }
    this.log.restore(snapshot);
    this.conf = meta.conf;
    this.resetProgress();
    return true;
  }

  // ---- membership -------------------------------------------------------------------------

  /**
   * Applies a committed conf change (called by the application when it applies the entry).
   * A change that does not apply to the current configuration leaves it unchanged — the same on
   * every member, since all apply the same log. Returns the configuration in force.
   */
  applyConfChange(change: ConfChange): ConfState {
    let next: ConfState;
    try {
      next = applyChange(this.conf, change);
    } catch (error) {
      if (error instanceof ConfChangeRefusedError) return this.conf;
      throw error;
    }
    this.switchToConf(next);
    return next;
  }

  private switchToConf(conf: ConfState): void {
    this.conf = conf;
    const last = this.log.lastIndex();
    for (const [id, pr] of this.progress) {
      if (!isMember(conf, id)) this.progress.delete(id);
      else pr.isLearner = conf.learners.includes(id);
    }
    const inflightMax = this.config.inflightMessagesMax;
    for (const id of conf.voters) {
      if (!this.progress.has(id)) this.progress.set(id, new Progress(index(last + 1), inflightMax, false));
    }
    for (const id of conf.learners) {
      if (!this.progress.has(id)) this.progress.set(id, new Progress(index(last + 1), inflightMax, true));
    }
    if (this.role !== 'leader') return;
    if (!conf.voters.includes(this.id)) {
      // A removed leader steps down; the remaining voters elect a successor.
      this.becomeFollower(this.term, null);
      return;
    }
    if (this.leadTransferee !== null && !conf.voters.includes(this.leadTransferee)) {
      this.leadTransferee = null;
    }
    if (this.maybeCommit()) bcastAppend(this);
    else bcastAppend(this, false);
  }

  /** Decodes a conf change entry (the leader validates proposals with it). */
  static decodeConfEntry(entry: Entry): ConfChange {
    return decodeConfChange(entry.data);
  }
}
