// Applies committed Raft entries to the member's state: requests to the store and lessor (many
// entries in one LMDB transaction, with the applied index recorded in it), membership changes to
// Raft, the membership registry and the transport. Entries the store already holds (at or below
// its applied index, after a restart) touch only the in-memory membership. Results are handed back
// by request id for the waiting callers.
import type { Entry } from '../raft/types.js';
import type { ConfChange } from '../raft/confChange.js';
import { decodeConfChange } from '../raft/confChange.js';
import type { MvccStore } from '../mvcc/mvccStore.js';
import type { WriteBatch } from '../mvcc/writeBatch.js';
import { StoreError } from '../mvcc/errors.js';
import type { Lessor } from '../lease/lessor.js';
import type { AuthStore } from '../auth/authStore.js';
import { AuthError } from '../auth/errors.js';
import { checkLeaseRevoke, checkTxnPermitted, checkWritePermitted } from '../auth/requestPermissions.js';
import { decodeRequest, type InternalRequest, type RequestEnvelope } from './internalRequest.js';
import type { Member } from './membership.js';

/** A settled request: its result or its expected failure. */
export type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: Error };

/** The member information carried in a conf change entry's context. */
export interface ConfChangeContext {
  readonly requestId: string;
  readonly member: Member | null;
}

export function encodeConfChangeContext(context: ConfChangeContext): Uint8Array {
  return Buffer.from(JSON.stringify(context), 'utf8');
}

export function decodeConfChangeContext(bytes: Uint8Array): ConfChangeContext {
  if (bytes.length === 0) return { requestId: '0', member: null };
  return JSON.parse(Buffer.from(bytes).toString('utf8')) as ConfChangeContext;
}

export interface ApplyHooks {
  /** Applies a membership change to Raft, membership and transport. */
  confChange(change: ConfChange, context: ConfChangeContext, entry: Entry): void;
  /** Requests that do not touch the store (member attributes and URL updates). */
  membershipRequest(request: InternalRequest): void;
  /** Alarm requests run in their own store batch. */
  alarm(request: Extract<InternalRequest, { kind: 'alarm' }>): unknown;
}

/**
 * Checks a client request's permissions at apply, as etcd's auth applier does (so a role revoked
 * after the request was sent, or a token made stale by an auth change, takes effect at once).
 */
function checkCaller(auth: AuthStore, lessor: Lessor, envelope: RequestEnvelope): void {
  const caller = envelope.caller ?? null;
  if (caller === null || !auth.enabled) return;
  const request = envelope.request;
  switch (request.kind) {
    case 'put': checkWritePermitted(auth, lessor, caller, { requestPut: request.put }); break;
    case 'deleteRange': checkWritePermitted(auth, lessor, caller, { requestDeleteRange: request.deleteRange }); break;
    case 'txn': checkTxnPermitted(auth, lessor, caller, request.txn); break;
    case 'leaseRevoke': checkLeaseRevoke(auth, lessor, caller, request.id); break;
    default: break;
  }
}

function applyToBatch(batch: WriteBatch, lessor: Lessor, auth: AuthStore, envelope: RequestEnvelope, index: number): unknown {
  checkCaller(auth, lessor, envelope);
  const request = envelope.request;
  switch (request.kind) {
    case 'auth': return auth.apply(request.auth, envelope.caller ?? null, index);
    case 'put': return batch.put(request.put);
    case 'deleteRange': return batch.deleteRange(request.deleteRange);
    case 'txn': return batch.txn(request.txn);
    case 'compaction': return batch.compact(request.compaction);
    case 'leaseGrant': return lessor.grant(batch, request.id, request.ttlSeconds);
    case 'leaseRevoke': return lessor.revoke(batch, request.id);
    case 'leaseCheckpoint':
      for (const c of request.checkpoints) {
        if (lessor.exists(c.id)) lessor.checkpoint(batch, c.id, c.remainingTtlSeconds);
      }
      return null;
    default:
      throw new Error(`request kind ${request.kind} does not apply to the store`);
  }
}

function storeKind(request: InternalRequest): boolean {
  return request.kind !== 'alarm' && request.kind !== 'memberAttributes' && request.kind !== 'memberUpdate';
}

/**
 * Applies `entries` in order and returns the outcome of each request that carried an id. The
 * store's applied position is advanced to the last entry even when nothing in it wrote.
 */
export function applyEntries(store: MvccStore, lessor: Lessor, auth: AuthStore, entries: readonly Entry[], hooks: ApplyHooks): Map<bigint, Outcome> {
  const outcomes = new Map<bigint, Outcome>();
  const storeApplied = store.appliedIndex();
  let pending: { entry: Entry; envelope: RequestEnvelope }[] = [];
  let pendingLast: Entry | null = null;
  const flush = (): void => {
    if (pendingLast === null) return;
    const last = pendingLast;
    const batchEntries = pending;
    pending = [];
    pendingLast = null;
    store.applyBatch({ index: last.index, term: last.term }, (batch) => {
      for (const { entry, envelope } of batchEntries) {
        try {
          const value = applyToBatch(batch, lessor, auth, envelope, entry.index);
          if (envelope.id !== 0n) outcomes.set(envelope.id, { ok: true, value });
        } catch (error) {
          if (!(error instanceof StoreError) && !(error instanceof AuthError)) throw error;
          if (envelope.id !== 0n) outcomes.set(envelope.id, { ok: false, error });
        }
      }
    });
  };
  for (const entry of entries) {
    if (entry.type === 'confChange') {
      const change = decodeConfChange(entry.data);
      const context = decodeConfChangeContext(change.context);
      hooks.confChange(change, context, entry);
      const requestId = BigInt(context.requestId);
      if (requestId !== 0n) outcomes.set(requestId, { ok: true, value: null });
      if (entry.index > storeApplied) pendingLast = entry;
      continue;
    }
    if (entry.data.length === 0) {
      if (entry.index > storeApplied) pendingLast = entry;
      continue;
    }
    const envelope = decodeRequest(entry.data);
    if (!storeKind(envelope.request)) {
      if (envelope.request.kind === 'alarm') {
        if (entry.index <= storeApplied) continue;
        flush();
        const value = hooks.alarm(envelope.request);
        if (envelope.id !== 0n) outcomes.set(envelope.id, { ok: true, value });
        pendingLast = entry;
      } else {
        hooks.membershipRequest(envelope.request);
        if (envelope.id !== 0n) outcomes.set(envelope.id, { ok: true, value: null });
        if (entry.index > storeApplied) pendingLast = entry;
      }
      continue;
    }
    if (entry.index <= storeApplied) continue;
    pending.push({ entry, envelope });
    pendingLast = entry;
  }
  flush();
  return outcomes;
}
