// Lease keep-alives: one bidirectional LeaseKeepAlive stream per client shared by every kept-alive
// lease, a renewal schedule per lease (a third of its TTL), resending and stream re-opening when
// responses stop, and the end of a keep-alive when the lease is gone. Unary lease calls are in
// leaseClient.ts.
import type { ClientDuplexStream } from '@grpc/grpc-js';
import { status as grpcStatus } from '@grpc/grpc-js';
import type { LeaseKeepAliveResponse } from '../api/proto/messages.js';
import { assert } from '../raft/assert.js';
import { AsyncQueue } from './asyncQueue.js';
import { toSafeNumber } from './bytes.js';
import type { Connection } from './connection.js';
import { EtcdError } from './etcdError.js';
import { toHeader } from './header.js';
import type { ResponseHeader } from './header.js';

/** Wait for a keep-alive response before the request is resent (on a re-opened stream). */
export const keepAliveResendMs = 1_000;
/** Wait for the first renewal of a lease (whose TTL is not known yet) before giving up. */
export const keepAliveFirstResponseMsMax = 10_000;
/** Shortest pause between two renewals of one lease. */
export const keepAliveIntervalMsMin = 100;
/** Keep-alive responses buffered per handle; older ones are dropped (only the latest matters). */
export const keepAliveResponsesBufferedMax = 16;
/** Leases one client keeps alive at once. */
export const keepAlivesMax = 10_000;

export const leaseNotFoundMessage = 'etcdserver: requested lease not found';

/** One renewal acknowledged by the server. */
export interface KeepAliveResponse {
  readonly header: ResponseHeader;
  /** Lease id as a decimal string. */
  readonly id: string;
  /** Seconds the lease now has to live. */
  readonly ttl: number;
}

/**
 * Keeps one lease alive until closed. Iterate it for the renewals (latest ones; older ones are
 * dropped when not consumed); the iteration throws EtcdError NOT_FOUND "etcdserver: requested
 * lease not found" when the lease expired or was revoked, and EtcdError UNAVAILABLE when no renewal
 * arrived within the lease's TTL (or keepAliveFirstResponseMsMax before the first one).
 */
export class LeaseKeepAlive implements AsyncIterable<KeepAliveResponse> {
  /** TTL in seconds from the last renewal; 0 until the first one. */
  ttl = 0;
  private readonly queue = new AsyncQueue<KeepAliveResponse>(keepAliveResponsesBufferedMax, 'dropOldest');
  private timer: NodeJS.Timeout | undefined;
  private lastResponseAtMs: number;
  private closedFlag = false;

  constructor(
    readonly id: string,
    private readonly stream: KeepAliveStream,
  ) {
    this.lastResponseAtMs = Date.now();
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Stops renewing; the lease then expires after its TTL unless revoked. */
  close(): void {
    this.finish(undefined);
  }

  [Symbol.asyncIterator](): AsyncIterator<KeepAliveResponse, undefined> {
    return this.queue[Symbol.asyncIterator]();
  }

  /** Sends a renewal now and schedules a resend in case no answer arrives. */
  renew(): void {
    if (this.closedFlag) return;
    const silentMs = Date.now() - this.lastResponseAtMs;
    const silentMsMax = this.ttl > 0 ? this.ttl * 1000 : keepAliveFirstResponseMsMax;
    if (silentMs > silentMsMax) {
      const message = `no keep-alive response for lease ${this.id} within ${silentMsMax} ms`;
      this.finish(new EtcdError(grpcStatus.UNAVAILABLE, message, 'etcdserverpb.Lease/LeaseKeepAlive', ''));
      return;
    }
    this.stream.send(this.id);
    this.schedule(keepAliveResendMs);
  }

  /** Stream side: a response for this lease. */
  onResponse(response: KeepAliveResponse): void {
    if (this.closedFlag) return;
    if (response.ttl <= 0) {
      this.finish(new EtcdError(grpcStatus.NOT_FOUND, leaseNotFoundMessage, 'etcdserverpb.Lease/LeaseKeepAlive', ''));
      return;
    }
    this.ttl = response.ttl;
    this.lastResponseAtMs = Date.now();
    this.queue.push(response);
    this.schedule(Math.max((response.ttl * 1000) / 3, keepAliveIntervalMsMin));
  }

  /** Stream side: ends the keep-alive with `error` (or cleanly). */
  finish(error: Error | undefined): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    clearTimeout(this.timer);
    this.stream.remove(this);
    if (error) this.queue.fail(error);
    else this.queue.end();
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.renew(), delayMs);
  }
}

/** The shared keep-alive stream; opened on demand and re-opened after it fails. */
export class KeepAliveStream {
  private call: ClientDuplexStream<object, object> | undefined;
  private endpoint = '';
  private opening: Promise<void> | undefined;
  private generation = 0;
  private readonly handles = new Map<string, Set<LeaseKeepAlive>>();

  constructor(private readonly connection: Connection) {}

  /** Starts keeping lease `id` alive (the first renewal is sent at once). */
  keepAlive(id: string): LeaseKeepAlive {
    const count = [...this.handles.values()].reduce((sum, set) => sum + set.size, 0);
    assert(count < keepAlivesMax, `a client keeps at most ${keepAlivesMax} leases alive`);
    const handle = new LeaseKeepAlive(id, this);
    let set = this.handles.get(id);
    if (!set) this.handles.set(id, (set = new Set()));
    set.add(handle);
    handle.renew();
    return handle;
  }

  /** Writes a renewal of `id`, opening the stream first when needed. */
  send(id: string): void {
    if (this.call) {
      this.call.write({ ID: id });
      return;
    }
    this.opening ??= this.open()
      .then(() => {
        this.call?.write({ ID: id });
      })
      .catch(() => undefined)
      .finally(() => {
        this.opening = undefined;
      });
  }

  remove(handle: LeaseKeepAlive): void {
    const set = this.handles.get(handle.id);
    set?.delete(handle);
    if (set?.size === 0) this.handles.delete(handle.id);
    if (this.handles.size === 0) this.drop();
  }

  /** Ends every keep-alive and the stream. */
  close(): void {
    for (const set of [...this.handles.values()]) for (const handle of [...set]) handle.close();
    this.drop();
  }

  private async open(): Promise<void> {
    const generation = ++this.generation;
    const { call, endpoint } = await this.connection.duplex('etcdserverpb.Lease', 'LeaseKeepAlive');
    this.call = call;
    this.endpoint = endpoint;
    call.on('data', (wire: LeaseKeepAliveResponse) => {
      if (generation !== this.generation) return;
      const response = { header: toHeader(wire.header), id: wire.ID, ttl: toSafeNumber(wire.TTL) };
      for (const handle of [...(this.handles.get(wire.ID) ?? [])]) handle.onResponse(response);
    });
    const lost = (error?: { code?: number; details?: string }): void => {
      if (generation !== this.generation) return;
      this.generation++;
      this.call = undefined;
      if (error?.code === grpcStatus.UNAVAILABLE) this.connection.markUnavailable(this.endpoint);
      if (error && this.connection.isTokenRejected(error)) void this.connection.refreshToken().catch(() => undefined);
    };
    call.on('error', lost);
    call.on('end', () => lost());
  }

  private drop(): void {
    this.generation++;
    const call = this.call;
    this.call = undefined;
    call?.cancel();
  }
}
