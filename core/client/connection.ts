// The client's connection to an etcd cluster: one gRPC channel per endpoint, endpoint fail-over on
// UNAVAILABLE, the auth token (obtained with Authenticate, sent as `token` metadata, refreshed when
// the server rejects it) and per-call deadlines. Service clients build on `unary`, `duplex` and
// `serverStream`; what the calls mean is theirs.
import { Client, Metadata, status as grpcStatus } from '@grpc/grpc-js';
import type { ChannelCredentials, ClientDuplexStream, ClientReadableStream, ServiceError } from '@grpc/grpc-js';
import { methodDefinition } from '../api/proto/load.js';
import type { EtcdServiceName } from '../api/proto/load.js';
import type { AuthenticateResponse } from '../api/proto/adminMessages.js';
import { assert } from '../raft/assert.js';
import { channelCredentials } from './credentials.js';
import type { TlsOptions } from './credentials.js';
import { EtcdError, toEtcdError } from './etcdError.js';

/** Default deadline of a unary call. */
export const callTimeoutMsDefault = 10_000;
/** Largest message the client accepts (snapshot chunks and large ranges). */
export const receiveMessageBytesMax = 256 * 1024 * 1024;
/** Largest message the client sends; etcd's own request limit is 1.5 MiB by default. */
export const sendMessageBytesMax = 64 * 1024 * 1024;
/** How many times one call re-authenticates after the server rejected its token. */
export const authRetriesMax = 1;
/**
 * When no endpoint could be reached, a call waits this long (within its deadline) for one to come
 * back (a member restarting) before failing with the original connection error.
 */
export const reconnectWaitMsMax = 2_000;

/** etcd's messages for a token that must be (re)obtained. */
const tokenRejectedMessages = new Set([
  'etcdserver: invalid auth token',
  'etcdserver: user name is empty',
  'etcdserver: revision of auth store is old',
]);
const authNotEnabledMessage = 'etcdserver: authentication is not enabled';

/** User name and password for etcd's authentication. */
export interface Credentials {
  readonly username: string;
  readonly password: string;
}

export interface ConnectionOptions {
  /** `host:port`, `http://host:port` or `https://host:port`; at least one. */
  readonly endpoints: readonly string[];
  /** TLS settings; `https://` endpoints without them use TLS with Node's root store. */
  readonly tls?: TlsOptions;
  readonly auth?: Credentials;
  /**
   * A token to send with every call, obtained elsewhere (a proxy passing its caller's on); never
   * renewed. Ignored with `auth`.
   */
  readonly token?: string;
  /** Deadline of unary calls that set none; default callTimeoutMsDefault. */
  readonly callTimeoutMs?: number;
  /**
   * Where to dial an endpoint (`host:port`) instead of its own address: an SSH tunnel's loopback
   * port. The channel still names the endpoint (authority, and TLS verifies its host name or
   * `tls.serverName`). Endpoints it answers undefined for are dialled directly.
   */
  readonly dialer?: { localAddress(endpoint: string): string | undefined };
}

/** Options every client call accepts. */
export interface CallOptions {
  /** Deadline of this call in milliseconds. */
  readonly timeoutMs?: number;
  /**
   * Send the call to this endpoint (as given in the client options) and to no other: for calls
   * about one member (status, defragment, hashKV, moveLeader, snapshot).
   */
  readonly endpoint?: string;
  /**
   * Metadata sent with this call, over the connection's own (a `token` here replaces the
   * connection's): a proxy passes its caller's token through.
   */
  readonly metadata?: Readonly<Record<string, string>>;
}

interface UnaryOptions extends CallOptions {
  /**
   * True when repeating the call after a lost response is harmless (reads, deletes of a fixed
   * set, most admin calls). Non-idempotent calls fail over only when the request provably never
   * left the client (no connection was established).
   */
  readonly idempotent: boolean;
  /** Internal: send without a token (Authenticate itself). */
  readonly anonymous?: boolean;
  /** Internal: wait for the channel to connect instead of failing fast. */
  readonly waitForReady?: boolean;
}

function normalizeEndpoint(endpoint: string): string {
  return endpoint.replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '');
}

function neverSent(error: ServiceError): boolean {
  return error.details.startsWith('No connection established');
}

/** The channels, token and fail-over state shared by every service client of one EtcdClient. */
export class Connection {
  /** Endpoints as `host:port`, in the order given. Invariant: at least one. */
  readonly endpoints: readonly string[];
  private readonly clients = new Map<string, Client>();
  private currentIndex = 0;
  private token: string | undefined;
  private tokenRequest: Promise<void> | undefined;
  /** True after the server said authentication is off; cleared when it starts refusing calls. */
  private authNotEnabled = false;
  private closed = false;
  private readonly credentials: ChannelCredentials;
  private readonly channelOptions: Record<string, string | number>;

  constructor(private readonly options: ConnectionOptions) {
    assert(options.endpoints.length > 0, 'an etcd client needs at least one endpoint');
    this.endpoints = options.endpoints.map(normalizeEndpoint);
    if (options.auth === undefined) this.token = options.token;
    const https = options.endpoints.some((endpoint) => /^https:\/\//i.test(endpoint));
    this.credentials = channelCredentials(options.tls ?? (https ? {} : undefined));
    const channelOptions: Record<string, string | number> = {
      'grpc.max_receive_message_length': receiveMessageBytesMax,
      'grpc.max_send_message_length': sendMessageBytesMax,
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 2_000,
    };
    if (options.tls?.serverName !== undefined) {
      channelOptions['grpc.ssl_target_name_override'] = options.tls.serverName;
    }
    this.channelOptions = channelOptions;
    for (const endpoint of this.endpoints) this.client(endpoint);
  }

  /** The endpoint calls go to now (`host:port`). */
  get currentEndpoint(): string {
    return this.endpoints[this.currentIndex]!;
  }

  /** Moves to the next endpoint if `endpoint` is still the current one (it was unavailable). */
  markUnavailable(endpoint: string): void {
    if (this.currentEndpoint !== endpoint || this.endpoints.length === 1) return;
    this.currentIndex = (this.currentIndex + 1) % this.endpoints.length;
  }

  /**
   * Calls a unary method with fail-over, the auth token and a deadline (one deadline for all
   * attempts); throws EtcdError.
   */
  async unary<Response>(
    service: EtcdServiceName,
    method: string,
    request: object,
    options: UnaryOptions,
  ): Promise<Response> {
    const pinned = options.endpoint === undefined ? undefined : normalizeEndpoint(options.endpoint);
    const deadlineMs = Date.now() + (options.timeoutMs ?? this.options.callTimeoutMs ?? callTimeoutMsDefault);
    let authRetries = 0;
    let failovers = 0;
    for (;;) {
      const endpoint = pinned ?? this.currentEndpoint;
      if (!options.anonymous) await this.ensureToken();
      const usedToken = this.token;
      try {
        return await this.unaryOnce<Response>(endpoint, service, method, request, options, deadlineMs);
      } catch (error) {
        const serviceError = error as ServiceError;
        if (!options.anonymous && this.isTokenRejected(serviceError) && authRetries < authRetriesMax) {
          authRetries++;
          await this.refreshToken(usedToken);
          continue;
        }
        const unavailable = serviceError.code === grpcStatus.UNAVAILABLE;
        const retryable = unavailable && (options.idempotent || neverSent(serviceError));
        if (retryable && pinned === undefined && failovers < this.endpoints.length - 1) {
          failovers++;
          this.markUnavailable(endpoint);
          continue;
        }
        if (unavailable && neverSent(serviceError)) {
          const retried = await this.retryWhenReady<Response>(pinned ?? this.currentEndpoint, service, method, request, options, deadlineMs);
          if (retried.ok) return retried.value;
          if (retried.error !== undefined) error = retried.error;
        }
        throw toEtcdError(error, `${service}/${method}`, endpoint);
      }
    }
  }

  /**
   * After no endpoint could be reached: one more attempt that waits up to reconnectWaitMsMax
   * (within the deadline) for the endpoint to come back. `error` is set unless it timed out, in
   * which case the caller keeps the original connection error, which says more.
   */
  private async retryWhenReady<Response>(
    endpoint: string,
    service: EtcdServiceName,
    method: string,
    request: object,
    options: UnaryOptions,
    deadlineMs: number,
  ): Promise<{ ok: true; value: Response } | { ok: false; error: unknown }> {
    const waitDeadlineMs = Math.min(deadlineMs, Date.now() + reconnectWaitMsMax);
    if (waitDeadlineMs <= Date.now()) return { ok: false, error: undefined };
    try {
      const value = await this.unaryOnce<Response>(endpoint, service, method, request, { ...options, waitForReady: true }, waitDeadlineMs);
      return { ok: true, value };
    } catch (error) {
      const timedOut = (error as ServiceError).code === grpcStatus.DEADLINE_EXCEEDED;
      return { ok: false, error: timedOut ? undefined : error };
    }
  }

  /** Opens a bidirectional stream on the current (or given) endpoint with the auth token. */
  async duplex(
    service: EtcdServiceName,
    method: string,
    extraMetadata: Record<string, string> = {},
    endpoint = this.currentEndpoint,
  ): Promise<{ call: ClientDuplexStream<object, object>; endpoint: string }> {
    const definition = methodDefinition(service, method);
    await this.ensureToken();
    const metadata = this.metadata(extraMetadata);
    endpoint = normalizeEndpoint(endpoint);
    const call = this.client(endpoint).makeBidiStreamRequest(
      definition.path,
      definition.requestSerialize,
      definition.responseDeserialize,
      metadata,
      {},
    );
    return { call, endpoint };
  }

  /** Opens a server stream on the given (or current) endpoint with the auth token. */
  async serverStream(
    service: EtcdServiceName,
    method: string,
    request: object,
    options: CallOptions = {},
  ): Promise<{ call: ClientReadableStream<object>; endpoint: string }> {
    const definition = methodDefinition(service, method);
    await this.ensureToken();
    const endpoint = options.endpoint === undefined ? this.currentEndpoint : normalizeEndpoint(options.endpoint);
    const callOptions = options.timeoutMs === undefined ? {} : { deadline: Date.now() + options.timeoutMs };
    const call = this.client(endpoint).makeServerStreamRequest(
      definition.path,
      definition.requestSerialize,
      definition.responseDeserialize,
      request,
      this.metadata(options.metadata ?? {}),
      callOptions,
    );
    return { call, endpoint };
  }

  /** True when the client authenticates with a user name and password. */
  get hasCredentials(): boolean {
    return this.options.auth !== undefined;
  }

  /** True when `error` says the token is missing, invalid or stale and credentials can renew it. */
  isTokenRejected(error: { details?: string; message?: string }): boolean {
    if (this.options.auth === undefined) return false;
    const text = error.details ?? error.message ?? '';
    return tokenRejectedMessages.has(text);
  }

  /**
   * Obtains a fresh token (no-op without credentials). Concurrent callers share one request; a
   * caller whose rejected token (`staleToken`) was already replaced just uses the new one.
   */
  async refreshToken(staleToken: string | undefined = this.token): Promise<void> {
    if (this.token === staleToken) this.token = undefined;
    this.authNotEnabled = false;
    await this.ensureToken();
  }

  /** Closes every channel; calls in flight fail with CANCELLED or UNAVAILABLE. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const client of this.clients.values()) client.close();
  }

  private ensureToken(): Promise<void> {
    const auth = this.options.auth;
    if (auth === undefined || this.token !== undefined || this.authNotEnabled) return Promise.resolve();
    this.tokenRequest ??= this.authenticate(auth).finally(() => {
      this.tokenRequest = undefined;
    });
    return this.tokenRequest;
  }

  private async authenticate(auth: Credentials): Promise<void> {
    try {
      const response = await this.unary<AuthenticateResponse>(
        'etcdserverpb.Auth',
        'Authenticate',
        { name: auth.username, password: auth.password },
        { idempotent: true, anonymous: true },
      );
      this.token = response.token;
    } catch (error) {
      // A server with authentication disabled serves everyone; ask again if it starts refusing.
      if (error instanceof EtcdError && error.is(authNotEnabledMessage)) {
        this.authNotEnabled = true;
        return;
      }
      throw error;
    }
  }

  private metadata(extra: Record<string, string>): Metadata {
    const metadata = new Metadata();
    if (this.token !== undefined) metadata.set('token', this.token);
    for (const [key, value] of Object.entries(extra)) metadata.set(key, value);
    return metadata;
  }

  private client(endpoint: string): Client {
    // A pinned endpoint outside the configured list gets its own channel with the same settings.
    let client = this.clients.get(endpoint);
    if (client === undefined) {
      assert(!this.closed, 'no calls on a closed etcd client');
      client = new Client(...this.target(endpoint));
      this.clients.set(endpoint, client);
    }
    return client;
  }

  /** The address, credentials and options of the channel to `endpoint`, through the dialer if it has one for it. */
  private target(endpoint: string): [string, ChannelCredentials, Record<string, string | number>] {
    const local = this.options.dialer?.localAddress(endpoint);
    if (local === undefined) return [endpoint, this.credentials, this.channelOptions];
    const host = endpoint.slice(0, endpoint.lastIndexOf(':')).replace(/^\[|\]$/g, '');
    const tls = this.options.tls !== undefined || this.options.endpoints.some((given) => /^https:\/\//i.test(given));
    return [
      local,
      this.credentials,
      { ...this.channelOptions, 'grpc.default_authority': endpoint, ...(tls ? { 'grpc.ssl_target_name_override': this.options.tls?.serverName ?? host } : {}) },
    ];
  }

  private unaryOnce<Response>(
    endpoint: string,
    service: EtcdServiceName,
    method: string,
    request: object,
    options: UnaryOptions,
    deadlineMs: number,
  ): Promise<Response> {
    const definition = methodDefinition(service, method);
    const metadata = options.anonymous ? new Metadata() : this.metadata(options.metadata ?? {});
    if (options.waitForReady) metadata.setOptions({ waitForReady: true });
    return new Promise((resolve, reject) => {
      this.client(endpoint).makeUnaryRequest(
        definition.path,
        definition.requestSerialize,
        definition.responseDeserialize,
        request,
        metadata,
        { deadline: deadlineMs },
        (error, response) => {
          if (error) reject(error);
          else resolve(response as Response);
        },
      );
    });
  }
}
