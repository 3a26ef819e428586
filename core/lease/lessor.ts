// Leases (etcd's lessor): grant, revoke, checkpoint — applied through Raft inside the store's
// batch transaction, so lease records commit with the keys they govern — and the leader-local
// side: keep-alive, time-to-live and expiry decisions with an injected clock. Only the primary
// (the leader) tracks expiry; it reports expired ids through `expired()` and the server proposes
// their revokes. Persisted per lease: id, granted TTL and the last checkpointed remaining TTL.
// Which keys a lease holds is not stored twice: it is rebuilt from the store's live keys at open.
import { assert, fail } from '../raft/assert.js';
import { decodeInt64Key, encodeInt64Key, frame, unframe } from '../mvcc/encoding.js';
import {
  LeaseExistsError,
  LeaseNotFoundError,
  LeaseNotPrimaryError,
  LeaseTtlTooLargeError,
  NoSpaceError,
} from '../mvcc/errors.js';
import type { MvccStore } from '../mvcc/mvccStore.js';
import type { Revision } from '../mvcc/types.js';
import type { LeaseAttachments, WriteBatch } from '../mvcc/writeBatch.js';

/** etcd's default minimum lease TTL; shorter grants are raised to it. */
export const leaseTtlMinSecondsDefault = 5;
/** etcd's MaxLeaseTTL. */
export const leaseTtlMaxSeconds = 9_000_000_000;
/** Most lease ids one `expired()` call reports (etcd revokes at most 1000 leases per second). */
export const expiredLeasesMax = 1000;
/** Most leases one `checkpoints()` call reports. */
export const checkpointLeasesMax = 1000;

/** Milliseconds since some epoch; injected so tests and the simulator control time. */
export type Clock = () => number;

/** The lessor's clock (ms) and minimum TTL (seconds). */
export interface LessorOptions {
  readonly clock: Clock;
  readonly minTtlSeconds?: number;
}

export interface LeaseGrantResult {
  readonly id: bigint;
  readonly ttlSeconds: number;
}

export interface LeaseTimeToLive {
  readonly id: bigint;
  /** Remaining seconds (rounded up); -1 once expired and awaiting revoke. */
  readonly ttlSeconds: number;
  readonly grantedTtlSeconds: number;
  /** Attached keys in key order (empty unless asked for). */
  readonly keys: Buffer[];
}

/** A remaining TTL the primary wants recorded through Raft. */
export interface LeaseCheckpoint {
  readonly id: bigint;
  readonly remainingTtlSeconds: number;
}

interface Lease {
  readonly id: bigint;
  readonly ttlSeconds: number;
  /** Last checkpointed remaining TTL; 0 when never checkpointed. Persisted. */
  remainingTtlSeconds: number;
  /** Leader-local expiry; +Infinity when not primary. Never persisted. */
  expiryMs: number;
  readonly keys: Map<string, Buffer>;
}

function encodeLease(lease: Lease): Buffer {
  const payload = Buffer.alloc(16);
  payload.writeDoubleBE(lease.ttlSeconds, 0);
  payload.writeDoubleBE(lease.remainingTtlSeconds, 8);
  return frame(payload);
}

/** The lessor of one store. Register it before applying any request that carries a lease. */
export class Lessor implements LeaseAttachments {
  private readonly leases = new Map<bigint, Lease>();
  private readonly clock: Clock;
  private readonly minTtlSeconds: number;
  private primary = false;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: MvccStore,
    options: LessorOptions,
  ) {
    this.clock = options.clock;
    this.minTtlSeconds = options.minTtlSeconds ?? leaseTtlMinSecondsDefault;
    this.reload();
    store.setLeaseAttachments(this);
    this.unsubscribe = store.onAbort(() => this.reload());
  }

  /** Rebuilds leases and attachments from the tables, keeping known expiries. */
  private reload(): void {
    const expiries = new Map([...this.leases].map(([id, lease]) => [id, lease.expiryMs]));
    this.leases.clear();
    for (const { key, value } of this.store.backend.table('leases').getRange({})) {
      const payload = unframe(value);
      assert(payload.length === 16, 'lease record is 16 bytes');
      const id = decodeInt64Key(key);
      const lease: Lease = {
        id,
        ttlSeconds: payload.readDoubleBE(0),
        remainingTtlSeconds: payload.readDoubleBE(8),
        expiryMs: expiries.get(id) ?? Number.POSITIVE_INFINITY,
        keys: new Map(),
      };
      this.leases.set(id, lease);
      if (this.primary && !expiries.has(id)) this.refresh(lease, 0);
    }
    // With no lease there is nothing to attach: skip reading every key (a big store's reload).
    for (const kv of this.leases.size === 0 ? [] : this.store.liveKeyValues()) {
      if (kv.lease === 0n) continue;
      const lease = this.leases.get(kv.lease);
      if (lease === undefined) fail(`key attached to missing lease ${kv.lease}`);
      const key = Buffer.from(kv.key);
      lease.keys.set(key.toString('latin1'), key);
    }
  }

  /** True while this member decides expiry (it is the leader). */
  get isPrimary(): boolean {
    return this.primary;
  }

  exists(id: bigint): boolean {
    return this.leases.has(id);
  }

  attach(id: bigint, key: Buffer): void {
    const lease = this.leases.get(id);
    assert(lease !== undefined, 'attach to a granted lease');
    lease.keys.set(key.toString('latin1'), Buffer.from(key));
  }

  detach(id: bigint, key: Buffer): void {
    const lease = this.leases.get(id);
    if (lease !== undefined) lease.keys.delete(key.toString('latin1'));
  }

  /**
   * Applies a LeaseGrant inside `batch`. The id is chosen before proposing (apply never invents
   * one); a TTL below the minimum is raised. Throws LeaseExistsError, LeaseTtlTooLargeError,
   * NoSpaceError (NOSPACE alarm active).
   */
  grant(batch: WriteBatch, id: bigint, ttlSeconds: number): LeaseGrantResult {
    assert(id !== 0n, 'lease id 0 means "no lease" and is never granted');
    assert(Number.isInteger(ttlSeconds), 'lease TTL is whole seconds');
    batch.assertOpen();
    if (this.leases.has(id)) throw new LeaseExistsError(id);
    if (ttlSeconds > leaseTtlMaxSeconds) throw new LeaseTtlTooLargeError();
    if (this.store.alarms().some((alarm) => alarm.alarm === 'NOSPACE')) throw new NoSpaceError();
    const ttl = Math.max(ttlSeconds, this.minTtlSeconds);
    const lease: Lease = { id, ttlSeconds: ttl, remainingTtlSeconds: 0, expiryMs: Number.POSITIVE_INFINITY, keys: new Map() };
    this.store.backend.table('leases').putSync(encodeInt64Key(id), encodeLease(lease));
    this.leases.set(id, lease);
    if (this.primary) this.refresh(lease, 0);
    return { id, ttlSeconds: ttl };
  }

  /**
   * Applies a LeaseRevoke inside `batch`: every attached key is deleted in one revision (watchers
   * see the deletes) and the lease is gone. Returns the store revision after. Throws
   * LeaseNotFoundError.
   */
  revoke(batch: WriteBatch, id: bigint): Revision {
    const lease = this.leases.get(id);
    if (lease === undefined) throw new LeaseNotFoundError(id);
    const revision = batch.deleteKeys([...lease.keys.values()]);
    assert(lease.keys.size === 0, 'revoke detached every key');
    this.store.backend.table('leases').removeSync(encodeInt64Key(id));
    this.leases.delete(id);
    return revision;
  }

  /**
   * Applies a LeaseCheckpoint inside `batch`: records the remaining TTL so it survives restarts
   * and leader changes. Throws LeaseNotFoundError.
   */
  checkpoint(batch: WriteBatch, id: bigint, remainingTtlSeconds: number): void {
    batch.assertOpen();
    const lease = this.leases.get(id);
    if (lease === undefined) throw new LeaseNotFoundError(id);
    lease.remainingTtlSeconds = Math.max(0, Math.ceil(remainingTtlSeconds));
    this.store.backend.table('leases').putSync(encodeInt64Key(id), encodeLease(lease));
    if (this.primary) this.refresh(lease, 0);
  }

  /**
   * Keep-alive on the primary: the lease lives for its full TTL from now. Returns the TTL.
   * Throws LeaseNotPrimaryError off the leader and LeaseNotFoundError for an unknown or expired
   * lease.
   */
  renew(id: bigint): number {
    if (!this.primary) throw new LeaseNotPrimaryError();
    const lease = this.leases.get(id);
    if (lease === undefined || lease.expiryMs <= this.clock()) throw new LeaseNotFoundError(id);
    lease.expiryMs = this.clock() + lease.ttlSeconds * 1000;
    lease.remainingTtlSeconds = 0;
    return lease.ttlSeconds;
  }

  /** etcd's LeaseTimeToLive. Throws LeaseNotFoundError. */
  timeToLive(id: bigint, withKeys: boolean): LeaseTimeToLive {
    const lease = this.leases.get(id);
    if (lease === undefined) throw new LeaseNotFoundError(id);
    const keys = withKeys ? [...lease.keys.values()].sort((a, b) => Buffer.compare(a, b)) : [];
    return { id, ttlSeconds: this.remainingSeconds(lease), grantedTtlSeconds: lease.ttlSeconds, keys };
  }

  /** Granted lease ids in ascending order. */
  list(): bigint[] {
    return [...this.leases.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /**
   * Becomes primary (new leader): every lease expires `extendMs` after its remaining TTL from now,
   * so leases do not all expire at once because the old leader's keep-alives were lost.
   */
  promote(extendMs: number): void {
    this.primary = true;
    for (const lease of this.leases.values()) this.refresh(lease, extendMs);
  }

  /** Stops deciding expiry (no longer leader). */
  demote(): void {
    this.primary = false;
    for (const lease of this.leases.values()) lease.expiryMs = Number.POSITIVE_INFINITY;
  }

  /**
   * Ids of leases past expiry, soonest first, at most `expiredLeasesMax`. Empty unless primary.
   * The server proposes a revoke for each; they stay reported until revoked.
   */
  expired(): bigint[] {
    if (!this.primary) return [];
    const now = this.clock();
    const due = [...this.leases.values()].filter((lease) => lease.expiryMs <= now);
    due.sort((a, b) => a.expiryMs - b.expiryMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return due.slice(0, expiredLeasesMax).map((lease) => lease.id);
  }

  /**
   * Remaining TTLs the primary wants recorded (proposed by the server as checkpoint ops), for
   * leases whose remaining time differs from the last checkpoint; at most `checkpointLeasesMax`.
   */
  checkpoints(): LeaseCheckpoint[] {
    if (!this.primary) return [];
    const out: LeaseCheckpoint[] = [];
    for (const id of this.list()) {
      const lease = this.leases.get(id)!;
      const remaining = this.remainingSeconds(lease);
      if (remaining < 0 || remaining === lease.remainingTtlSeconds) continue;
      out.push({ id, remainingTtlSeconds: remaining });
      if (out.length >= checkpointLeasesMax) break;
    }
    return out;
  }

  /** Detaches from the store. */
  close(): void {
    this.unsubscribe();
  }

  private refresh(lease: Lease, extendMs: number): void {
    const seconds = lease.remainingTtlSeconds > 0 ? lease.remainingTtlSeconds : lease.ttlSeconds;
    lease.expiryMs = this.clock() + extendMs + seconds * 1000;
  }

  private remainingSeconds(lease: Lease): number {
    if (!Number.isFinite(lease.expiryMs)) {
      return lease.remainingTtlSeconds > 0 ? lease.remainingTtlSeconds : lease.ttlSeconds;
    }
    const remainingMs = lease.expiryMs - this.clock();
    return remainingMs <= 0 ? -1 : Math.ceil(remainingMs / 1000);
  }
}
