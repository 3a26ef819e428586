// etcd's v3lock (Lock, Unlock) and v3election (Campaign, Proclaim, Leader, Observe, Resign)
// services: translation only; the recipes are core/server/concurrency.ts.
import type { Credentials } from '../auth/credentials.js';
import type { EtcdBackend } from './backend.js';
import { header, keyValueToWire, toBigInt, toNumber } from './convert.js';
import type * as admin from './proto/adminMessages.js';
import type * as pb from './proto/messages.js';
import { acquireLock, campaign, currentLeader, observe, prefixEnd, proclaim, releaseLock, resign, type KvAccess, type LeaderKey } from '../server/concurrency.js';

/** The member's KV as the caller: every read, write and watch of a recipe carries its credentials. */
function kvAs(backend: EtcdBackend, credentials: Credentials): KvAccess {
  return {
    range: (request) => backend.range(request, credentials),
    txn: (request) => backend.txn(request, credentials),
    deleteRange: (request) => backend.deleteRange(request, credentials),
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
  return {
    name: Buffer.from(leader?.name ?? new Uint8Array(0)),
    key: Buffer.from(leader?.key ?? new Uint8Array(0)),
    rev: toNumber(leader?.rev),
    lease: toBigInt(leader?.lease),
  };
}

function leaderToWire(leader: LeaderKey): admin.LeaderKey {
  return { name: leader.name, key: leader.key, rev: String(leader.rev), lease: leader.lease.toString() };
}

export function lockHandlers(backend: EtcdBackend) {
  return {
    async Lock(q: admin.LockRequest, credentials: Credentials): Promise<admin.LockResponse> {
      const key = await acquireLock(kvAs(backend, credentials), q.name, toBigInt(q.lease));
      return { header: header(backend.header()), key };
    },
    async Unlock(q: { key: Uint8Array }, credentials: Credentials): Promise<{ header: pb.ResponseHeader }> {
      await releaseLock(kvAs(backend, credentials), q.key);
      return { header: header(backend.header()) };
    },
  };
}

export function electionHandlers(backend: EtcdBackend) {
  return {
    async Campaign(q: { name: Uint8Array; lease: string | number; value: Uint8Array }, credentials: Credentials): Promise<{ header: pb.ResponseHeader; leader: admin.LeaderKey }> {
      const leader = await campaign(kvAs(backend, credentials), q.name, toBigInt(q.lease), q.value);
      return { header: header(backend.header()), leader: leaderToWire(leader) };
    },
    async Proclaim(q: { leader: WireLeaderKey | null; value: Uint8Array }, credentials: Credentials): Promise<{ header: pb.ResponseHeader }> {
      await proclaim(kvAs(backend, credentials), leaderFromWire(q.leader), q.value);
      return { header: header(backend.header()) };
    },
    async Leader(q: { name: Uint8Array }, credentials: Credentials): Promise<admin.LeaderResponse> {
      const leader = await currentLeader(kvAs(backend, credentials), q.name);
      return { header: header(backend.header(), leader.revision), kv: keyValueToWire(leader.kv) };
    },
    async Resign(q: { leader: WireLeaderKey | null }, credentials: Credentials): Promise<{ header: pb.ResponseHeader }> {
      await resign(kvAs(backend, credentials), leaderFromWire(q.leader));
      return { header: header(backend.header()) };
    },
  };
}

/** The Observe stream: one LeaderResponse per leader (or leader value) change. */
export async function* observeStream(backend: EtcdBackend, q: { name: Uint8Array }, credentials: Credentials): AsyncIterable<admin.LeaderResponse> {
  // The caller must be able to read the election's keys (etcd's Observe reads them as the caller).
  const prefix = Buffer.concat([Buffer.from(q.name), Buffer.from('/')]);
  await backend.watchPermitted({ key: prefix, rangeEnd: prefixEnd(prefix), startRevision: 0, prevKv: false, noPut: false, noDelete: false }, credentials);
  for await (const kv of observe(kvAs(backend, credentials), q.name)) yield { header: header(backend.header()), kv: keyValueToWire(kv) };
}
