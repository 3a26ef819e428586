// etcd's Lease service: grant, revoke, the keep-alive stream, time-to-live and list.
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { Credentials } from '../auth/credentials.js';
import type { EtcdBackend } from './backend.js';
import { header, toBigInt, toNumber } from './convert.js';
import { callCredentials, serviceError } from './handlers.js';
import { LeaseNotFoundError } from '../mvcc/errors.js';
import type * as pb from './proto/messages.js';

/** Keep-alive requests in flight on one stream before it stops reading (back-pressure). */
const keepAlivesInFlightMax = 64;

export function leaseHandlers(backend: EtcdBackend) {
  return {
    async LeaseGrant(q: pb.LeaseGrantRequest, credentials: Credentials): Promise<pb.LeaseGrantResponse> {
      const granted = await backend.leaseGrant(toBigInt(q.ID), toNumber(q.TTL), credentials);
      return { header: header(backend.header()), ID: granted.id.toString(), TTL: String(granted.ttlSeconds), error: '' };
    },
    async LeaseRevoke(q: pb.LeaseRevokeRequest, credentials: Credentials): Promise<pb.LeaseRevokeResponse> {
      await backend.leaseRevoke(toBigInt(q.ID), credentials);
      return { header: header(backend.header()) };
    },
    async LeaseTimeToLive(q: pb.LeaseTimeToLiveRequest, credentials: Credentials): Promise<pb.LeaseTimeToLiveResponse> {
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
    async LeaseLeases(_q: object, credentials: Credentials): Promise<pb.LeaseLeasesResponse> {
      const ids = await backend.leaseList(credentials);
      return { header: header(backend.header()), leases: ids.map((id) => ({ ID: id.toString() })) };
    },
  };
}

/** The bidirectional keep-alive stream: each request renews a lease; TTL 0 means it is gone. */
export function leaseKeepAliveHandler(backend: EtcdBackend) {
  return (call: ServerDuplexStream<pb.LeaseKeepAliveRequest, pb.LeaseKeepAliveResponse>): void => {
    let inFlight = 0;
    let ended = false;
    const credentials = callCredentials(call);
    call.on('data', (q: pb.LeaseKeepAliveRequest) => {
      const id = toBigInt(q.ID);
      inFlight++;
      if (inFlight >= keepAlivesInFlightMax) call.pause();
      backend.leaseRenew(id, credentials).then(
        (ttl) => ({ header: header(backend.header()), ID: id.toString(), TTL: String(ttl) }),
        (error: unknown) => {
          if (error instanceof LeaseNotFoundError) return { header: header(backend.header()), ID: id.toString(), TTL: '0' };
          throw error;
        },
      ).then(
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
