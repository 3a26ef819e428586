// The LeaseKeepAlive service of the proxy with keep-alive coalescing: every client stream's
// renewals go up one shared upstream stream (one per distinct caller token), and a renewal of a
// lease that is already on its way up is not sent again: its requester gets the answer of the one
// in flight. A lost upstream stream is re-opened (on the next endpoint) and the renewals in flight
// resent; after keepAliveReopensMax re-opens without an answer they fail with UNAVAILABLE.
import { status, type ClientDuplexStream, type ServerDuplexStream } from '@grpc/grpc-js';
import type * as pb from '../api/proto/messages.js';
import { serviceError } from '../api/handlers.js';
import { InvalidRequestError } from '../api/grpcStatus.js';
import type { ProxyMetrics } from './proxyMetrics.js';
import type { CallContext, Upstream } from './upstream.js';

/** Renewals one client stream may have in flight before it stops reading (back-pressure). */
export const keepAlivesInFlightMax = 64;
/** Re-opens of an upstream keep-alive stream in a row without an answer before renewals fail. */
export const keepAliveReopensMax = 5;
/** Leases with a renewal in flight on one upstream stream. */
export const pendingLeasesMax = 100_000;

interface Waiter {
  resolve(response: pb.LeaseKeepAliveResponse): void;
  reject(error: Error): void;
}

/** One upstream keep-alive stream and the renewals waiting on it. */
class UpstreamKeepAlive {
  private call: ClientDuplexStream<object, object> | undefined;
  private opening: Promise<void> | undefined;
  private readonly pending = new Map<string, Waiter[]>();
  private reopens = 0;
  private closed = false;

  constructor(
    private readonly upstream: Upstream,
    private readonly token: string | undefined,
    private readonly metrics: ProxyMetrics,
  ) {}

  renew(id: string): Promise<pb.LeaseKeepAliveResponse> {
    return new Promise((resolve, reject) => {
      const waiters = this.pending.get(id);
      if (waiters) {
        this.metrics.keepAlivesCoalesced++;
        waiters.push({ resolve, reject });
        return;
      }
      if (this.pending.size >= pendingLeasesMax) {
        reject(new InvalidRequestError('etcdserver: proxy: too many leases renewing', status.RESOURCE_EXHAUSTED));
        return;
      }
      this.pending.set(id, [{ resolve, reject }]);
      this.metrics.keepAlivesForwarded++;
      void this.send(id);
    });
  }

  private async send(id: string): Promise<void> {
    try {
      await this.open();
      this.call?.write({ ID: id });
    } catch (error) {
      this.failAll(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private open(): Promise<void> {
    if (this.call) return Promise.resolve();
    this.opening ??= (async () => {
      const { call, endpoint } = await this.upstream.duplex('etcdserverpb.Lease', 'LeaseKeepAlive', this.token);
      this.call = call;
      call.on('data', (response: pb.LeaseKeepAliveResponse) => {
        this.reopens = 0;
        this.metrics.observe(response.header);
        const waiters = this.pending.get(response.ID);
        this.pending.delete(response.ID);
        for (const waiter of waiters ?? []) waiter.resolve(response);
      });
      const lost = (error: { code?: status; details?: string } | undefined): void => {
        if (this.call !== call) return;
        this.call = undefined;
        if (this.closed) return;
        if (error?.code !== undefined && error.code !== status.UNAVAILABLE && error.code !== status.CANCELLED) {
          this.failAll(new InvalidRequestError(error.details ?? 'keep-alive failed', error.code));
          return;
        }
        this.upstream.connection.markUnavailable(endpoint);
        if (this.pending.size === 0) return;
        if (++this.reopens > keepAliveReopensMax) {
          this.failAll(new InvalidRequestError(`${endpoint} is unavailable: ${error?.details ?? 'keep-alive stream ended'}`, status.UNAVAILABLE));
          return;
        }
        for (const id of this.pending.keys()) void this.send(id);
      };
      call.on('error', lost);
      call.on('end', () => lost(undefined));
    })().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private failAll(error: Error): void {
    const waiting = [...this.pending.values()];
    this.pending.clear();
    this.reopens = 0;
    for (const waiters of waiting) for (const waiter of waiters) waiter.reject(error);
  }

  close(): void {
    this.closed = true;
    this.call?.cancel();
    this.failAll(new InvalidRequestError('proxy is shutting down', status.UNAVAILABLE));
  }
}

/** The upstream keep-alive streams of one proxy, by caller token. */
export class KeepAlives {
  private readonly streams = new Map<string, UpstreamKeepAlive>();

  constructor(
    private readonly upstream: Upstream,
    private readonly metrics: ProxyMetrics,
  ) {}

  renew(id: string, token: string | undefined): Promise<pb.LeaseKeepAliveResponse> {
    const scope = token ?? '';
    let stream = this.streams.get(scope);
    if (!stream) {
      stream = new UpstreamKeepAlive(this.upstream, token, this.metrics);
      this.streams.set(scope, stream);
    }
    return stream.renew(id);
  }

  close(): void {
    for (const stream of this.streams.values()) stream.close();
    this.streams.clear();
  }
}

export function keepAliveProxyHandler(keepAlives: KeepAlives, contextOf: (call: object) => CallContext) {
  return (call: ServerDuplexStream<pb.LeaseKeepAliveRequest, pb.LeaseKeepAliveResponse>): void => {
    const { token } = contextOf(call);
    let inFlight = 0;
    let ended = false;
    call.on('data', (request: pb.LeaseKeepAliveRequest) => {
      inFlight++;
      if (inFlight >= keepAlivesInFlightMax) call.pause();
      keepAlives.renew(String(request.ID), token).then(
        (response) => {
          inFlight--;
          call.resume();
          if (!ended && !call.cancelled) call.write(response);
        },
        (error: unknown) => {
          inFlight--;
          if (!ended && !call.cancelled) {
            ended = true;
            call.emit('error', serviceError(error));
          }
        },
      );
    });
    call.on('end', () => {
      ended = true;
      call.end();
    });
    call.on('error', () => {
      ended = true;
    });
  };
}
