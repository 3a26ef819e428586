// etcd's key-range convention in one place: an absent or empty rangeEnd means the single key, a
// rangeEnd of [0x00] means every key from `key` on, anything else the half-open [key, rangeEnd).
import { assert } from '../raft/assert.js';
import { EmptyKeyError, KeyTooLargeError } from './errors.js';
import { inlineKeyBytesMax, keyBytesMax, storageKeyDigestBytes } from './encoding.js';

/** A resolved key range. `end` null means unbounded above. */
export interface KeyRange {
  readonly start: Buffer;
  readonly end: Buffer | null;
  /** True when the range names exactly one key (`start`). */
  readonly single: boolean;
}

/** A Buffer view of `bytes` (no copy). */
export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Resolves etcd's (key, rangeEnd). Throws EmptyKeyError for an empty key and KeyTooLargeError
 * for a key (or range end) above `keyBytesMax`.
 */
export function keyRange(key: Uint8Array, rangeEnd: Uint8Array | undefined): KeyRange {
  checkKey(key);
  const start = toBuffer(key);
  if (rangeEnd === undefined || rangeEnd.length === 0) return { start, end: null, single: true };
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return { start, end: null, single: false };
  if (rangeEnd.length > keyBytesMax) throw new KeyTooLargeError(rangeEnd.length, keyBytesMax);
  return { start, end: toBuffer(rangeEnd), single: false };
}

/** Throws EmptyKeyError or KeyTooLargeError when `key` cannot be stored. */
export function checkKey(key: Uint8Array): void {
  if (key.length === 0) throw new EmptyKeyError();
  if (key.length > keyBytesMax) throw new KeyTooLargeError(key.length, keyBytesMax);
}

/** True when `key` lies in `range`. */
export function rangeContains(range: KeyRange, key: Uint8Array): boolean {
  if (range.single) return Buffer.compare(range.start, key) === 0;
  if (Buffer.compare(key, range.start) < 0) return false;
  return range.end === null || Buffer.compare(key, range.end) < 0;
}

/** True when the two ranges share at least one key. */
export function rangesIntersect(a: KeyRange, b: KeyRange): boolean {
  if (a.single) return rangeContains(b, a.start);
  if (b.single) return rangeContains(a, b.start);
  const aBeforeB = a.end !== null && Buffer.compare(a.end, b.start) <= 0;
  const bBeforeA = b.end !== null && Buffer.compare(b.end, a.start) <= 0;
  return !aBeforeB && !bBeforeA;
}

/** True when the range holds no key at all (rangeEnd at or below key). */
export function rangeIsEmpty(range: KeyRange): boolean {
  assert(range.start.length > 0, 'range start is never empty');
  return range.end !== null && Buffer.compare(range.end, range.start) <= 0;
}

/**
 * LMDB bounds covering a non-single range in storage-key space. When `exact` is false the bounds
 * may also cover hashed long keys just outside the range (sharing the first `inlineKeyBytesMax`
 * bytes of a long start or end), which readers filter out by full key.
 */
export interface StorageBounds {
  readonly start: Buffer;
  readonly end: Buffer | null;
  readonly exact: boolean;
}

/** The LMDB bounds of a non-single range (see StorageBounds). */
export function storageBounds(range: KeyRange): StorageBounds {
  assert(!range.single, 'a single-key range has no bounds');
  const startLong = range.start.length > inlineKeyBytesMax;
  const start = startLong ? range.start.subarray(0, inlineKeyBytesMax) : range.start;
  if (range.end === null || range.end.length <= inlineKeyBytesMax) return { start, end: range.end, exact: !startLong };
  // Above every hashed key sharing the end's inline prefix.
  const end = Buffer.concat([range.end.subarray(0, inlineKeyBytesMax), Buffer.alloc(storageKeyDigestBytes + 1, 0xff)]);
  return { start, end, exact: false };
}
