// etcd's v3lock (Lock, Unlock) and v3election (Campaign, Proclaim, Leader, Observe, Resign)
// services: translation only; the recipes are core/server/concurrency.ts.
import type { EtcdBackend } from './backend.js';
import { header, keyValueToWire, toBigInt, toNumber } from './convert.js';
import type * as admin from './proto/adminMessages.js';
import type * as pb from './proto/messages.js';
import { acquireLock, campaign, currentLeader, observe, proclaim, releaseLock, resign, type LeaderKey } from '../server/concurrency.js';

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
    async Lock(q: admin.LockRequest): Promise<admin.LockResponse> {
      const key = await acquireLock(backend, q.name, toBigInt(q.lease));
      return { header: header(backend.header()), key };
    },
    async Unlock(q: { key: Uint8Array }): Promise<{ header: pb.ResponseHeader }> {
      await releaseLock(backend, q.key);
      return { header: header(backend.header()) };
    },
  };
}

export function electionHandlers(backend: EtcdBackend) {
  return {
    async Campaign(q: { name: Uint8Array; lease: string | number; value: Uint8Array }): Promise<{ header: pb.ResponseHeader; leader: admin.LeaderKey }> {
      const leader = await campaign(backend, q.name, toBigInt(q.lease), q.value);
      return { header: header(backend.header()), leader: leaderToWire(leader) };
    },
    async Proclaim(q: { leader: WireLeaderKey | null; value: Uint8Array }): Promise<{ header: pb.ResponseHeader }> {
      await proclaim(backend, leaderFromWire(q.leader), q.value);
      return { header: header(backend.header()) };
    },
    async Leader(q: { name: Uint8Array }): Promise<admin.LeaderResponse> {
      const leader = await currentLeader(backend, q.name);
      return { header: header(backend.header(), leader.revision), kv: keyValueToWire(leader.kv) };
    },
    async Resign(q: { leader: WireLeaderKey | null }): Promise<{ header: pb.ResponseHeader }> {
      await resign(backend, leaderFromWire(q.leader));
      return { header: header(backend.header()) };
    },
  };
}

/** The Observe stream: one LeaderResponse per leader (or leader value) change. */
export async function* observeStream(backend: EtcdBackend, q: { name: Uint8Array }): AsyncIterable<admin.LeaderResponse> {
  for await (const kv of observe(backend, q.name)) yield { header: header(backend.header()), kv: keyValueToWire(kv) };
}
