// Typed errors of the etcd client: gRPC failures with etcd's code and message, watch endings and
// snapshot integrity failures. Expected failures reach callers as these; invariants use assert.
import { status as grpcStatus } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';

/** Name of a gRPC status code, e.g. 'NOT_FOUND', 'PERMISSION_DENIED'. */
export type GrpcCodeName = keyof typeof grpcStatus;

function codeName(code: grpcStatus): GrpcCodeName {
  // A numeric enum maps its values back to their names.
  const name = (grpcStatus as unknown as Record<number, string | undefined>)[code];
  return (name ?? 'UNKNOWN') as GrpcCodeName;
}

/**
 * A failed etcd call. `code` is the gRPC status code, `message` etcd's own text (for example
 * "etcdserver: requested lease not found"), `method` the gRPC method and `endpoint` the member
 * that answered (or failed to).
 */
export class EtcdError extends Error {
  override readonly name = 'EtcdError';
  readonly code: grpcStatus;
  readonly codeName: GrpcCodeName;

  constructor(
    code: grpcStatus,
    message: string,
    readonly method: string,
    readonly endpoint: string,
  ) {
    super(message);
    this.code = code;
    this.codeName = codeName(code);
  }

  /** True when the server named this failure with etcd's message `text` (exact match). */
  is(text: string): boolean {
    return this.message === text;
  }
}

function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as Partial<ServiceError>).code === 'number';
}

function describeTransportFailure(details: string, endpoint: string): string {
  const tlsWords = /certificate|self[- ]signed|SSL|TLS|altnames|handshake/i;
  if (tlsWords.test(details)) return `TLS connection to ${endpoint} failed: ${details}`;
  return `${endpoint} is unavailable: ${details}`;
}

/** Converts any failure of a grpc-js call into an EtcdError (other errors pass through). */
export function toEtcdError(error: unknown, method: string, endpoint: string): Error {
  if (error instanceof EtcdError) return error;
  if (!isServiceError(error)) return error instanceof Error ? error : new Error(String(error));
  const details = error.details || error.message;
  const message =
    error.code === grpcStatus.UNAVAILABLE && !details.startsWith('etcdserver:')
      ? describeTransportFailure(details, endpoint)
      : details;
  return new EtcdError(error.code, message, method, endpoint);
}

/** Why a watcher stopped delivering events. */
export type WatchErrorKind = 'compacted' | 'canceled' | 'overflow' | 'failed';

/**
 * A watcher ended by the server or the client. `compacted`: the start revision was compacted
 * (`compactRevision` is the oldest revision still available; watch again from it). `canceled`: the
 * server canceled the watch (`message` is its reason, e.g. "etcdserver: permission denied").
 * `overflow`: the consumer fell more than the buffer limit behind. `failed`: reconnecting failed.
 */
export class WatchError extends Error {
  override readonly name = 'WatchError';

  constructor(
    readonly kind: WatchErrorKind,
    message: string,
    readonly compactRevision = 0,
  ) {
    super(message);
  }
}

/** A snapshot stream ended short or its trailing SHA-256 did not match the received data. */
export class SnapshotIntegrityError extends Error {
  override readonly name = 'SnapshotIntegrityError';
}
