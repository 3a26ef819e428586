// etcd's v3lock (Lock, Unlock) and v3election (Campaign, Proclaim, Leader, Observe, Resign)
// services: translation only; the recipes are core/server/concurrency.ts.
import { status } from '@grpc/grpc-js';
import type { Credentials } from '../auth/credentials.js';
import type { EtcdBackend } from './backend.js';
import type { CallContext } from './handlers.js';
import { InvalidRequestError, toGrpcFailure } from './grpcStatus.js';
import { header, keyValueToWire, toBigInt, toNumber } from './convert.js';
import type * as admin from './proto/adminMessages.js';
import type * as pb from './proto/messages.js';
import { acquireLock, campaign, currentLeader, observe, prefixEnd, proclaim, releaseLock, resign, type KvAccess, type LeaderKey } from '../server/concurrency.js';

/** The member's KV as the caller: every read, write, lease and watch of a recipe carries its credentials. */
function kvAs(backend: EtcdBackend, credentials: Credentials): KvAccess {
  return {
    range: (request) => backend.range(request, credentials),
    txn: (request) => backend.txn(request, credentials),
    deleteRange: (request) => backend.deleteRange(request, credentials),
    leaseGrant: (id, ttlSeconds) => backend.leaseGrant(id, ttlSeconds, credentials),
    watch: (options, sink) => backend.watch(options, sink),
  };
}

interface WireLeaderKey {
  name: Uint8Array;
  key: Uint8Array;
  rev: string | number;
  lease: string | number;
}

function leaderFromWire(leader: WireLeaderKey | null | undefined): LeaderKey {
  // etcd's election service refuses a missing leader with this plain error (gRPC UNKNOWN).
  if (!leader) throw new InvalidRequestError('"leader" field must be provided', status.UNKNOWN);
  return {
    name: Buffer.from(leader.name),
    key: Buffer.from(leader.key),
    rev: toNumber(leader.rev),
    lease: toBigInt(leader.lease),
  };
}

function leaderToWire(leader: LeaderKey): admin.LeaderKey {
  return { name: leader.name, key: leader.key, rev: String(leader.rev), lease: leader.lease.toString() };
}

/**
 * etcd's v3lock and v3election servers run on an embedded client and return its errors as plain
 * Go errors, which gRPC sends as UNKNOWN with the same message ("etcdserver: requested lease not
 * found", "election: no leader"): these handlers answer the same way.
 */
function plainErrors<T extends Record<string, (request: never, call: CallContext) => Promise<object>>>(handlers: T): T {
  const wrapped: Record<string, (request: never, call: CallContext) => Promise<object>> = {};
  for (const [name, handler] of Object.entries(handlers)) {
    wrapped[name] = (request: never, call: CallContext) => handler(request, call).catch((error: unknown) => {
      throw new InvalidRequestError(toGrpcFailure(error).details, status.UNKNOWN);
    });
  }
  return wrapped as T;
}

export function lockHandlers(backend: EtcdBackend) {
  return plainErrors({
    async Lock(q: admin.LockRequest, call: CallContext): Promise<admin.LockResponse> {
      const key = await acquireLock(kvAs(backend, call.credentials), q.name, toBigInt(q.lease), call.signal);
      return { header: header(backend.header()), key };
    },
    async Unlock(q: { key: Uint8Array }, { credentials }: CallContext): Promise<{ header: pb.ResponseHeader }> {
      await releaseLock(kvAs(backend, credentials), q.key);
      return { header: header(backend.header()) };
    },
  });
}

export function electionHandlers(backend: EtcdBackend) {
  return plainErrors({
    async Campaign(q: { name: Uint8Array; lease: string | number; value: Uint8Array }, call: CallContext): Promise<{ header: pb.ResponseHeader; leader: admin.LeaderKey }> {
      const leader = await campaign(kvAs(backend, call.credentials), q.name, toBigInt(q.lease), q.value, call.signal);
      return { header: header(backend.header()), leader: leaderToWire(leader) };
    },
    async Proclaim(q: { leader: WireLeaderKey | null; value: Uint8Array }, { credentials }: CallContext): Promise<{ header: pb.ResponseHeader }> {
      await proclaim(kvAs(backend, credentials), leaderFromWire(q.leader), q.value);
      return { header: header(backend.header()) };
    },
    async Leader(q: { name: Uint8Array }, { credentials }: CallContext): Promise<admin.LeaderResponse> {
      const leader = await currentLeader(kvAs(backend, credentials), q.name);
      return { header: header(backend.header(), leader.revision), kv: keyValueToWire(leader.kv) };
    },
    async Resign(q: { leader: WireLeaderKey | null }, { credentials }: CallContext): Promise<{ header: pb.ResponseHeader }> {
      await resign(kvAs(backend, credentials), leaderFromWire(q.leader));
      return { header: header(backend.header()) };
    },
  });
}

/** The Observe stream: one LeaderResponse per leader (or leader value) change, until the call's signal aborts. */
export async function* observeStream(backend: EtcdBackend, q: { name: Uint8Array }, call: CallContext): AsyncIterable<admin.LeaderResponse> {
  // The caller must be able to read the election's keys (etcd's Observe reads them as the caller).
  const prefix = Buffer.concat([Buffer.from(q.name), Buffer.from('/')]);
  await backend.watchPermitted({ key: prefix, rangeEnd: prefixEnd(prefix), startRevision: 0, prevKv: false, noPut: false, noDelete: false }, call.credentials);
  for await (const kv of observe(kvAs(backend, call.credentials), q.name, call.signal)) yield { header: header(backend.header()), kv: keyValueToWire(kv) };
}
