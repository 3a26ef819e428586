// etcd's Lease service: grant, revoke, the keep-alive stream, time-to-live and list.
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { EtcdBackend } from './backend.js';
import { header, toBigInt, toNumber } from './convert.js';
import { callCredentials, serviceError, type CallContext } from './handlers.js';
import type { Credentials } from '../auth/credentials.js';
import { LeaseNotFoundError } from '../mvcc/errors.js';
import type * as pb from './proto/messages.js';

/** Keep-alive requests in flight on one stream before it stops reading (back-pressure). */
const keepAlivesInFlightMax = 64;

export function leaseHandlers(backend: EtcdBackend) {
  return {
    async LeaseGrant(q: pb.LeaseGrantRequest, { credentials }: CallContext): Promise<pb.LeaseGrantResponse> {
      const granted = await backend.leaseGrant(toBigInt(q.ID), toNumber(q.TTL), credentials);
      return { header: header(backend.header()), ID: granted.id.toString(), TTL: String(granted.ttlSeconds), error: '' };
    },
    async LeaseRevoke(q: pb.LeaseRevokeRequest, { credentials }: CallContext): Promise<pb.LeaseRevokeResponse> {
      await backend.leaseRevoke(toBigInt(q.ID), credentials);
      return { header: header(backend.header()) };
    },
    async LeaseTimeToLive(q: pb.LeaseTimeToLiveRequest, { credentials }: CallContext): Promise<pb.LeaseTimeToLiveResponse> {
      const id = toBigInt(q.ID);
      try {
        const ttl = await backend.leaseTimeToLive(id, q.keys ?? false, credentials);
        return {
          header: header(backend.header()), ID: id.toString(), TTL: String(ttl.ttlSeconds), grantedTTL: String(ttl.grantedTtlSeconds),
          keys: ttl.keys.map((k) => Buffer.from(k)),
        };
      } catch (error) {
        // etcd answers an unknown lease with TTL -1 rather than an error.
        if (error instanceof LeaseNotFoundError) return { header: header(backend.header()), ID: id.toString(), TTL: '-1', grantedTTL: '0', keys: [] };
        throw error;
      }
    },
    async LeaseLeases(_q: object, { credentials }: CallContext): Promise<pb.LeaseLeasesResponse> {
      const ids = await backend.leaseList(credentials);
      return { header: header(backend.header()), leases: ids.map((id) => ({ ID: id.toString() })) };
    },
  };
}

type Renewal = { readonly response: pb.LeaseKeepAliveResponse } | { readonly error: unknown };

/** Renews one lease; never rejects (a failure is a value, so a queued renewal cannot go unhandled). */
function renew(backend: EtcdBackend, id: bigint, credentials: Credentials): Promise<Renewal> {
  // etcd stamps the header before it renews.
  const stamped = header(backend.header());
  return backend.leaseRenew(id, credentials).then(
    (ttl) => ({ response: { header: stamped, ID: id.toString(), TTL: String(ttl) } }),
    (error: unknown) => (error instanceof LeaseNotFoundError ? { response: { header: stamped, ID: id.toString(), TTL: '0' } } : { error }),
  );
}

/**
 * The bidirectional keep-alive stream: each request renews a lease; TTL 0 means it is gone.
 * As in etcd, answers go out in request order, and a client's half-close ends the stream (status
 * OK) only after every request received before it is answered. A renewal that fails for another
 * reason than an unknown lease ends the stream with that error, unanswered requests with it.
 */
export function leaseKeepAliveHandler(backend: EtcdBackend) {
  return (call: ServerDuplexStream<pb.LeaseKeepAliveRequest, pb.LeaseKeepAliveResponse>): void => {
    /** Renewals started and not yet answered. Invariant: answered in the order they started. */
    let inFlight = 0;
    let halfClosed = false;
    const credentials = callCredentials(call);
    let finished = false;
    let answered: Promise<void> = Promise.resolve();
    const finish = (error?: unknown): void => {
      if (finished) return;
      finished = true;
      if (call.cancelled) return;
      if (error === undefined) call.end();
      else call.emit('error', serviceError(error));
    };
    call.on('data', (q: pb.LeaseKeepAliveRequest) => {
      if (finished) return;
      inFlight++;
      if (inFlight >= keepAlivesInFlightMax) call.pause();
      const renewal = renew(backend, toBigInt(q.ID), credentials);
      answered = answered.then(async () => {
        const outcome = await renewal;
        inFlight--;
        if (finished || call.cancelled) return;
        if ('error' in outcome) {
          finish(outcome.error);
          return;
        }
        call.write(outcome.response);
        call.resume();
        if (halfClosed && inFlight === 0) finish();
      }).catch(finish);
    });
    call.on('end', () => {
      halfClosed = true;
      if (inFlight === 0) finish();
    });
    const abandon = (): void => {
      finished = true;
    };
    call.on('error', abandon);
    call.on('cancelled', abandon);
    call.on('close', abandon);
  };
}
