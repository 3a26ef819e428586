// Typed errors for the expected failures of the store and the lessor. Each carries etcd's message
// so the API edge can map `code` to a gRPC status without re-spelling the text; nothing here
// decides gRPC codes.

/** Codes of the store's expected failures; the API edge maps each to etcd's gRPC status. */
export type StoreErrorCode =
  | 'COMPACTED'
  | 'FUTURE_REVISION'
  | 'KEY_NOT_FOUND'
  | 'VALUE_PROVIDED'
  | 'LEASE_PROVIDED'
  | 'EMPTY_KEY'
  | 'KEY_TOO_LARGE'
  | 'DUPLICATE_KEY'
  | 'TOO_MANY_OPS'
  | 'NO_SPACE'
  | 'LEASE_NOT_FOUND'
  | 'LEASE_EXISTS'
  | 'LEASE_TTL_TOO_LARGE'
  | 'LEASE_NOT_PRIMARY'
  | 'EMPTY_WATCHER_RANGE';

/** Base of every expected store failure. */
export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
  }
  override get name(): string {
    return 'StoreError';
  }
}

/** A read or watch asked for a revision at or below the compacted one. */
export class CompactedError extends StoreError {
  constructor(readonly compactRevision: number) {
    super('COMPACTED', 'mvcc: required revision has been compacted');
  }
}

/** A read asked for a revision the store has not reached. */
export class FutureRevisionError extends StoreError {
  constructor() {
    super('FUTURE_REVISION', 'mvcc: required revision is a future revision');
  }
}

/** A put with ignoreValue or ignoreLease named a key that does not exist. */
export class KeyNotFoundError extends StoreError {
  constructor() {
    super('KEY_NOT_FOUND', 'etcdserver: key not found');
  }
}

/** A put set ignoreValue and also carried a value. */
export class ValueProvidedError extends StoreError {
  constructor() {
    super('VALUE_PROVIDED', 'etcdserver: value is provided');
  }
}

/** A put set ignoreLease and also carried a lease. */
export class LeaseProvidedError extends StoreError {
  constructor() {
    super('LEASE_PROVIDED', 'etcdserver: lease is provided');
  }
}

/** A request named the empty key. */
export class EmptyKeyError extends StoreError {
  constructor() {
    super('EMPTY_KEY', 'etcdserver: key is not provided');
  }
}

/** A key longer than the store's documented key limit (see `keyBytesMax`). */
export class KeyTooLargeError extends StoreError {
  constructor(
    readonly keyBytes: number,
    readonly keyBytesMax: number,
  ) {
    super('KEY_TOO_LARGE', `etcdserver: key is too large (${keyBytes} > ${keyBytesMax} bytes)`);
  }
}

/** A txn wrote the same key twice, or put a key that one of its deletes also covers. */
export class DuplicateKeyError extends StoreError {
  constructor() {
    super('DUPLICATE_KEY', 'etcdserver: duplicate key given in txn request');
  }
}

/** A txn carried more operations in one branch than `txnOpsMax`. */
export class TooManyOpsError extends StoreError {
  constructor() {
    super('TOO_MANY_OPS', 'etcdserver: too many operations in txn request');
  }
}

/** A write would exceed the backend quota, or the NOSPACE alarm is active. */
export class NoSpaceError extends StoreError {
  constructor() {
    super('NO_SPACE', 'etcdserver: mvcc: database space exceeded');
  }
}

/** A lease id that is not granted (or already revoked). */
export class LeaseNotFoundError extends StoreError {
  constructor(readonly leaseId: bigint) {
    super('LEASE_NOT_FOUND', 'etcdserver: requested lease not found');
  }
}

/** A grant named a lease id that is already granted. */
export class LeaseExistsError extends StoreError {
  constructor(readonly leaseId: bigint) {
    super('LEASE_EXISTS', 'etcdserver: lease already exists');
  }
}

/** A grant asked for a TTL above etcd's maximum. */
export class LeaseTtlTooLargeError extends StoreError {
  constructor() {
    super('LEASE_TTL_TOO_LARGE', 'etcdserver: too large lease TTL');
  }
}

/** A keep-alive or expiry question reached a member that is not the lease primary (leader). */
export class LeaseNotPrimaryError extends StoreError {
  constructor() {
    super('LEASE_NOT_PRIMARY', 'etcdserver: not primary');
  }
}

/** A watch whose range end does not sort after its key: it could never see a key. */
export class EmptyWatcherRangeError extends StoreError {
  constructor() {
    super('EMPTY_WATCHER_RANGE', 'mvcc: watcher range is empty');
  }
}
