// The one flat message shape exchanged between Raft nodes (modelled on etcd's raftpb.Message), so
// the transport can binary-encode every kind with one codec. Which fields matter depends on `type`;
// unused fields are zero, null-free and empty. Encoding is left to core/transport.

import type { Entry, Index, NodeId, Snapshot, Term } from './types.js';

/** Every message kind, in a fixed order (a codec may encode a kind as its position here). */
export const messageTypes = [
  'app',
  'appResp',
  'vote',
  'voteResp',
  'preVote',
  'preVoteResp',
  'heartbeat',
  'heartbeatResp',
  'snapshot',
  'prop',
  'readIndex',
  'readIndexResp',
  'timeoutNow',
  'transferLeader',
] as const;

export type MessageType = (typeof messageTypes)[number];

/**
 * A Raft message. `term` is the sender's term (0 for a proposal or read forwarded by a node
 * that does not stamp it). For `app`, `index`/`logTerm` name the entry preceding `entries`; for
 * `appResp`, `index` is the last index matched (or the rejected probe index with `reject`, in
 * which case `rejectHint`/`logTerm` point at the follower's last entry with a term at most the
 * probe's, so the leader can skip a whole term at once). Heartbeats carry a read round in
 * `context`. Receivers never mutate a message (the in-memory transport shares them).
 */
export interface Message {
  readonly type: MessageType;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: Term;
  readonly logTerm: Term;
  readonly index: Index;
  readonly entries: readonly Entry[];
  readonly commit: Index;
  readonly reject: boolean;
  readonly rejectHint: Index;
  readonly snapshot?: Snapshot | undefined;
  readonly context?: Uint8Array | undefined;
}

/** Whether a message of this type answers a vote or pre-vote request. */
export function isVoteResponse(type: MessageType): boolean {
  return type === 'voteResp' || type === 'preVoteResp';
}
