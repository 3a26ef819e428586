// What a leader does with messages: replication with per-follower flow control (§5.3), commit
// by majority match (§5.4.2), heartbeats that carry ReadIndex rounds (thesis §6.4), snapshots
// for followers behind the log's start (§7), proposal admission (including the single pending
// conf change rule) and leader transfer (thesis §3.10).

import { applyChange, decodeConfChange, ConfChangeDecodeError } from './confChange.js';
import { deferredReadsMax, promoteLearnerLagEntriesMax } from './config.js';
import { ConfChangeRefusedError, ProposalDroppedError } from './errors.js';
import type { RaftError } from './errors.js';
import type { Message } from './message.js';
import type { Progress } from './progress.js';
import type { Raft } from './raft.js';
import { encodeRound, decodeRound } from './readIndexQueue.js';
import { index } from './types.js';
import type { Entry, Index, NodeId } from './types.js';

/** Handles a current-term message from a member as the leader; others are ignored. */
export function stepLeader(r: Raft, m: Message): void {
  const pr = r.progress.get(m.from);
  if (pr === undefined) return;
  switch (m.type) {
    case 'appResp':
      handleAppendResponse(r, m, pr);
      return;
    case 'heartbeatResp':
      handleHeartbeatResponse(r, m, pr);
      return;
    case 'transferLeader':
      startTransfer(r, m.from, pr);
      return;
    default:
      return;
  }
}

/** Admits proposed entries: refusals are returned, never thrown. */
export function leaderPropose(r: Raft, entries: readonly Entry[]): RaftError | null {
  if (!r.progress.has(r.id)) return new ProposalDroppedError('removedFromCluster');
  if (r.leadTransferee !== null) return new ProposalDroppedError('leaderTransferring');
  let pendingConfIndex = r.pendingConfIndex;
  for (let i = 0; i < entries.length; i++) {
    if (entries[i]!.type !== 'confChange') continue;
    const refusal = checkConfChange(r, entries[i]!, pendingConfIndex);
    if (refusal !== null) return refusal;
    pendingConfIndex = index(r.log.lastIndex() + i + 1);
  }
  r.pendingConfIndex = pendingConfIndex;
  r.appendEntries(entries);
  bcastAppend(r);
  return null;
}

function checkConfChange(r: Raft, entry: Entry, pendingConfIndex: Index): RaftError | null {
  if (pendingConfIndex > r.log.applied) {
    return new ConfChangeRefusedError('changePending', 'a configuration change is not yet applied');
  }
  let change;
  try {
    change = decodeConfChange(entry.data);
    applyChange(r.conf, change);
  } catch (error) {
    if (error instanceof ConfChangeRefusedError) return error;
    if (error instanceof ConfChangeDecodeError) return new ConfChangeRefusedError('notMember', error.message);
    throw error;
  }
  if (change.type === 'promoteLearner') {
    const match = r.progress.get(change.nodeId)?.match ?? 0;
    const lag = r.log.lastIndex() - match;
    if (lag > promoteLearnerLagEntriesMax) {
      return new ConfChangeRefusedError(
        'learnerBehind',
        `learner ${change.nodeId} is ${lag} entries behind (at most ${promoteLearnerLagEntriesMax})`,
      );
    }
  }
  return null;
}

function handleAppendResponse(r: Raft, m: Message, pr: Progress): void {
  pr.recentActive = true;
  if (m.reject) {
    // Fast back-off: skip to where the follower's log could match, a term at a time.
    let hint = m.rejectHint;
    if (m.logTerm > 0) hint = r.log.findConflictByTerm(m.rejectHint, m.logTerm).index;
    if (pr.maybeDecreaseTo(m.index, hint)) {
      if (pr.state === 'replicate') pr.becomeProbe();
      sendAppend(r, m.from);
    }
    return;
  }
  const wasPaused = pr.isPaused();
  if (!pr.maybeUpdate(m.index)) return;
  if (pr.state === 'probe') {
    pr.becomeReplicate();
  } else if (pr.state === 'snapshot' && pr.match + 1 >= r.log.firstIndex()) {
    pr.becomeProbe();
    pr.becomeReplicate();
  } else if (pr.state === 'replicate') {
    pr.inflights.freeLE(m.index);
  }
  if (r.maybeCommit()) bcastAppend(r);
  else if (wasPaused) sendAppend(r, m.from);
  while (maybeSendAppend(r, m.from, false)) {
    // Fill the in-flight window.
  }
  if (m.from === r.leadTransferee && pr.match === r.log.lastIndex()) sendTimeoutNow(r, m.from);
}

function handleHeartbeatResponse(r: Raft, m: Message, pr: Progress): void {
  pr.recentActive = true;
  pr.probeSent = false;
  // A full window may be waiting for replies that were lost: free a slot so replication moves.
  if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirstOne();
  if (pr.match < r.log.lastIndex()) sendAppend(r, m.from);
  const round = decodeRound(m.context);
  if (round === 0) return;
  const confirmed = r.reads.acknowledge(m.from, round, r.conf.voters, r.id);
  for (const read of confirmed) respondRead(r, read.from, read.context, read.index);
  if (r.reads.needsRound()) bcastHeartbeat(r, r.reads.nextRound());
}

/** Queues a read; a leader without a commit in its term defers it until it has one. */
export function leaderReadIndex(r: Raft, from: NodeId, context: Uint8Array): RaftError | null {
  if (r.conf.voters.length === 1 && r.conf.voters[0] === r.id) {
    respondRead(r, from, context, r.log.committed);
    return null;
  }
  if (!r.committedEntryInCurrentTerm()) {
    if (r.deferredReads.length >= deferredReadsMax) return new ProposalDroppedError('noLeader');
    r.deferredReads.push({ from, context });
    return null;
  }
  const round = r.reads.add(from, context, r.log.committed);
  if (round < 0) return new ProposalDroppedError('noLeader');
  if (round > 0) bcastHeartbeat(r, round);
  return null;
}

/** Starts confirming reads deferred until the first commit of this term. */
export function releaseDeferredReads(r: Raft): void {
  if (r.deferredReads.length === 0 || !r.committedEntryInCurrentTerm()) return;
  const deferred = r.deferredReads;
  r.deferredReads = [];
  for (const read of deferred) leaderReadIndex(r, read.from, read.context);
}

function respondRead(r: Raft, from: NodeId, context: Uint8Array, readIndex: Index): void {
  if (from === r.id) r.readStates.push({ index: readIndex, context });
  else r.send('readIndexResp', from, { index: readIndex, context });
}

function startTransfer(r: Raft, transferee: NodeId, pr: Progress): void {
  if (pr.isLearner) return;
  if (r.leadTransferee !== null) {
    if (r.leadTransferee === transferee) return;
    r.leadTransferee = null;
  }
  if (transferee === r.id) return;
  // The transfer must finish within an election timeout, or it is abandoned.
  r.electionElapsed = 0;
  r.leadTransferee = transferee;
  if (pr.match === r.log.lastIndex()) sendTimeoutNow(r, transferee);
  else sendAppend(r, transferee);
}

/** Leader side of a transfer request made on this node. */
export function leaderTransfer(r: Raft, to: NodeId): void {
  const pr = r.progress.get(to);
  if (pr !== undefined) startTransfer(r, to, pr);
}

function sendTimeoutNow(r: Raft, to: NodeId): void {
  r.send('timeoutNow', to, {});
}

/** Sends the next append to `to` (an empty one if there is nothing new), flow control allowing. */
export function sendAppend(r: Raft, to: NodeId): void {
  maybeSendAppend(r, to, true);
}

/**
 * Sends the next append (or a snapshot when the entries are compacted) to `to` unless its flow
 * control says wait. Returns whether a message was sent.
 */
export function maybeSendAppend(r: Raft, to: NodeId, sendIfEmpty: boolean): boolean {
  const pr = r.progress.get(to);
  if (pr === undefined || pr.isPaused()) return false;
  const prevIndex = index(pr.next - 1);
  const prevTerm = r.log.term(prevIndex);
  let entries: readonly Entry[] | null = null;
  if (prevTerm !== null) {
    const windowFull = pr.state === 'replicate' && pr.inflights.full();
    entries = windowFull ? [] : r.log.entriesFrom(pr.next, r.config.messageBytesMax);
  }
  if (prevTerm === null || entries === null) return sendSnapshot(r, to, pr);
  if (entries.length === 0 && !sendIfEmpty) return false;
  r.send('app', to, { index: prevIndex, logTerm: prevTerm, entries, commit: r.log.committed });
  pr.sentEntries(entries.length);
  return true;
}

function sendSnapshot(r: Raft, to: NodeId, pr: Progress): boolean {
  if (!pr.recentActive) return false;
  const snapshot = r.log.snapshot();
  pr.becomeSnapshot(snapshot.meta.index);
  r.send('snapshot', to, { snapshot });
  return true;
}

/** Sends appends to every other member (`sendIfEmpty` false: only where there is news). */
export function bcastAppend(r: Raft, sendIfEmpty = true): void {
  for (const id of r.progress.keys()) {
    if (id !== r.id) maybeSendAppend(r, id, sendIfEmpty);
  }
}

/** Sends heartbeats to every other member, carrying read round `round` when non-zero. */
export function bcastHeartbeat(r: Raft, round: number): void {
  const context = round > 0 ? encodeRound(round) : undefined;
  for (const [id, pr] of r.progress) {
    if (id === r.id) continue;
    // A follower may not yet hold entries past its match: never vouch for more.
    const commit = index(Math.min(pr.match, r.log.committed));
    r.send('heartbeat', id, { commit, context });
  }
}

/** The application reports that `to` could not be reached: fall back to probing. */
export function reportUnreachable(r: Raft, to: NodeId): void {
  const pr = r.progress.get(to);
  if (pr !== undefined && pr.state === 'replicate') pr.becomeProbe();
}

/** The application reports how sending a snapshot to `to` ended. */
export function reportSnapshot(r: Raft, to: NodeId, succeeded: boolean): void {
  const pr = r.progress.get(to);
  if (pr === undefined || pr.state !== 'snapshot') return;
  if (!succeeded) pr.pendingSnapshot = index(0);
  pr.becomeProbe();
  // Wait for the follower's next heartbeat response before probing again.
  pr.probeSent = true;
}
