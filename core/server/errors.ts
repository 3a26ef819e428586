// Typed errors for the member's expected failures: no leader, timeouts, requests too large,
// membership refusals, a stopped server. Each carries etcd's message; the API edge maps `code` to
// etcd's gRPC status. Store and lease failures are core/mvcc's StoreError.

export type ServerErrorCode =
  | 'NO_LEADER'
  | 'NOT_LEADER'
  | 'LEADER_CHANGED'
  | 'TIMEOUT'
  | 'TIMEOUT_LEADER_FAIL'
  | 'STOPPED'
  | 'REQUEST_TOO_LARGE'
  | 'TOO_MANY_REQUESTS'
  | 'TOO_MANY_OPS'
  | 'INVALID_ARGUMENT'
  | 'MEMBER_EXISTS'
  | 'PEER_URL_EXISTS'
  | 'MEMBER_NOT_FOUND'
  | 'MEMBER_BAD_URLS'
  | 'MEMBER_NOT_LEARNER'
  | 'LEARNER_NOT_READY'
  | 'TOO_MANY_LEARNERS'
  | 'NOT_ENOUGH_STARTED'
  | 'BAD_LEADER_TRANSFEREE'
  | 'NOT_SUPPORTED_FOR_LEARNER'
  | 'UNHEALTHY'
  | 'NOT_CAPABLE';

const messages: Record<ServerErrorCode, string> = {
  NO_LEADER: 'etcdserver: no leader',
  NOT_LEADER: 'etcdserver: not leader',
  LEADER_CHANGED: 'etcdserver: leader changed',
  TIMEOUT: 'etcdserver: request timed out',
  TIMEOUT_LEADER_FAIL: 'etcdserver: request timed out, possibly due to previous leader failure',
  STOPPED: 'etcdserver: server stopped',
  REQUEST_TOO_LARGE: 'etcdserver: request is too large',
  TOO_MANY_REQUESTS: 'etcdserver: too many requests',
  TOO_MANY_OPS: 'etcdserver: too many operations in txn request',
  INVALID_ARGUMENT: 'etcdserver: invalid argument',
  MEMBER_EXISTS: 'etcdserver: member ID already exist',
  PEER_URL_EXISTS: 'etcdserver: Peer URLs already exists',
  MEMBER_NOT_FOUND: 'etcdserver: member not found',
  MEMBER_BAD_URLS: 'etcdserver: given member URLs are invalid',
  MEMBER_NOT_LEARNER: 'etcdserver: can only promote a learner member',
  LEARNER_NOT_READY: 'etcdserver: can only promote a learner member which is in sync with leader',
  TOO_MANY_LEARNERS: 'etcdserver: too many learner members in cluster',
  NOT_ENOUGH_STARTED: 'etcdserver: re-configuration failed due to not enough started members',
  BAD_LEADER_TRANSFEREE: 'etcdserver: bad leader transferee',
  NOT_SUPPORTED_FOR_LEARNER: 'etcdserver: rpc not supported for learner',
  UNHEALTHY: 'etcdserver: unhealthy cluster',
  NOT_CAPABLE: 'etcdserver: not capable',
};

/** An expected failure of the member; `message` is etcd's text unless a detail replaces it. */
export class ServerError extends Error {
  override readonly name = 'ServerError';
  constructor(
    readonly code: ServerErrorCode,
    detail?: string,
  ) {
    super(detail ?? messages[code]);
  }
}
