// The proxy's side towards the cluster: one core/client Connection (channels per endpoint,
// fail-over on UNAVAILABLE, TLS) through which every forwarded call goes, with the caller's auth
// token passed through, and upstream failures turned back into the gRPC status the cluster gave,
// so a client of the proxy sees the same code and message as a client of the cluster.
import { status } from '@grpc/grpc-js';
import type { ClientDuplexStream, ClientReadableStream } from '@grpc/grpc-js';
import type { EtcdServiceName } from '../api/proto/load.js';
import { InvalidRequestError } from '../api/grpcStatus.js';
import { Connection } from '../client/connection.js';
import type { TlsOptions } from '../client/credentials.js';
import { EtcdClient } from '../client/etcdClient.js';
import { EtcdError } from '../client/etcdError.js';

/** Deadline of a forwarded unary call whose caller set none (etcd's clients set theirs). */
export const forwardTimeoutMsDefault = 30_000;
/** Deadline of calls that wait for others by design (Lock, Campaign) when the caller set none. */
export const waitingCallTimeoutMsMax = 24 * 60 * 60 * 1000;

/** What the caller sent that travels on: its token, and its deadline. */
export interface CallContext {
  /** The `token` metadata of the incoming call, passed through unchanged. */
  readonly token?: string | undefined;
  /** Milliseconds left of the caller's deadline, if it set one. */
  readonly timeoutMs?: number | undefined;
}

export interface UpstreamOptions {
  readonly endpoints: readonly string[];
  readonly tls?: TlsOptions | undefined;
}

/**
 * A failure as the cluster reported it. core/api's gateway maps InvalidRequestError with its own
 * code back to the same status and HTTP code, so the gateway of the proxy answers as a member's.
 */
export function upstreamFailure(error: unknown): Error {
  if (error instanceof EtcdError) return new InvalidRequestError(error.message, error.code);
  if (error instanceof InvalidRequestError) return error;
  return new InvalidRequestError(error instanceof Error ? error.message : String(error), status.UNAVAILABLE);
}

/**
 * The request without its empty bytes fields. The loader decodes an absent bytes field as an empty
 * Buffer, and encodes an empty Buffer as a present field; etcd (Go) reads a present empty
 * `range_end` as "every key from `key` on", unlike an absent one, so an empty field must not be
 * sent where the caller sent none. Empty elements of repeated fields are kept.
 */
export function withoutEmptyBytes<T>(message: T): T {
  if (Array.isArray(message)) return message.map((item: unknown) => (item instanceof Uint8Array ? item : withoutEmptyBytes(item))) as T;
  if (message === null || typeof message !== 'object' || message instanceof Uint8Array) return message;
  const out: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(message)) {
    if (value instanceof Uint8Array && value.length === 0) continue;
    out[field] = withoutEmptyBytes(value);
  }
  return out as T;
}

export class Upstream {
  readonly connection: Connection;
  /** A typed client on the same endpoints, for the proxy's own watches and registration. */
  readonly client: EtcdClient;

  private readonly connectionOptions: { endpoints: readonly string[]; tls?: TlsOptions };

  constructor(options: UpstreamOptions) {
    this.connectionOptions = options.tls ? { endpoints: options.endpoints, tls: options.tls } : { endpoints: options.endpoints };
    this.connection = new Connection(this.connectionOptions);
    this.client = new EtcdClient(this.connectionOptions);
  }

  /** A client whose calls carry `token` (for the watches of callers with that token); close it when done. */
  clientWithToken(token: string): EtcdClient {
    return new EtcdClient({ ...this.connectionOptions, token });
  }

  /** The endpoint calls go to now. */
  get currentEndpoint(): string {
    return this.connection.currentEndpoint;
  }

  /** Forwards a unary call; throws upstreamFailure. `idempotent` calls may be repeated on another endpoint. */
  async unary<Response extends object>(
    service: EtcdServiceName, method: string, request: object, context: CallContext, idempotent: boolean, waits = false,
  ): Promise<Response> {
    const timeoutMs = context.timeoutMs ?? (waits ? waitingCallTimeoutMsMax : forwardTimeoutMsDefault);
    try {
      return await this.connection.unary<Response>(service, method, withoutEmptyBytes(request), {
        idempotent, timeoutMs, ...(context.token === undefined ? {} : { metadata: { token: context.token } }),
      });
    } catch (error) {
      throw upstreamFailure(error);
    }
  }

  /** Opens a server stream (Snapshot, Observe) on the current endpoint. */
  async serverStream(service: EtcdServiceName, method: string, request: object, context: CallContext): Promise<ClientReadableStream<object>> {
    const { call } = await this.connection.serverStream(service, method, withoutEmptyBytes(request), {
      ...(context.token === undefined ? {} : { metadata: { token: context.token } }),
      ...(context.timeoutMs === undefined ? {} : { timeoutMs: context.timeoutMs }),
    });
    return call;
  }

  /** Opens a bidirectional stream on the current endpoint; the token, if any, travels with it. */
  async duplex(service: EtcdServiceName, method: string, token: string | undefined): Promise<{ call: ClientDuplexStream<object, object>; endpoint: string }> {
    return this.connection.duplex(service, method, token === undefined ? {} : { token });
  }

  close(): void {
    this.client.close();
    this.connection.close();
  }
}
