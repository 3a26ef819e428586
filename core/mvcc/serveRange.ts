// etcd's Range semantics over a StoreReader: which revision is readable, limit with `more` and
// `count`, sort order and target, keysOnly, countOnly and the min/max revision filters, applied
// in etcd's order (fetch, filter, sort, truncate).
import { CompactedError, FutureRevisionError } from './errors.js';
import { compareBytes } from './encoding.js';
import { keyRange, rangeIsEmpty } from './keyRange.js';
import type { StoreReader } from './storeReader.js';
import type { KeyValue, RangeKvSink, RangeRequest, RangeResponse, RangeSummary, Revision, SortTarget } from './types.js';

/** Revision bounds a read must respect. `view` is the newest revision the reader sees. */
export interface ReadableRevisions {
  readonly view: Revision;
  readonly compacted: Revision;
  /** The revision reported in responses (the store's revision when the read runs). */
  readonly reported: Revision;
}

/**
 * Throws FutureRevisionError when `revision` is above the view and CompactedError when it is
 * below the compacted revision (reading exactly at the compacted revision is allowed, as etcd).
 */
export function checkReadRevision(revision: Revision, bounds: ReadableRevisions): void {
  if (revision > bounds.view) throw new FutureRevisionError();
  if (revision > 0 && revision < bounds.compacted) throw new CompactedError(bounds.compacted);
}

/** Serves one RangeRequest. Throws the errors of `checkReadRevision` and of `keyRange`. */
export function serveRange(reader: StoreReader, request: RangeRequest, bounds: ReadableRevisions): RangeResponse {
  const requested = request.revision ?? 0;
  checkReadRevision(requested, bounds);
  const range = keyRange(request.key, request.rangeEnd);
  const revision = requested > 0 ? requested : bounds.view;
  if (rangeIsEmpty(range)) return { revision: bounds.reported, kvs: [], more: false, count: 0 };

  const limit = request.limit ?? 0;
  const sortOrderRequested = request.sortOrder ?? 'NONE';
  const filtered =
    (request.minModRevision ?? 0) !== 0 ||
    (request.maxModRevision ?? 0) !== 0 ||
    (request.minCreateRevision ?? 0) !== 0 ||
    (request.maxCreateRevision ?? 0) !== 0;
  // Keys come in key order, so ascending by key is no sort at all; other targets default to ascending.
  const sortTarget = request.sortTarget ?? 'KEY';
  let sortOrder = sortOrderRequested;
  if (sortTarget !== 'KEY' && sortOrder === 'NONE') sortOrder = 'ASCEND';
  if (sortTarget === 'KEY' && sortOrder === 'ASCEND') sortOrder = 'NONE';
  // Fetch everything when sorting or filtering, otherwise one extra to learn `more`: a page in key
  // order (what a paging client asks) costs the page, not the range.
  const fetchLimit = sortOrder !== 'NONE' || filtered || limit <= 0 ? 0 : limit + 1;
  const wantKvs = request.countOnly !== true;
  const scan =
    revision === bounds.view
      ? reader.liveRange(range, fetchLimit, wantKvs)
      : reader.historicalRange(range, revision, fetchLimit, wantKvs);

  let kvs = scan.kvs.filter((kv) => passesFilters(kv, request));
  if (sortOrder !== 'NONE') {
    const sign = sortOrder === 'ASCEND' ? 1 : -1;
    kvs = kvs.slice().sort((a, b) => sign * compareBy(sortTarget, a, b));
  }
  let more = false;
  if (limit > 0 && kvs.length > limit) {
    kvs = kvs.slice(0, limit);
    more = true;
  }
  if (request.keysOnly === true) kvs = kvs.map((kv) => ({ ...kv, value: new Uint8Array(0) }));
  return { revision: bounds.reported, kvs, more, count: scan.count };
}

/**
 * Whether `serveRangeInto` takes `request` (as far as the request alone tells): the current keys
 * of a key range in key order, all of them or `limit`, without filters, values or not.
 */
export function rangeGoesToSink(request: RangeRequest): boolean {
  return (
    (request.revision ?? 0) === 0 &&
    request.countOnly !== true &&
    (request.minModRevision ?? 0) === 0 &&
    (request.maxModRevision ?? 0) === 0 &&
    (request.minCreateRevision ?? 0) === 0 &&
    (request.maxCreateRevision ?? 0) === 0 &&
    (request.sortTarget ?? 'KEY') === 'KEY' &&
    ((request.sortOrder ?? 'NONE') === 'NONE' || request.sortOrder === 'ASCEND') &&
    (request.limit ?? 0) >= 0 &&
    request.key.length > 0 &&
    (request.rangeEnd?.length ?? 0) > 0
  );
}

/**
 * Serves `request` as `serveRange` would, but with each kv handed to `sink` as the store reads it
 * (no object per kv) and the rest of the answer returned, for a request `rangeGoesToSink` takes.
 * Null when the scan cannot go this way (an empty range, a long bound, long keys in the range),
 * before or during it: the caller drops what the sink took and calls `serveRange`. `keysOnly` is
 * the sink's to honour.
 */
export function serveRangeInto(reader: StoreReader, request: RangeRequest, bounds: ReadableRevisions, sink: RangeKvSink): RangeSummary | null {
  if (!rangeGoesToSink(request)) return null;
  const range = keyRange(request.key, request.rangeEnd);
  if (rangeIsEmpty(range)) return null;
  const limit = request.limit ?? 0;
  const scan = reader.liveRangeInto(range, limit, sink);
  if (scan === null) return null;
  return { revision: bounds.reported, sent: scan.sent, more: limit > 0 && scan.count > limit, count: scan.count };
}

function passesFilters(kv: KeyValue, request: RangeRequest): boolean {
  const minMod = request.minModRevision ?? 0;
  const maxMod = request.maxModRevision ?? 0;
  const minCreate = request.minCreateRevision ?? 0;
  const maxCreate = request.maxCreateRevision ?? 0;
  if (minMod !== 0 && kv.modRevision < minMod) return false;
  if (maxMod !== 0 && kv.modRevision > maxMod) return false;
  if (minCreate !== 0 && kv.createRevision < minCreate) return false;
  if (maxCreate !== 0 && kv.createRevision > maxCreate) return false;
  return true;
}

/** Orders two kvs by one sort target; ties keep key order (the sort is stable). */
export function compareBy(target: SortTarget, a: KeyValue, b: KeyValue): number {
  switch (target) {
    case 'KEY':
      return compareBytes(a.key, b.key);
    case 'VERSION':
      return a.version - b.version;
    case 'CREATE':
      return a.createRevision - b.createRevision;
    case 'MOD':
      return a.modRevision - b.modRevision;
    case 'VALUE':
      return compareBytes(a.value, b.value);
  }
}
