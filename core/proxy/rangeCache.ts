// The cache of range answers, as etcd's grpc-proxy keeps one: a serializable range is answered
// from it when the same request was answered before, and every range answer (linearizable ones
// too) is stored as the serializable answer to its request. Writes through the proxy drop the
// entries whose range they touch; a compaction drops entries of revisions it removed. Writes that
// reach the cluster another way are not seen: a serializable read through the proxy may be stale
// until its entry is evicted, which serializable reads allow.
import type * as pb from '../api/proto/messages.js';

/** Entries kept (least recently used first out), as etcd's proxy keeps. */
export const cacheEntriesMax = 2048;

interface Entry {
  readonly response: pb.RangeResponse;
  readonly key: Buffer;
  /** Undefined: the single key. Empty never (an "\0" end means to the end of the key space). */
  readonly rangeEnd: Buffer | undefined;
  readonly revision: number;
}

function endOf(rangeEnd: Uint8Array | null | undefined): Buffer | undefined {
  return rangeEnd && rangeEnd.length > 0 ? Buffer.from(rangeEnd) : undefined;
}

/** True when [aKey, aEnd) and [bKey, bEnd) share a key; an end of "\0" is unbounded. */
export function rangesOverlap(aKey: Buffer, aEnd: Buffer | undefined, bKey: Buffer, bEnd: Buffer | undefined): boolean {
  const unbounded = (end: Buffer | undefined): boolean => end !== undefined && end.length === 1 && end[0] === 0;
  // The exclusive upper bound of each range (a single key ends at key + "\0").
  const upper = (key: Buffer, end: Buffer | undefined): Buffer | null => {
    if (end === undefined) return Buffer.concat([key, Buffer.from([0])]);
    return unbounded(end) ? null : end;
  };
  const aUpper = upper(aKey, aEnd);
  const bUpper = upper(bKey, bEnd);
  const aBeforeB = aUpper !== null && Buffer.compare(aUpper, bKey) <= 0;
  const bBeforeA = bUpper !== null && Buffer.compare(bUpper, aKey) <= 0;
  return !aBeforeB && !bBeforeA;
}

export class RangeCache {
  private readonly entries = new Map<string, Entry>();
  private compactedRevision = 0;

  get size(): number {
    return this.entries.size;
  }

  /**
   * Every field of the request but `serializable` (the cache answers both kinds alike), and the
   * scope, each prefixed with its length so no two requests share a key.
   */
  private static cacheKey(request: pb.RangeRequest, scope: string): string {
    const bytes = (value: Uint8Array | null | undefined): string => (value ? Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1') : '');
    return [
      scope, bytes(request.key), bytes(request.range_end), request.limit ?? 0, request.revision ?? 0, request.sort_order ?? '',
      request.sort_target ?? '', request.keys_only ?? false, request.count_only ?? false, request.min_mod_revision ?? 0,
      request.max_mod_revision ?? 0, request.min_create_revision ?? 0, request.max_create_revision ?? 0,
    ].map((field) => {
      const text = String(field);
      return `${text.length}:${text}`;
    }).join('');
  }

  /** The stored answer to `request` (for callers of `scope`, their token), or undefined. */
  get(request: pb.RangeRequest, scope: string): pb.RangeResponse | undefined {
    const key = RangeCache.cacheKey(request, scope);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.revision > 0 && entry.revision < this.compactedRevision) {
      this.entries.delete(key);
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.response;
  }

  add(request: pb.RangeRequest, scope: string, response: pb.RangeResponse): void {
    const revision = Number(request.revision ?? 0);
    if (revision > 0 && revision < this.compactedRevision) return;
    const key = RangeCache.cacheKey(request, scope);
    this.entries.delete(key);
    this.entries.set(key, { response, key: Buffer.from(request.key), rangeEnd: endOf(request.range_end), revision });
    while (this.entries.size > cacheEntriesMax) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  /** Drops every entry whose range shares a key with [key, rangeEnd). */
  invalidate(key: Uint8Array, rangeEnd: Uint8Array | null | undefined): void {
    const from = Buffer.from(key);
    const end = endOf(rangeEnd);
    for (const [cacheKey, entry] of this.entries) {
      if (rangesOverlap(entry.key, entry.rangeEnd, from, end)) this.entries.delete(cacheKey);
    }
  }

  /** Drops the ranges every write of a transaction (both branches, and its compares) touches. */
  invalidateTxn(request: pb.TxnRequest): void {
    for (const compare of request.compare ?? []) this.invalidate(compare.key, compare.range_end);
    for (const op of [...(request.success ?? []), ...(request.failure ?? [])]) {
      const wire = op as Partial<Record<string, unknown>>;
      const put = wire['request_put'] as pb.PutRequest | null | undefined;
      const remove = wire['request_delete_range'] as pb.DeleteRangeRequest | null | undefined;
      const txn = wire['request_txn'] as pb.TxnRequest | null | undefined;
      if (put) this.invalidate(put.key, undefined);
      if (remove) this.invalidate(remove.key, remove.range_end);
      if (txn) this.invalidateTxn(txn);
    }
  }

  /** Entries at revisions below `revision` are gone from the cluster. */
  compact(revision: number): void {
    this.compactedRevision = Math.max(this.compactedRevision, revision);
  }
}
