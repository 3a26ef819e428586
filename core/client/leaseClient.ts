// The Lease service: grant, revoke, time-to-live (with attached keys), listing, and keep-alives
// (a single renewal, or continuous renewal through leaseKeepAlive.ts). Lease ids are decimal
// strings on the way out and accept bigint, number or string on the way in.
import { status as grpcStatus } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import type {
  LeaseGrantResponse,
  LeaseKeepAliveResponse,
  LeaseLeasesResponse,
  LeaseRevokeResponse,
  LeaseTimeToLiveResponse,
} from '../api/proto/messages.js';
import { toIdString, toSafeNumber } from './bytes.js';
import type { CallOptions, Connection } from './connection.js';
import { EtcdError, toEtcdError } from './etcdError.js';
import { toHeader } from './header.js';
import type { ResponseHeader } from './header.js';
import { KeepAliveStream, leaseNotFoundMessage } from './leaseKeepAlive.js';
import type { KeepAliveResponse, LeaseKeepAlive } from './leaseKeepAlive.js';

/** A lease id: decimal string (as returned), bigint, or safe number. */
export type LeaseId = string | bigint | number;

export interface LeaseGrant {
  readonly header: ResponseHeader;
  /** Lease id as a decimal string. */
  readonly id: string;
  /** TTL in seconds the server granted (it may raise a TTL below its minimum). */
  readonly ttl: number;
}

export interface LeaseTimeToLive {
  readonly header: ResponseHeader;
  readonly id: string;
  /** Seconds left; -1 when the lease has expired or does not exist. */
  readonly ttl: number;
  /** TTL the lease was granted with. */
  readonly grantedTtl: number;
  /** Keys attached to the lease (when asked for). */
  readonly keys: Buffer[];
}

/** Lease calls. Errors are EtcdError with etcd's code and message. */
export class LeaseClient {
  private readonly stream: KeepAliveStream;

  constructor(private readonly connection: Connection) {
    this.stream = new KeepAliveStream(connection);
  }

  /** Grants a lease of `ttlSeconds`, with the given id or one chosen by the server. */
  async grant(ttlSeconds: number, options: { id?: LeaseId } & CallOptions = {}): Promise<LeaseGrant> {
    const request = { TTL: ttlSeconds, ID: options.id === undefined ? '0' : toIdString(options.id) };
    const wire = await this.connection.unary<LeaseGrantResponse>('etcdserverpb.Lease', 'LeaseGrant', request, {
      ...options,
      idempotent: false,
    });
    return { header: toHeader(wire.header), id: wire.ID, ttl: toSafeNumber(wire.TTL) };
  }

  /** Revokes a lease and deletes its keys; NOT_FOUND "etcdserver: requested lease not found". */
  async revoke(id: LeaseId, options: CallOptions = {}): Promise<ResponseHeader> {
    const wire = await this.connection.unary<LeaseRevokeResponse>(
      'etcdserverpb.Lease',
      'LeaseRevoke',
      { ID: toIdString(id) },
      { ...options, idempotent: true },
    );
    return toHeader(wire.header);
  }

  /** The remaining and granted TTL of a lease, and its keys with `keys: true`. */
  async timeToLive(id: LeaseId, options: { keys?: boolean } & CallOptions = {}): Promise<LeaseTimeToLive> {
    const wire = await this.connection.unary<LeaseTimeToLiveResponse>(
      'etcdserverpb.Lease',
      'LeaseTimeToLive',
      { ID: toIdString(id), keys: options.keys ?? false },
      { ...options, idempotent: true },
    );
    return {
      header: toHeader(wire.header),
      id: wire.ID,
      ttl: toSafeNumber(wire.TTL),
      grantedTtl: toSafeNumber(wire.grantedTTL),
      keys: wire.keys,
    };
  }

  /** Ids of every live lease (decimal strings). */
  async leases(options: CallOptions = {}): Promise<string[]> {
    const wire = await this.connection.unary<LeaseLeasesResponse>('etcdserverpb.Lease', 'LeaseLeases', {}, {
      ...options,
      idempotent: true,
    });
    return wire.leases.map((lease) => lease.ID);
  }

  /**
   * Renews a lease once; throws EtcdError NOT_FOUND "etcdserver: requested lease not found" when
   * it has expired or never existed.
   */
  async keepAliveOnce(id: LeaseId, options: CallOptions = {}): Promise<KeepAliveResponse> {
    const leaseId = toIdString(id);
    const { call, endpoint } = await this.connection.duplex('etcdserverpb.Lease', 'LeaseKeepAlive', {}, options.endpoint);
    const method = 'etcdserverpb.Lease/LeaseKeepAlive';
    const timeoutMs = options.timeoutMs ?? 10_000;
    const wire = await new Promise<LeaseKeepAliveResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        call.cancel();
        reject(new EtcdError(grpcStatus.DEADLINE_EXCEEDED, `no keep-alive response within ${timeoutMs} ms`, method, endpoint));
      }, timeoutMs);
      call.once('data', (response: LeaseKeepAliveResponse) => {
        clearTimeout(timer);
        resolve(response);
      });
      call.once('error', (error: ServiceError) => {
        clearTimeout(timer);
        reject(toEtcdError(error, method, endpoint));
      });
      call.write({ ID: leaseId });
    });
    call.on('error', () => undefined);
    call.cancel();
    const ttl = toSafeNumber(wire.TTL);
    if (ttl <= 0) throw new EtcdError(grpcStatus.NOT_FOUND, leaseNotFoundMessage, method, endpoint);
    return { header: toHeader(wire.header), id: wire.ID, ttl };
  }

  /** Keeps a lease alive until the handle is closed; see LeaseKeepAlive. */
  keepAlive(id: LeaseId): LeaseKeepAlive {
    return this.stream.keepAlive(toIdString(id));
  }

  /** Stops every keep-alive. */
  close(): void {
    this.stream.close();
  }
}
