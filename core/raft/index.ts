// The public surface of core/raft: the node, its Ready, storage, messages, membership changes,
// errors and the seeded random source. Everything else in this folder is internal.

export { RaftNode } from './raftNode.js';
export type { Ready } from './raftNode.js';
export type { ReadState, Role, SoftState } from './raft.js';
export type { RaftConfig } from './config.js';
export {
  deferredReadsMax,
  inflightMessagesMaxDefault,
  messageBytesMaxDefault,
  promoteLearnerLagEntriesMax,
  readyCommittedBytesMaxDefault,
} from './config.js';
export type { RaftStatus, PeerStatus } from './status.js';
export type { ProgressState } from './progress.js';
export { messageTypes } from './message.js';
export type { Message, MessageType } from './message.js';
export type { InitialState, Storage } from './storage.js';
export { entryBytes } from './storage.js';
export { MemoryStorage } from './memoryStorage.js';
export {
  applyChange,
  confChangeTypes,
  decodeConfChange,
  encodeConfChange,
  ConfChangeDecodeError,
} from './confChange.js';
export type { ConfChange, ConfChangeType } from './confChange.js';
export {
  CompactedError,
  ConfChangeRefusedError,
  ProposalDroppedError,
  RaftError,
  SnapshotOutOfDateError,
  TransferRefusedError,
  UnavailableError,
} from './errors.js';
export type { ConfChangeRefusalReason, ProposalDropReason, TransferRefusalReason } from './errors.js';
export { Random } from './random.js';
export type { RandomSource } from './random.js';
export { majority, quorumValue, voteResult } from './quorum.js';
export { pendingReadsMax } from './readIndexQueue.js';
export * from './types.js';
