// What followers and candidates do with messages: accept appends with the consistency check of
// §5.3 (answering rejections with a hint for fast back-off), heartbeats, snapshots (§7), count
// votes (§5.2), forward reads and transfers to the leader, and campaign on timeoutNow.

import type { Message } from './message.js';
import type { Raft } from './raft.js';
import { index } from './types.js';

/** Handles a current-term message as a follower (the leader's traffic resets the election timer). */
export function stepFollower(r: Raft, m: Message): void {
  switch (m.type) {
    case 'app':
      r.electionElapsed = 0;
      r.lead = m.from;
      handleAppendEntries(r, m);
      return;
    case 'heartbeat':
      r.electionElapsed = 0;
      r.lead = m.from;
      handleHeartbeat(r, m);
      return;
    case 'snapshot':
      r.electionElapsed = 0;
      r.lead = m.from;
      handleSnapshot(r, m);
      return;
    case 'transferLeader':
      if (r.lead !== null) r.forward(m, r.lead);
      return;
    case 'timeoutNow':
      r.hup(true);
      return;
    case 'readIndexResp':
      r.readStates.push({ index: m.index, context: m.context ?? new Uint8Array(0) });
      return;
    default:
      return;
  }
}

/** Handles a current-term message as a (pre-)candidate: a leader's traffic ends the campaign. */
export function stepCandidate(r: Raft, m: Message): void {
  switch (m.type) {
    case 'app':
      r.becomeFollower(m.term, m.from);
      handleAppendEntries(r, m);
      return;
    case 'heartbeat':
      r.becomeFollower(m.term, m.from);
      handleHeartbeat(r, m);
      return;
    case 'snapshot':
      r.becomeFollower(m.term, m.from);
      handleSnapshot(r, m);
      return;
    case 'voteResp':
      if (r.role === 'candidate') r.poll(m.from, !m.reject);
      return;
    case 'preVoteResp':
      if (r.role === 'preCandidate') r.poll(m.from, !m.reject);
      return;
    default:
      return;
  }
}

function handleAppendEntries(r: Raft, m: Message): void {
  if (m.index < r.log.committed) {
    r.send('appResp', m.from, { index: r.log.committed });
    return;
  }
  const lastNew = r.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
  if (lastNew !== null) {
    r.send('appResp', m.from, { index: lastNew });
    return;
  }
  // Point the leader at our last entry whose term is at most the probe's term.
  const hint = r.log.findConflictByTerm(index(Math.min(m.index, r.log.lastIndex())), m.logTerm);
  r.send('appResp', m.from, { index: m.index, reject: true, rejectHint: hint.index, logTerm: hint.term });
}

function handleHeartbeat(r: Raft, m: Message): void {
  r.log.commitTo(m.commit);
  r.send('heartbeatResp', m.from, { context: m.context });
}

function handleSnapshot(r: Raft, m: Message): void {
  if (r.restore(m.snapshot)) r.send('appResp', m.from, { index: r.log.lastIndex() });
  else r.send('appResp', m.from, { index: r.log.committed });
}
