// Reads over the store's tables: the live table for current-revision ranges (O(log n + k), never
// touching history), the history index for reads at a past revision, and the revisions table for
// watch replay. Reads inside a write transaction see that transaction's writes. Deciding which
// revision is readable (compaction, future) is the store's business.
import { assert, fail } from '../raft/assert.js';
import type { Backend } from './backend.js';
import {
  decodeKvRecord,
  decodeLiveKv,
  decodeRevision,
  encodeRevision,
  escapeKeyWithTerminator,
  frame,
  historyKey,
  historyPrefix,
  inlineKeyBytesMax,
  isHashedStorageKey,
  revisionBytes,
  storageKey,
  storageKeyDigestBytes,
  unescapeHistoryPrefix,
  unframe,
} from './encoding.js';
import { rangeContains, storageBounds } from './keyRange.js';
import type { KeyRange, StorageBounds } from './keyRange.js';
import type { Event, KeyValue, RangeKvSink, Revision, RevisionEvents } from './types.js';

const historyPutCode = 1;
const historyDeleteCode = 2;
/** History entries of one key a historical range reads before seeking past the rest of them. */
export const historyVersionsScannedPerKeyMax = 32;
/** Bytes of a history value without a user key: the frame header and the kind. */
const historyValueShortBytes = 8 + 1;

/**
 * A history index value: the kind of record the (key, revision) entry points at, followed, for a
 * hashed long key only, by the full user key (so range reads can order such keys without reading
 * every record).
 */
export function encodeHistoryValue(kind: 'put' | 'delete', key: Uint8Array): Buffer {
  const code = Buffer.from([kind === 'put' ? historyPutCode : historyDeleteCode]);
  return frame(key.length > inlineKeyBytesMax ? Buffer.concat([code, key]) : code);
}

function historyKind(bytes: Uint8Array): 'put' | 'delete' {
  const payload = unframe(bytes);
  assert(payload.length >= 1, 'history value holds a kind');
  return payload[0] === historyPutCode ? 'put' : 'delete';
}

/** What a scan found: kvs (possibly limited) and the count of every key in range. */
export interface RangeScan {
  readonly kvs: KeyValue[];
  /** Keys in the range at the revision read. */
  readonly count: number;
}

/** A key found by a historical scan: where its visible version lives. */
interface FoundVersion {
  readonly prefix: Buffer;
  readonly main: Revision;
  readonly sub: number;
  readonly value: Uint8Array;
}

const byKey = (a: KeyValue, b: KeyValue): number => Buffer.compare(a.key, b.key);

/** Read access to the store's tables. Stateless apart from the backend it reads. */
export class StoreReader {
  constructor(private readonly backend: Backend) {}

  /** The current version of `key`, if it exists. */
  liveGet(key: Uint8Array): KeyValue | undefined {
    const kv = this.backend.table('live').getKv(storageKey(key));
    if (kv === undefined) return undefined;
    assert(Buffer.compare(kv.key, key) === 0, 'a storage key names exactly one user key');
    return kv;
  }

  /**
   * Current keys in `range`: at most `limit` (0 = no limit) kvs in key order, and the count of
   * every key in the range. O(log n + k): stops reading once `limit` keys are out.
   */
  liveRange(range: KeyRange, limit: number, wantKvs: boolean): RangeScan {
    if (range.single) {
      const kv = this.liveGet(range.start);
      return { kvs: kv !== undefined && wantKvs ? [kv] : [], count: kv === undefined ? 0 : 1 };
    }
    const bounds = storageBounds(range);
    const live = this.backend.table('live');
    const options = bounds.end === null ? { start: bounds.start } : { start: bounds.start, end: bounds.end };
    const kvs: KeyValue[] = [];
    if (wantKvs) {
      // Hashed long keys sharing an inline prefix come in digest order: buffer such a run, sort it.
      let run: KeyValue[] = [];
      let runPrefix: Buffer | null = null;
      const keep = (kv: KeyValue): void => {
        if (bounds.exact || rangeContains(range, kv.key)) kvs.push(kv);
      };
      const flush = (): void => {
        run.sort(byKey).forEach(keep);
        run = [];
        runPrefix = null;
      };
      const full = (): boolean => limit > 0 && kvs.length >= limit;
      for (const { key, value: kv } of live.getKvRange(options)) {
        if (isHashedStorageKey(key)) {
          const prefix = key.subarray(0, inlineKeyBytesMax);
          if (runPrefix !== null && !runPrefix.equals(prefix)) flush();
          if (full()) break;
          runPrefix = prefix;
          run.push(kv);
        } else {
          flush();
          if (full()) break;
          keep(kv);
        }
      }
      flush();
      if (limit > 0 && kvs.length > limit) kvs.length = limit;
    }
    return { kvs, count: live.getCount(options) - this.liveOutside(range, bounds) };
  }

  /**
   * As `liveRange` with kvs wanted, but each kv goes to `sink` as it is read, in place, and only the
   * count comes back: no object per kv. Null, before or during the scan, when the range cannot go
   * this way — a single key, bounds that are not exact, or a long (hashed) key in it, whose order
   * needs the buffered sort of `liveRange`; the caller then drops what the sink took and asks
   * `liveRange`.
   */
  liveRangeInto(range: KeyRange, limit: number, sink: RangeKvSink): { readonly sent: number; readonly count: number } | null {
    if (range.single) return null;
    const bounds = storageBounds(range);
    if (!bounds.exact) return null;
    const options = bounds.end === null ? { start: bounds.start } : { start: bounds.start, end: bounds.end };
    let sent = 0;
    let hashed = false;
    this.backend.table('live').visitLiveRange(options, (record) => {
      if (limit > 0 && sent >= limit) return false;
      if (record.keyEnd - record.keyStart > inlineKeyBytesMax) {
        hashed = true;
        return false;
      }
      sink.kv(record);
      sent += 1;
      return true;
    });
    if (hashed) return null;
    return { sent, count: this.backend.table('live').getCount(options) };
  }

  /** Live entries inside `bounds` but outside `range` (hashed neighbours of a long bound). */
  private liveOutside(range: KeyRange, bounds: StorageBounds): number {
    if (bounds.exact) return 0;
    const groups = new Map<string, Buffer>();
    for (const bound of [range.start, range.end]) {
      if (bound === null || bound.length <= inlineKeyBytesMax) continue;
      const prefix = bound.subarray(0, inlineKeyBytesMax);
      groups.set(prefix.toString('latin1'), prefix);
    }
    let outside = 0;
    for (const prefix of groups.values()) {
      const groupEnd = Buffer.concat([prefix, Buffer.alloc(storageKeyDigestBytes + 1, 0xff)]);
      const end = bounds.end !== null && Buffer.compare(bounds.end, groupEnd) < 0 ? bounds.end : groupEnd;
      const start = Buffer.compare(prefix, bounds.start) > 0 ? prefix : bounds.start;
      for (const { value } of this.backend.table('live').getRange({ start, end })) {
        if (!rangeContains(range, decodeLiveKv(value).key)) outside += 1;
      }
    }
    return outside;
  }

  /**
   * Keys in `range` as they were at `revision`: at most `limit` (0 = no limit) kvs in key order
   * and the count of keys that existed then. Scans the history entries of the range, but a key
   * with more than `historyVersionsScannedPerKeyMax` versions costs two seeks instead of a scan of
   * all its versions.
   */
  historicalRange(range: KeyRange, revision: Revision, limit: number, wantKvs: boolean): RangeScan {
    if (range.single) {
      const kv = this.keyAt(range.start, revision);
      return { kvs: kv !== undefined && wantKvs ? [kv] : [], count: kv === undefined ? 0 : 1 };
    }
    const bounds = storageBounds(range);
    const end = bounds.end === null ? null : escapeKeyWithTerminator(bounds.end);
    let start = escapeKeyWithTerminator(bounds.start);
    // Entries of one key are adjacent and share the escaped prefix; group on it without unescaping.
    let found: FoundVersion[] = [];
    let sawHashed = false;
    let groupPrefix: Buffer | null = null;
    let groupEntries = 0;
    let latest: FoundVersion | null = null;
    const closeGroup = (): void => {
      if (latest !== null && historyKind(latest.value) === 'put') found.push(latest);
      latest = null;
    };
    const history = this.backend.table('history');
    let scanning = true;
    while (scanning) {
      scanning = false;
      for (const { key, value } of history.getRange(end === null ? { start } : { start, end })) {
        const prefix = key.subarray(0, key.length - revisionBytes);
        if (groupPrefix === null || !groupPrefix.equals(prefix)) {
          closeGroup();
          groupPrefix = prefix;
          groupEntries = 0;
        }
        if (value.length > historyValueShortBytes) sawHashed = true;
        groupEntries += 1;
        if (groupEntries > historyVersionsScannedPerKeyMax) {
          // A hot key: seek to its visible version, then past all of its entries.
          latest = this.visibleVersion(prefix, revision);
          closeGroup();
          groupPrefix = null;
          start = Buffer.concat([prefix, Buffer.from([0xff])]);
          scanning = true;
          break;
        }
        const { main, sub } = decodeRevision(key, key.length - revisionBytes);
        if (main <= revision) latest = { prefix, main, sub, value };
      }
    }
    closeGroup();
    if (sawHashed || !bounds.exact) found = this.orderFound(found, range);
    const selected = limit > 0 ? found.slice(0, limit) : found;
    const kvs = wantKvs ? selected.map((version) => this.revisionKv(version.main, version.sub)) : [];
    return { kvs, count: found.length };
  }

  /** The history entry of the key with history prefix `prefix` visible at `revision`, if any. */
  private visibleVersion(prefix: Buffer, revision: Revision): FoundVersion | null {
    const options = { start: Buffer.concat([prefix, encodeRevision(revision + 1, 0)]), end: prefix, reverse: true, exclusiveStart: true, limit: 1 };
    for (const { key, value } of this.backend.table('history').getRange(options)) {
      const { main, sub } = decodeRevision(key, key.length - revisionBytes);
      return { prefix, main, sub, value };
    }
    return null;
  }

  /** Puts found versions in full-key order and drops those outside `range`. */
  private orderFound(found: readonly FoundVersion[], range: KeyRange): FoundVersion[] {
    const keyed = found.map((version) => {
      const payload = unframe(version.value);
      const key = payload.length > 1 ? payload.subarray(1) : unescapeHistoryPrefix(version.prefix);
      return { version, key };
    });
    return keyed
      .filter(({ key }) => rangeContains(range, key))
      .sort((a, b) => Buffer.compare(a.key, b.key))
      .map(({ version }) => version);
  }

  /** The version of `key` visible at `revision`, or undefined if absent or deleted then. */
  keyAt(key: Uint8Array, revision: Revision): KeyValue | undefined {
    return this.latestBefore(key, revision + 1);
  }

  /** The latest version of `key` written strictly before `revision`, if it was not deleted. */
  latestBefore(key: Uint8Array, revision: Revision): KeyValue | undefined {
    const prefix = historyPrefix(key);
    const options = { start: Buffer.concat([prefix, encodeRevision(revision, 0)]), end: prefix, reverse: true, exclusiveStart: true, limit: 1 };
    for (const { key: entryKey, value } of this.backend.table('history').getRange(options)) {
      if (historyKind(value) === 'delete') return undefined;
      const { main, sub } = decodeRevision(entryKey, entryKey.length - revisionBytes);
      return this.revisionKv(main, sub);
    }
    return undefined;
  }

  /** The kv written at (main, sub). The record must exist. */
  revisionKv(main: Revision, sub: number): KeyValue {
    const bytes = this.backend.table('revisions').get(encodeRevision(main, sub));
    if (bytes === undefined) fail(`history points at missing revision ${main}.${sub}`);
    return decodeKvRecord(bytes).kv;
  }

  /** True when the history index holds an entry of `key` in (after, upTo]. */
  hasVersionBetween(key: Uint8Array, after: { main: Revision; sub: number }, upTo: Revision): boolean {
    const options = {
      start: historyKey(key, after.main, after.sub),
      end: Buffer.concat([historyPrefix(key), encodeRevision(upTo + 1, 0)]),
      exclusiveStart: true,
      limit: 1,
    };
    for (const _ of this.backend.table('history').getRange(options)) return true;
    return false;
  }

  /**
   * Changes of main revisions in [fromRevision, toRevision], grouped per revision, stopping after
   * `revisionsMax` revisions. Put events carry prevKv when `withPrevKv`.
   */
  revisionsBetween(fromRevision: Revision, toRevision: Revision, revisionsMax: number, withPrevKv: boolean): RevisionEvents[] {
    assert(revisionsMax > 0, 'revisionsMax must be positive');
    const out: RevisionEvents[] = [];
    if (toRevision < fromRevision) return out;
    const options = { start: encodeRevision(fromRevision, 0), end: encodeRevision(toRevision + 1, 0) };
    let events: Event[] = [];
    let current = -1;
    for (const { value } of this.backend.table('revisions').getRange(options)) {
      const record = decodeKvRecord(value);
      const main = record.kv.modRevision;
      if (main !== current) {
        if (events.length > 0) out.push({ revision: current, events });
        if (out.length >= revisionsMax) return out;
        events = [];
        current = main;
      }
      const prevKv = withPrevKv ? this.latestBefore(record.kv.key, main) : undefined;
      const type = record.kind === 'put' ? 'PUT' : 'DELETE';
      events.push(prevKv === undefined ? { type, kv: record.kv } : { type, kv: record.kv, prevKv });
    }
    if (events.length > 0) out.push({ revision: current, events });
    return out;
  }
}
