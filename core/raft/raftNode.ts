// The application's handle on a Raft node (modelled on etcd's RawNode): feed it ticks and
// messages, take a Ready, do the I/O it asks for in its documented order, then advance(). All
// expected refusals surface here as typed errors thrown from the call that caused them.

import { assert } from './assert.js';
import { encodeConfChange } from './confChange.js';
import type { ConfChange } from './confChange.js';
import type { RaftConfig } from './config.js';
import { TransferRefusedError } from './errors.js';
import { leaderTransfer, reportSnapshot, reportUnreachable } from './leader.js';
import type { Message } from './message.js';
import { Raft } from './raft.js';
import type { ReadState, SoftState } from './raft.js';
import { statusOf } from './status.js';
import type { RaftStatus } from './status.js';
import { index, term } from './types.js';
import type { ConfState, Entry, HardState, NodeId, Snapshot } from './types.js';

/**
 * One batch of work for the application. Handle it in this order:
 * 1. `softState` — observe leader/role changes (informational);
 * 2. persist `snapshot` (if any), then append `entries`, then `hardState` — durably, before
 *    anything below (entries may replace a conflicting suffix of the durable log);
 * 3. send `messages` (only after step 2 is durable: they promise what was persisted);
 * 4. apply `snapshot` to the state machine, then `committedEntries` in order (calling
 *    applyConfChange for conf change entries);
 * 5. serve `readStates` once the applied index reaches their index;
 * 6. call advance(ready).
 */
export interface Ready {
  readonly softState: SoftState | null;
  readonly hardState: HardState | null;
  readonly entries: readonly Entry[];
  readonly snapshot: Snapshot | null;
  readonly messages: readonly Message[];
  readonly committedEntries: readonly Entry[];
  readonly readStates: readonly ReadState[];
  /** Whether step 2 must fsync (new entries, or a term/vote change). */
  readonly mustSync: boolean;
}

const noEntryTerm = term(0);
const noEntryIndex = index(0);

export class RaftNode {
  private readonly raft: Raft;
  private prevSoftState: SoftState;
  private prevHardState: HardState;
  /** A Ready was handed out and not yet advanced. */
  private readyOutstanding = false;

  constructor(config: RaftConfig) {
    this.raft = new Raft(config);
    this.prevSoftState = this.raft.softState();
    this.prevHardState = this.raft.hardState();
  }

  get id(): NodeId {
    return this.raft.id;
  }

  /** Advances logical time by one tick (elections and heartbeats are counted in ticks). */
  tick(): void {
    this.raft.tick();
  }

  /** Starts an election now (subject to pre-vote), if this node is a voter and not the leader. */
  campaign(): void {
    this.raft.hup(false);
  }

  /** Handles a message from a peer. Responses from non-members are ignored. */
  step(message: Message): void {
    const isResponse =
      message.type === 'appResp' ||
      message.type === 'heartbeatResp' ||
      message.type === 'voteResp' ||
      message.type === 'preVoteResp' ||
      message.type === 'readIndexResp';
    if (isResponse && !this.raft.progress.has(message.from) && message.type !== 'readIndexResp') return;
    this.raft.step(message);
  }

  /**
   * Proposes application data. Throws ProposalDroppedError (no leader known, leadership being
   * transferred, forwarding disabled, or this node removed). Acceptance is not commitment: the
   * entry may still be lost to a leader change; watch committed entries.
   */
  propose(data: Uint8Array): void {
    const refusal = this.raft.propose([
      { term: noEntryTerm, index: noEntryIndex, type: 'normal', data },
    ]);
    if (refusal !== null) throw refusal;
  }

  /**
   * Proposes several entries at once: one append and one round of messages for the whole batch
   * (the way a server should hand over proposals that queued up meanwhile). All or none are
   * accepted; refusals as for propose().
   */
  proposeBatch(batch: readonly Uint8Array[]): void {
    if (batch.length === 0) return;
    const entries = new Array<Entry>(batch.length);
    for (let i = 0; i < batch.length; i++) {
      entries[i] = { term: noEntryTerm, index: noEntryIndex, type: 'normal', data: batch[i]! };
    }
    const refusal = this.raft.propose(entries);
    if (refusal !== null) throw refusal;
  }

  /**
   * Proposes a membership change. Besides ProposalDroppedError, throws ConfChangeRefusedError on
   * the leader when another change is not yet applied, the change does not fit the current
   * configuration, or a promoted learner lags by more than `promoteLearnerLagEntriesMax`. On a
   * follower the change is forwarded and such refusals drop it silently.
   */
  proposeConfChange(change: ConfChange): void {
    const refusal = this.raft.propose([
      { term: noEntryTerm, index: noEntryIndex, type: 'confChange', data: encodeConfChange(change) },
    ]);
    if (refusal !== null) throw refusal;
  }

  /**
   * Requests a linearizable read point; the answer arrives as a ReadState carrying `context`.
   * Throws ProposalDroppedError when no leader is known (or too many reads are pending).
   */
  readIndex(context: Uint8Array): void {
    const refusal = this.raft.readIndex(this.raft.id, context);
    if (refusal !== null) throw refusal;
  }

  /**
   * Asks the leader to hand leadership to voter `to` (it catches `to` up, then tells it to
   * campaign at once; abandoned after an election timeout). Throws TransferRefusedError when
   * `to` is not a voter or no leader is known.
   */
  transferLeader(to: NodeId): void {
    const r = this.raft;
    if (!r.conf.voters.includes(to)) throw new TransferRefusedError('notVoter', `${to} is not a voter`);
    if (r.role === 'leader') {
      leaderTransfer(r, to);
      return;
    }
    if (r.lead === null) throw new TransferRefusedError('noLeader', 'no leader is known');
    r.requestTransfer(to);
  }

  /**
   * Whether stepping this snapshot message now would install it (a stale, old or already-held
   * snapshot is not installed). The application receives a snapshot's state before stepping its
   * message: it must swap that state in only when this says so, in the same turn as step().
   */
  wouldRestore(message: Message): boolean {
    return this.raft.wouldRestore(message);
  }

  /** Applies a committed conf change entry's change; returns the configuration now in force. */
  applyConfChange(change: ConfChange): ConfState {
    return this.raft.applyConfChange(change);
  }

  /** The transport could not deliver to `id`. */
  reportUnreachable(id: NodeId): void {
    if (this.raft.role === 'leader') reportUnreachable(this.raft, id);
  }

  /** Sending a snapshot to `id` finished (`succeeded` false: it failed and must be retried). */
  reportSnapshot(id: NodeId, succeeded: boolean): void {
    if (this.raft.role === 'leader') reportSnapshot(this.raft, id, succeeded);
  }

  hasReady(): boolean {
    const r = this.raft;
    if (r.msgs.length > 0 || r.readStates.length > 0) return true;
    if (r.log.unstable.entries.length > 0 || r.log.hasPendingSnapshot()) return true;
    if (r.log.hasNextCommittedEntries()) return true;
    const soft = this.prevSoftState;
    if (soft.leader !== r.lead || soft.role !== r.role) return true;
    const hard = this.prevHardState;
    return hard.term !== r.term || hard.vote !== r.vote || hard.commit !== r.log.committed;
  }

  /** The pending work; hand it back to advance() once done, before taking the next Ready. */
  ready(): Ready {
    assert(!this.readyOutstanding, 'advance() the previous Ready before taking another');
    this.readyOutstanding = true;
    const r = this.raft;
    const hard = this.prevHardState;
    const hardChanged = hard.term !== r.term || hard.vote !== r.vote || hard.commit !== r.log.committed;
    const soft = this.prevSoftState;
    const softChanged = soft.leader !== r.lead || soft.role !== r.role;
    const entries = r.log.unstableEntries();
    const ready: Ready = {
      softState: softChanged ? r.softState() : null,
      hardState: hardChanged ? r.hardState() : null,
      entries,
      snapshot: r.log.unstable.snapshot,
      messages: r.msgs,
      committedEntries: r.log.nextCommittedEntries(),
      readStates: r.readStates,
      mustSync: entries.length > 0 || hard.term !== r.term || hard.vote !== r.vote,
    };
    if (ready.softState !== null) this.prevSoftState = ready.softState;
    r.msgs = [];
    r.readStates = [];
    return ready;
  }

  /** Acknowledges that `ready` was persisted, sent and applied. */
  advance(ready: Ready): void {
    assert(this.readyOutstanding, 'advance() acknowledges a Ready that was taken');
    this.readyOutstanding = false;
    const log = this.raft.log;
    if (ready.hardState !== null) this.prevHardState = ready.hardState;
    const lastEntry = ready.entries[ready.entries.length - 1];
    if (lastEntry !== undefined) log.stableTo(lastEntry.index, lastEntry.term);
    if (ready.snapshot !== null) log.stableSnapTo(ready.snapshot.meta.index);
    const lastCommitted = ready.committedEntries[ready.committedEntries.length - 1];
    if (lastCommitted !== undefined) log.appliedTo(lastCommitted.index);
    else if (ready.snapshot !== null) log.appliedTo(ready.snapshot.meta.index);
  }

  /** A serialisable picture of this node. */
  status(): RaftStatus {
    return statusOf(this.raft);
  }

  /** Role, leader and term without building a full status. */
  softState(): SoftState & { readonly term: number } {
    return { leader: this.raft.lead, role: this.raft.role, term: this.raft.term };
  }
}
