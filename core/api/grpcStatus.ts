// Maps core's typed errors to the gRPC status etcd answers with, so clients react to Rafter as they
// do to etcd (same code, same message). Anything unexpected becomes UNKNOWN with its message.
import { status } from '@grpc/grpc-js';
import { StoreError, type StoreErrorCode } from '../mvcc/errors.js';
import { ServerError, type ServerErrorCode } from '../server/errors.js';
import { DecodeError } from '../util/binary.js';
import { ElectionError, WaitCancelledError } from '../server/concurrency.js';
import { AuthError, type AuthErrorCode } from '../auth/errors.js';

export interface GrpcFailure {
  readonly code: status;
  readonly details: string;
}

/** A bad request detected at the API edge; `message` is etcd's text for it. */
export class InvalidRequestError extends Error {
  override readonly name = 'InvalidRequestError';
  constructor(
    message: string,
    readonly code: status = status.INVALID_ARGUMENT,
  ) {
    super(message);
  }
}

const storeCodes: Record<StoreErrorCode, status> = {
  COMPACTED: status.OUT_OF_RANGE,
  FUTURE_REVISION: status.OUT_OF_RANGE,
  KEY_NOT_FOUND: status.INVALID_ARGUMENT,
  VALUE_PROVIDED: status.INVALID_ARGUMENT,
  LEASE_PROVIDED: status.INVALID_ARGUMENT,
  EMPTY_KEY: status.INVALID_ARGUMENT,
  KEY_TOO_LARGE: status.INVALID_ARGUMENT,
  DUPLICATE_KEY: status.INVALID_ARGUMENT,
  TOO_MANY_OPS: status.INVALID_ARGUMENT,
  NO_SPACE: status.RESOURCE_EXHAUSTED,
  LEASE_NOT_FOUND: status.NOT_FOUND,
  LEASE_EXISTS: status.FAILED_PRECONDITION,
  LEASE_TTL_TOO_LARGE: status.OUT_OF_RANGE,
  LEASE_NOT_PRIMARY: status.UNAVAILABLE,
  EMPTY_WATCHER_RANGE: status.INVALID_ARGUMENT,
};

const serverCodes: Record<ServerErrorCode, status> = {
  NO_LEADER: status.UNAVAILABLE,
  NOT_LEADER: status.FAILED_PRECONDITION,
  LEADER_CHANGED: status.UNAVAILABLE,
  TIMEOUT: status.UNAVAILABLE,
  TIMEOUT_LEADER_FAIL: status.UNAVAILABLE,
  STOPPED: status.UNAVAILABLE,
  REQUEST_TOO_LARGE: status.INVALID_ARGUMENT,
  TOO_MANY_REQUESTS: status.RESOURCE_EXHAUSTED,
  TOO_MANY_OPS: status.INVALID_ARGUMENT,
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  MEMBER_EXISTS: status.FAILED_PRECONDITION,
  PEER_URL_EXISTS: status.FAILED_PRECONDITION,
  MEMBER_NOT_FOUND: status.NOT_FOUND,
  MEMBER_BAD_URLS: status.INVALID_ARGUMENT,
  MEMBER_NOT_LEARNER: status.FAILED_PRECONDITION,
  LEARNER_NOT_READY: status.FAILED_PRECONDITION,
  TOO_MANY_LEARNERS: status.FAILED_PRECONDITION,
  // etcd 3.4 maps ErrNotEnoughStartedMembers to no gRPC code, so etcdctl sees Unknown.
  NOT_ENOUGH_STARTED: status.UNKNOWN,
  BAD_LEADER_TRANSFEREE: status.FAILED_PRECONDITION,
  NOT_SUPPORTED_FOR_LEARNER: status.UNAVAILABLE,
  UNHEALTHY: status.UNAVAILABLE,
  NOT_CAPABLE: status.UNAVAILABLE,
};

/** etcd's codes for auth errors (rpctypes); NO_PASSWORD_USER and VERIFY_ONLY are unmapped in etcd 3.4, hence UNKNOWN. */
const authCodes: Record<AuthErrorCode, status> = {
  ROOT_USER_NOT_EXIST: status.FAILED_PRECONDITION,
  ROOT_ROLE_NOT_EXIST: status.FAILED_PRECONDITION,
  USER_ALREADY_EXIST: status.FAILED_PRECONDITION,
  USER_EMPTY: status.INVALID_ARGUMENT,
  USER_NOT_FOUND: status.FAILED_PRECONDITION,
  ROLE_ALREADY_EXIST: status.FAILED_PRECONDITION,
  ROLE_NOT_FOUND: status.FAILED_PRECONDITION,
  ROLE_EMPTY: status.INVALID_ARGUMENT,
  AUTH_FAILED: status.INVALID_ARGUMENT,
  NO_PASSWORD_USER: status.UNKNOWN,
  PERMISSION_NOT_GIVEN: status.INVALID_ARGUMENT,
  PERMISSION_DENIED: status.PERMISSION_DENIED,
  ROLE_NOT_GRANTED: status.FAILED_PRECONDITION,
  PERMISSION_NOT_GRANTED: status.FAILED_PRECONDITION,
  AUTH_NOT_ENABLED: status.FAILED_PRECONDITION,
  INVALID_AUTH_TOKEN: status.UNAUTHENTICATED,
  INVALID_AUTH_MGMT: status.INVALID_ARGUMENT,
  AUTH_OLD_REVISION: status.INVALID_ARGUMENT,
  VERIFY_ONLY: status.UNKNOWN,
};

/** etcd prefixes store errors with "etcdserver: " on the wire. */
function storeMessage(error: StoreError): string {
  return error.message.startsWith('etcdserver: ') ? error.message : `etcdserver: ${error.message}`;
}

export function toGrpcFailure(error: unknown): GrpcFailure {
  if (error instanceof StoreError) return { code: storeCodes[error.code], details: storeMessage(error) };
  if (error instanceof ServerError) return { code: serverCodes[error.code], details: error.message };
  if (error instanceof AuthError) return { code: error.unmapped ? status.UNKNOWN : authCodes[error.code], details: error.message };
  if (error instanceof InvalidRequestError) return { code: error.code, details: error.message };
  if (error instanceof ElectionError) return { code: status.FAILED_PRECONDITION, details: error.message };
  if (error instanceof WaitCancelledError) return { code: status.CANCELLED, details: error.message };
  if (error instanceof DecodeError) return { code: status.INVALID_ARGUMENT, details: `etcdserver: ${error.message}` };
  return { code: status.UNKNOWN, details: error instanceof Error ? error.message : String(error) };
}
