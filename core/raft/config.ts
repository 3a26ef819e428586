// The settings a Raft node is created with, their defaults and the named limits of core/raft.
// Validation failures are programming errors (asserts): configuration comes from code, not users.

import { assert } from './assert.js';
import type { RandomSource } from './random.js';
import type { Storage } from './storage.js';
import type { Index, NodeId } from './types.js';

/** How a node is set up. Only id, ticks, storage and random are required. */
export interface RaftConfig {
  readonly id: NodeId;
  /** T: a follower that hears nothing for a random [T, 2T) ticks starts an election. */
  readonly electionTicks: number;
  /** The leader sends heartbeats every this many ticks. Invariant: below electionTicks. */
  readonly heartbeatTicks: number;
  readonly storage: Storage;
  /** The source of election timeout jitter (seeded, so runs replay). */
  readonly random: RandomSource;
  /** The last index the application applied before this start (0: from the snapshot). */
  readonly applied?: Index;
  /** Ask for pre-votes before disrupting the cluster with a new term (thesis §9.6). */
  readonly preVote?: boolean;
  /** Leaders step down without a majority in touch; followers honour a leader lease. */
  readonly checkQuorum?: boolean;
  /** Bound on the entry bytes of one append message (one entry always fits). */
  readonly maxSizePerMsgBytes?: number;
  /** Bound on append messages in flight to one follower while replicating. */
  readonly maxInflightMsgs?: number;
  /** Bound on the committed entry bytes handed out in one Ready. */
  readonly maxCommittedSizePerReadyBytes?: number;
  /** Followers drop proposals instead of forwarding them to the leader. */
  readonly disableProposalForwarding?: boolean;
}

/** Default bound on the entry bytes of one append message. */
export const messageBytesMaxDefault = 1024 * 1024;
/** Default bound on in-flight appends per follower. */
export const inflightMessagesMaxDefault = 256;
/** Default bound on committed entry bytes per Ready. */
export const readyCommittedBytesMaxDefault = 64 * 1024 * 1024;
/**
 * A learner may be promoted only when its log is within this many entries of the leader's last
 * index, so promotion never adds a voter that would stall commits while it catches up.
 */
export const promoteLearnerLagEntriesMax = 128;
/** Bound on reads held by a new leader until it commits an entry of its own term. */
export const deferredReadsMax = 4096;

/** The configuration with every default filled in. */
export interface ResolvedConfig {
  readonly id: NodeId;
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly storage: Storage;
  readonly random: RandomSource;
  readonly applied: Index | null;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly messageBytesMax: number;
  readonly inflightMessagesMax: number;
  readonly readyCommittedBytesMax: number;
  readonly disableProposalForwarding: boolean;
}

/** Fills in defaults and checks the settings (a bad setting is a programming error). */
export function resolveConfig(config: RaftConfig): ResolvedConfig {
  assert(config.id.length > 0, 'a node id is not empty');
  assert(Number.isInteger(config.heartbeatTicks) && config.heartbeatTicks > 0, 'heartbeatTicks > 0');
  assert(Number.isInteger(config.electionTicks), 'electionTicks is an integer');
  assert(config.electionTicks > config.heartbeatTicks, 'electionTicks exceeds heartbeatTicks');
  const resolved: ResolvedConfig = {
    id: config.id,
    electionTicks: config.electionTicks,
    heartbeatTicks: config.heartbeatTicks,
    storage: config.storage,
    random: config.random,
    applied: config.applied ?? null,
    preVote: config.preVote ?? false,
    checkQuorum: config.checkQuorum ?? false,
    messageBytesMax: config.maxSizePerMsgBytes ?? messageBytesMaxDefault,
    inflightMessagesMax: config.maxInflightMsgs ?? inflightMessagesMaxDefault,
    readyCommittedBytesMax: config.maxCommittedSizePerReadyBytes ?? readyCommittedBytesMaxDefault,
    disableProposalForwarding: config.disableProposalForwarding ?? false,
  };
  assert(resolved.messageBytesMax > 0, 'maxSizePerMsgBytes > 0');
  assert(resolved.inflightMessagesMax > 0, 'maxInflightMsgs > 0');
  assert(resolved.readyCommittedBytesMax > 0, 'maxCommittedSizePerReadyBytes > 0');
  return resolved;
}
