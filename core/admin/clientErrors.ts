// Translates the etcd client's typed errors into AdminErrors the console can show: the gRPC code
// becomes an AdminErrorCode and etcd's terse message becomes a sentence naming the member.
import { status as grpcStatus } from '@grpc/grpc-js';
import { EtcdError, SnapshotIntegrityError, WatchError } from '../client/etcdError.js';
import type { AdminError, AdminErrorCode } from './api.js';

const codes = new Map<number, AdminErrorCode>([
  [grpcStatus.INVALID_ARGUMENT, 'invalid_argument'],
  [grpcStatus.NOT_FOUND, 'not_found'],
  [grpcStatus.ALREADY_EXISTS, 'already_exists'],
  [grpcStatus.PERMISSION_DENIED, 'permission_denied'],
  [grpcStatus.UNAUTHENTICATED, 'unauthenticated'],
  [grpcStatus.FAILED_PRECONDITION, 'failed_precondition'],
  [grpcStatus.RESOURCE_EXHAUSTED, 'resource_exhausted'],
  [grpcStatus.DEADLINE_EXCEEDED, 'deadline_exceeded'],
  [grpcStatus.CANCELLED, 'cancelled'],
  [grpcStatus.UNAVAILABLE, 'connection_failed'],
]);

/** etcd's "etcdserver: mvcc: required revision has been compacted" and its kin. */
function isCompacted(message: string): boolean {
  return message.includes('required revision has been compacted');
}

function sentence(message: string): string {
  const text = message.replace(/^etcdserver: /, '').replace(/^mvcc: /, '');
  const capitalised = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(capitalised) ? capitalised : `${capitalised}.`;
}

/** The AdminError for a failure of the etcd client, or null when `error` is not one of its errors. */
export function translateClientError(error: unknown): AdminError | null {
  if (error instanceof EtcdError) {
    if (isCompacted(error.message)) return { code: 'compacted', message: sentence(error.message) };
    // etcd answers a wrong user or password with INVALID_ARGUMENT; it is an authentication failure.
    const code = error.is('etcdserver: authentication failed, invalid user ID or password') ? 'unauthenticated' : (codes.get(error.code) ?? 'internal');
    const where = code === 'connection_failed' || code === 'deadline_exceeded' ? '' : ` (${error.endpoint})`;
    return { code, message: `${sentence(error.message).slice(0, -1)}${where}.` };
  }
  if (error instanceof WatchError) {
    return { code: error.kind === 'compacted' ? 'compacted' : 'cancelled', message: sentence(error.message) };
  }
  if (error instanceof SnapshotIntegrityError) return { code: 'internal', message: sentence(error.message) };
  return null;
}
