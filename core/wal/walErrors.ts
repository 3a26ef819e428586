// Typed errors of the write-ahead log: the expected failures callers can react to. Bugs are
// assertions (core/raft/assert.ts), never these.

/** Base class so callers can catch every expected WAL failure at once. */
export class WalError extends Error {
  override readonly name: string = 'WalError';
}

/**
 * A record before the tail of the log failed its length or checksum check, or the segment's
 * structure is wrong. The WAL refuses to open rather than drop data: a human must look.
 */
export class WalCorruptionError extends WalError {
  override readonly name = 'WalCorruptionError';
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`WAL corrupted in ${file} at byte offset ${offset}: ${reason}`);
  }
}

/** A segment is missing from the sequence, or the log no longer reaches back to the snapshot. */
export class WalGapError extends WalError {
  override readonly name = 'WalGapError';
}

/** `Wal.open` was given a snapshot whose marker the WAL does not hold (or holds with another term). */
export class WalSnapshotNotFoundError extends WalError {
  override readonly name = 'WalSnapshotNotFoundError';
}

/** `Wal.create` found an existing WAL, or `Wal.open` found none. */
export class WalExistsError extends WalError {
  override readonly name = 'WalExistsError';
}
export class WalNotFoundError extends WalError {
  override readonly name = 'WalNotFoundError';
}

/** A record would exceed `recordPayloadBytesMax`; nothing of the save was written. */
export class WalRecordTooLargeError extends WalError {
  override readonly name = 'WalRecordTooLargeError';
}

/**
 * The WAL was closed, or an earlier write or fsync failed. After a failed fsync the kernel may have
 * dropped dirty pages, so no later write can be trusted: every pending and future save rejects.
 */
export class WalClosedError extends WalError {
  override readonly name = 'WalClosedError';
}

/** Another live process (or another open Wal in this one) holds the WAL directory's lock. */
export class WalLockedError extends WalError {
  override readonly name = 'WalLockedError';
}
