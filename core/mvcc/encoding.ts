// On-disk encodings of the store: order-preserving revision keys, order-preserving (user key,
// revision) keys for the history index, and checksummed records. Every record carries its length
// and a CRC32 of its payload, checked on read; a mismatch is corruption and crashes loudly.
// What the tables mean is the store's business (see mvccStore.ts); this module only encodes.
import { createHash } from 'node:crypto';
import { assert, fail } from '../raft/assert.js';
import type { KeyValue, Revision } from './types.js';
import { crc32 } from '../util/crc32.js';

/**
 * The longest user key the store accepts: etcd's default request limit (1.5 MiB), since a key
 * must fit in one request.
 */
export const keyBytesMax = 1_572_864;

/**
 * Keys up to this length are stored as themselves. LMDB limits keys to 1978 bytes at a 4 KiB page
 * and the history index escapes 0x00 bytes (worst case doubling a key) and appends 18 bytes, so a
 * longer key is stored as its first `inlineKeyBytesMax` bytes followed by its SHA-256 (see
 * `storageKey`); its full bytes live in the records.
 */
export const inlineKeyBytesMax = 900;

/** Bytes of the digest that ends a hashed storage key. */
export const storageKeyDigestBytes = 32;

/**
 * The LMDB key of user key `key`. Storage keys order as their user keys do, except that hashed
 * keys sharing their first `inlineKeyBytesMax` bytes are adjacent but in digest order; readers
 * re-sort such runs by full key.
 */
export function storageKey(key: Uint8Array): Buffer {
  const buffer = Buffer.isBuffer(key) ? key : Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  if (buffer.length <= inlineKeyBytesMax) return buffer;
  const digest = createHash('sha256').update(buffer).digest();
  return Buffer.concat([buffer.subarray(0, inlineKeyBytesMax), digest]);
}

/** True when a storage key is a hashed long key (its user key is in the record). */
export function isHashedStorageKey(storage: Uint8Array): boolean {
  return storage.length > inlineKeyBytesMax;
}

/** Bytes of an encoded (main, sub) revision. */
export const revisionBytes = 16;

const twoTo32 = 0x1_0000_0000;

function writeUint53(out: Buffer, offset: number, n: number): void {
  if (!(Number.isSafeInteger(n) && n >= 0)) fail(`revision part ${n} is not a safe non-negative integer`);
  out.writeUInt32BE(Math.floor(n / twoTo32), offset);
  out.writeUInt32BE(n % twoTo32, offset + 4);
}

function readUint53(bytes: Buffer, offset: number): number {
  return bytes.readUInt32BE(offset) * twoTo32 + bytes.readUInt32BE(offset + 4);
}

/** `bytes` as a Buffer (itself when it is one: LMDB hands out Buffers). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Encodes (main, sub) so byte order equals revision order. */
export function encodeRevision(main: Revision, sub: number): Buffer {
  const out = Buffer.allocUnsafe(revisionBytes);
  writeUint53(out, 0, main);
  writeUint53(out, 8, sub);
  return out;
}

/** Inverse of `encodeRevision`, reading at `offset`. */
export function decodeRevision(bytes: Uint8Array, offset = 0): { main: Revision; sub: number } {
  assert(bytes.length - offset >= revisionBytes, 'revision key too short');
  const buffer = asBuffer(bytes);
  return { main: readUint53(buffer, offset), sub: readUint53(buffer, offset + 8) };
}

/**
 * Escapes a user key so that escaped(a) ++ terminator orders exactly as a does, and no escaped
 * key followed by the terminator is a prefix of another: 0x00 becomes 0x00 0xFF, and the key ends
 * with 0x00 0x01.
 */
export function escapeKeyWithTerminator(key: Uint8Array): Buffer {
  return escapedWithRoom(key, 0);
}

/** `key` escaped and terminated as escapeKeyWithTerminator does, in a buffer `room` bytes longer (left for the caller). */
function escapedWithRoom(key: Uint8Array, room: number): Buffer {
  let zeros = 0;
  for (let i = 0; i < key.length; i++) if (key[i] === 0) zeros += 1;
  const escapedBytes = key.length + zeros + 2;
  const out = Buffer.allocUnsafe(escapedBytes + room);
  let at = 0;
  for (let i = 0; i < key.length; i++) {
    const byte = key[i]!;
    out[at++] = byte;
    if (byte === 0) out[at++] = 0xff;
  }
  out[at++] = 0x00;
  out[at++] = 0x01;
  assert(at === escapedBytes, 'escaped key length mismatch');
  return out;
}

/** The history index prefix shared by every entry of user key `key`. */
export function historyPrefix(key: Uint8Array): Buffer {
  return escapeKeyWithTerminator(storageKey(key));
}

/** The history index key of user key `key` written at (main, sub): its prefix, then the revision. */
export function historyKey(key: Uint8Array, main: Revision, sub: number): Buffer {
  const out = escapedWithRoom(storageKey(key), revisionBytes);
  const at = out.length - revisionBytes;
  writeUint53(out, at, main);
  writeUint53(out, at + 8, sub);
  return out;
}

/**
 * Recovers the storage key from a history prefix (escaped key with its terminator). For a hashed
 * storage key, the user key is in the history value instead.
 */
export function unescapeHistoryPrefix(prefix: Uint8Array): Buffer {
  const escapedEnd = prefix.length - 2;
  assert(escapedEnd >= 0, 'history prefix too short');
  assert(prefix[escapedEnd] === 0x00 && prefix[escapedEnd + 1] === 0x01, 'history key terminator');
  const out = Buffer.alloc(escapedEnd);
  let at = 0;
  for (let i = 0; i < escapedEnd; i++) {
    const byte = prefix[i]!;
    out[at++] = byte;
    if (byte === 0) {
      assert(prefix[i + 1] === 0xff, 'history key escape');
      i += 1;
    }
  }
  return out.subarray(0, at);
}

/** Bytes of a record's frame: its payload's length and CRC32. */
const frameHeaderBytes = 8;

/** Wraps a payload as [u32 length][u32 crc32][payload]. */
export function frame(payload: Uint8Array): Buffer {
  const out = Buffer.alloc(frameHeaderBytes + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.writeUInt32BE(crc32(payload), 4);
  out.set(payload, 8);
  return out;
}

/** Checks and strips a frame. A bad length or checksum is corruption: it crashes. */
export function unframe(bytes: Uint8Array): Buffer {
  const buffer = asBuffer(bytes);
  assert(buffer.length >= 8, 'record shorter than its frame');
  const length = buffer.readUInt32BE(0);
  if (length !== buffer.length - 8) fail(`record length ${length} does not match ${buffer.length - 8}`);
  const payload = buffer.subarray(8);
  assert(crc32(payload) === buffer.readUInt32BE(4), 'record checksum mismatch: store is corrupt');
  return payload;
}

/** Kind of a revision record: a put writes a version, a delete writes a tombstone. */
export type RecordKind = 'put' | 'delete';

/** A decoded revision record. */
export interface KvRecord {
  readonly kind: RecordKind;
  readonly kv: KeyValue;
}

const kvHeaderBytes = 1 + 8 + 8 + 8 + 8 + 4;

/**
 * Encodes a revision record (also the live table's value, always of kind 'put'), framed as
 * `frame` frames a payload, in one buffer.
 */
export function encodeKvRecord(kind: RecordKind, kv: KeyValue): Buffer {
  const payloadBytes = kvHeaderBytes + kv.key.length + kv.value.length;
  const out = Buffer.allocUnsafe(frameHeaderBytes + payloadBytes);
  const payload = out.subarray(frameHeaderBytes);
  payload.writeUInt8(kind === 'put' ? 1 : 2, 0);
  payload.writeDoubleBE(kv.createRevision, 1);
  payload.writeDoubleBE(kv.modRevision, 9);
  payload.writeDoubleBE(kv.version, 17);
  payload.writeBigInt64BE(kv.lease, 25);
  payload.writeUInt32BE(kv.key.length, 33);
  payload.set(kv.key, kvHeaderBytes);
  payload.set(kv.value, kvHeaderBytes + kv.key.length);
  out.writeUInt32BE(payloadBytes, 0);
  out.writeUInt32BE(crc32(out, frameHeaderBytes, out.length), 4);
  return out;
}

/**
 * Decodes a revision record. The kv's key and value are views into `bytes`, which the caller
 * must not reuse.
 */
export function decodeKvRecord(bytes: Uint8Array): KvRecord {
  const payload = unframe(bytes);
  const kindByte = payload.readUInt8(0);
  if (!(kindByte === 1 || kindByte === 2)) fail(`unknown record kind ${kindByte}`);
  return { kind: kindByte === 1 ? 'put' : 'delete', kv: payloadKv(payload) };
}

/** Decodes a live table value (a record of kind 'put'), as `decodeKvRecord` does, to its kv alone. */
export function decodeLiveKv(bytes: Uint8Array): KeyValue {
  const payload = unframe(bytes);
  if (payload[0] !== 1) fail(`a live record is a put (kind ${payload[0]})`);
  return payloadKv(payload);
}

/**
 * Decodes a live table value as `decodeLiveKv` does, from the first `size` bytes of a buffer that
 * LMDB fills again for its next read: the key and the value are copied out, into small buffers
 * Node takes from its shared pool, so a range of a thousand keys makes no allocation per value
 * (LMDB's own copy of each value was one). Without `size`, all of `bytes`.
 */
export function copyLiveKv(bytes: Buffer, size?: unknown): KeyValue {
  const end = typeof size === 'number' ? size : bytes.length;
  assert(end >= frameHeaderBytes && bytes.readUInt32BE(0) === end - frameHeaderBytes, 'record length does not match its frame');
  assert(crc32(bytes, frameHeaderBytes, end) === bytes.readUInt32BE(4), 'record checksum mismatch: store is corrupt');
  const payload = bytes.subarray(frameHeaderBytes, end);
  if (payload[0] !== 1) fail(`a live record is a put (kind ${payload[0]})`);
  const keyLength = payload.readUInt32BE(33);
  const valueStart = kvHeaderBytes + keyLength;
  assert(valueStart <= payload.length, 'record key overruns its payload');
  const key = Buffer.allocUnsafe(keyLength);
  payload.copy(key, 0, kvHeaderBytes, valueStart);
  const value = Buffer.allocUnsafe(payload.length - valueStart);
  payload.copy(value, 0, valueStart);
  return {
    createRevision: payload.readDoubleBE(1),
    modRevision: payload.readDoubleBE(9),
    version: payload.readDoubleBE(17),
    lease: payload.readUInt32BE(25) === 0 && payload.readUInt32BE(29) === 0 ? 0n : payload.readBigInt64BE(25),
    key,
    value,
  };
}

/**
 * A live record seen in place, in the buffer LMDB reads into (see `viewLiveRecord`): its numbers,
 * and where its key and value lie in `bytes`. Valid only until LMDB's next read; one object is
 * filled again for each record, so a scan allocates nothing per record.
 */
export interface LiveRecordView {
  bytes: Buffer;
  keyStart: number;
  keyEnd: number;
  valueEnd: number;
  createRevision: number;
  modRevision: number;
  version: number;
  /** 0n for most keys (no lease), made without reading a BigInt. */
  lease: bigint;
}

/** A fresh view for `viewLiveRecord` to fill. */
export function newLiveRecordView(): LiveRecordView {
  return { bytes: Buffer.alloc(0), keyStart: 0, keyEnd: 0, valueEnd: 0, createRevision: 0, modRevision: 0, version: 0, lease: 0n };
}

/**
 * Fills `view` with the live record in the first `size` bytes of `bytes`, after the checks
 * `copyLiveKv` makes (frame, checksum, kind); nothing is copied. A bad record crashes.
 */
export function viewLiveRecord(bytes: Buffer, size: number, view: LiveRecordView): void {
  assert(size >= frameHeaderBytes + kvHeaderBytes && bytes.readUInt32BE(0) === size - frameHeaderBytes, 'record length does not match its frame');
  assert(crc32(bytes, frameHeaderBytes, size) === bytes.readUInt32BE(4), 'record checksum mismatch: store is corrupt');
  const at = frameHeaderBytes;
  if (bytes[at] !== 1) fail(`a live record is a put (kind ${bytes[at]})`);
  const keyStart = at + kvHeaderBytes;
  const keyEnd = keyStart + bytes.readUInt32BE(at + 33);
  assert(keyEnd <= size, 'record key overruns its payload');
  view.bytes = bytes;
  view.keyStart = keyStart;
  view.keyEnd = keyEnd;
  view.valueEnd = size;
  view.createRevision = bytes.readDoubleBE(at + 1);
  view.modRevision = bytes.readDoubleBE(at + 9);
  view.version = bytes.readDoubleBE(at + 17);
  view.lease = bytes.readUInt32BE(at + 25) === 0 && bytes.readUInt32BE(at + 29) === 0 ? 0n : bytes.readBigInt64BE(at + 25);
}

function payloadKv(payload: Buffer): KeyValue {
  const keyLength = payload.readUInt32BE(33);
  assert(kvHeaderBytes + keyLength <= payload.length, 'record key overruns its payload');
  return {
    createRevision: payload.readDoubleBE(1),
    modRevision: payload.readDoubleBE(9),
    version: payload.readDoubleBE(17),
    // Most keys have no lease: 0n without making a BigInt from the bytes.
    lease: payload.readUInt32BE(25) === 0 && payload.readUInt32BE(29) === 0 ? 0n : payload.readBigInt64BE(25),
    // Views, not copies: LMDB hands every read its own buffer, and the caller owns `bytes`.
    key: payload.subarray(kvHeaderBytes, kvHeaderBytes + keyLength),
    value: payload.subarray(kvHeaderBytes + keyLength),
  };
}

/** Encodes a non-negative safe integer as a framed 8-byte record (meta values). */
export function encodeNumberRecord(n: number): Buffer {
  const payload = Buffer.alloc(8);
  writeUint53(payload, 0, n);
  return frame(payload);
}

/** Inverse of `encodeNumberRecord`; a bad frame crashes. */
export function decodeNumberRecord(bytes: Uint8Array): number {
  const payload = unframe(bytes);
  assert(payload.length === 8, 'number record must be 8 bytes');
  return readUint53(payload, 0);
}

/** Encodes a signed 64-bit id so byte order equals numeric order (sign bit flipped). */
export function encodeInt64Key(id: bigint): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(BigInt.asUintN(64, id) ^ (1n << 63n));
  return out;
}

/** Inverse of `encodeInt64Key`. */
export function decodeInt64Key(bytes: Uint8Array): bigint {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return BigInt.asIntN(64, buffer.readBigUInt64BE(0) ^ (1n << 63n));
}

/** Bytewise comparison of two keys, as etcd orders keys. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}
