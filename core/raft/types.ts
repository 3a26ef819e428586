// The vocabulary of Raft shared by core/raft, core/wal and core/server: indexes, terms, node ids,
// log entries, hard state and snapshot metadata. Pure data; no behaviour lives here.

/** A log position. Invariant: a non-negative integer below 2^53. 0 means "before the first entry". */
export type Index = number & { readonly __brand: 'Index' };
/** A Raft term. Invariant: a non-negative integer below 2^53. */
export type Term = number & { readonly __brand: 'Term' };
/**
 * A member's id. At the edges etcd speaks of 64-bit unsigned ids; inside Rafter they are the
 * lower-case hexadecimal spelling without leading zeros (as etcdctl prints them), so no precision
 * is ever lost and maps can key on them directly.
 */
export type NodeId = string & { readonly __brand: 'NodeId' };

export const index = (n: number): Index => n as Index;
export const term = (n: number): Term => n as Term;
export const nodeId = (s: string): NodeId => s as NodeId;

/**
 * `normal` entries carry application data (empty data marks a new leader's no-op);
 * `confChange` entries carry an encoded membership change (see core/raft's configuration module).
 */
export type EntryType = 'normal' | 'confChange';

export interface Entry {
  readonly term: Term;
  readonly index: Index;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** What must be on disk before any message that depends on it leaves the node. */
export interface HardState {
  readonly term: Term;
  /** The candidate this node voted for in `term`, if any. */
  readonly vote: NodeId | null;
  readonly commit: Index;
}

/** The cluster's membership. Invariant: voters and learners are disjoint. */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

export interface SnapshotMeta {
  readonly index: Index;
  readonly term: Term;
  readonly conf: ConfState;
}

/** A point-in-time image of the state machine; `data` is opaque to Raft. */
export interface Snapshot {
  readonly meta: SnapshotMeta;
  readonly data: Uint8Array;
}
