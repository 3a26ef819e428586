// The WAL's record vocabulary and its byte layout: record kinds, the frame around each record
// (length, type, payload CRC, header CRC) and the payload encodings. Scanning files and deciding
// what a damaged frame means belong to scanSegment.ts; ordering and durability to wal.ts.
//
// Frame (little-endian):
//   0  u32 payload length      Invariant: <= recordPayloadBytesMax
//   4  u8  record type         one of RecordType
//   5  u8[3] reserved, zero
//   8  u32 CRC32C of the payload
//  12  u32 CRC32C of bytes 0..11 (a separate header checksum, so a damaged length field is told
//      apart from a write cut short at the end of the file)
//  16  payload
import { fail } from '../raft/assert.js';
import type { Entry, EntryType, HardState, Index, Term } from '../raft/types.js';
import { index as toIndex, nodeId, term as toTerm } from '../raft/types.js';
import { crc32c } from './crc32c.js';

/** Bytes in a frame header. */
export const frameHeaderBytes = 16;
/** The largest record payload written or accepted on read (an entry's data plus 17 bytes). */
export const recordPayloadBytesMax = 32 * 1024 * 1024;
/** The largest cluster id, member id or vote, in UTF-8 bytes. */
export const idBytesMax = 256;

export const RecordType = {
  segmentHeader: 1,
  metadata: 2,
  entry: 3,
  hardState: 4,
  snapshotMarker: 5,
} as const;
export type RecordTypeCode = (typeof RecordType)[keyof typeof RecordType];

/** Who this WAL belongs to; written at the head of every segment. */
export interface WalMetadata {
  readonly clusterId: string;
  readonly memberId: string;
}

/** Records that a snapshot at (index, term) exists, so replay may start after it. */
export interface WalSnapshotMarker {
  readonly index: Index;
  readonly term: Term;
}

/** Opens every segment: which segment this is and the log index it was started at. */
export interface SegmentHeader {
  readonly seq: number;
  /** The index the next entry was expected to have when the segment was started. */
  readonly firstIndex: Index;
}

/** A decoded record. Entry data is a view into the buffer it was decoded from. */
export type WalRecord =
  | { readonly kind: 'segmentHeader'; readonly header: SegmentHeader }
  | { readonly kind: 'metadata'; readonly metadata: WalMetadata }
  | { readonly kind: 'entry'; readonly entry: Entry }
  | { readonly kind: 'hardState'; readonly hardState: HardState }
  | { readonly kind: 'snapshotMarker'; readonly marker: WalSnapshotMarker };

const segmentMagic = 0x31574652; // "RFW1"
const formatVersion = 1;
const entryPrefixBytes = 17;
const u32Span = 0x1_0000_0000;
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

/** The frame size of an entry record carrying `dataBytes` bytes of data. */
export function entryRecordBytes(dataBytes: number): number {
  return frameHeaderBytes + entryPrefixBytes + dataBytes;
}

/** Whether an entry with `dataBytes` bytes of data fits in one record. */
export function entryFits(dataBytes: number): boolean {
  return entryPrefixBytes + dataBytes <= recordPayloadBytesMax;
}

function writeU32(target: Uint8Array, at: number, value: number): void {
  target[at] = value & 0xff;
  target[at + 1] = (value >>> 8) & 0xff;
  target[at + 2] = (value >>> 16) & 0xff;
  target[at + 3] = (value >>> 24) & 0xff;
}

function readU32(source: Uint8Array, at: number): number {
  return (source[at]! | (source[at + 1]! << 8) | (source[at + 2]! << 16) | (source[at + 3]! << 24)) >>> 0;
}

function writeU64(target: Uint8Array, at: number, value: number): void {
  if (!(Number.isSafeInteger(value) && value >= 0)) fail(`u64 field out of range: ${value}`);
  writeU32(target, at, value % u32Span);
  writeU32(target, at + 4, Math.floor(value / u32Span));
}

/** Reads a u64 that must fit a JavaScript safe integer; null when it does not. */
function readU64(source: Uint8Array, at: number): number | null {
  const high = readU32(source, at + 4);
  if (high >= 0x20_0000) return null;
  return high * u32Span + readU32(source, at);
}

/** Writes the frame header for a payload already in place at `at + frameHeaderBytes`. */
function sealFrame(target: Uint8Array, at: number, type: RecordTypeCode, payloadBytes: number): number {
  if (payloadBytes > recordPayloadBytesMax) fail(`record payload of ${payloadBytes} bytes over the limit`);
  const payloadStart = at + frameHeaderBytes;
  writeU32(target, at, payloadBytes);
  target[at + 4] = type;
  target[at + 5] = 0;
  target[at + 6] = 0;
  target[at + 7] = 0;
  writeU32(target, at + 8, crc32c(target, payloadStart, payloadStart + payloadBytes));
  writeU32(target, at + 12, crc32c(target, at, at + 12));
  return payloadStart + payloadBytes;
}

/**
 * Encodes an entry record into `target` at `at` and returns the offset after it. The entry's data
 * is copied exactly once, into `target`. `target` must have `entryRecordBytes(data.length)` bytes.
 */
export function encodeEntry(target: Uint8Array, at: number, entry: Entry): number {
  const p = at + frameHeaderBytes;
  writeU64(target, p, entry.term);
  writeU64(target, p + 8, entry.index);
  target[p + 16] = entry.type === 'normal' ? 0 : 1;
  target.set(entry.data, p + entryPrefixBytes);
  return sealFrame(target, at, RecordType.entry, entryPrefixBytes + entry.data.length);
}

function idBytes(id: string): Uint8Array {
  const bytes = textEncoder.encode(id);
  if (bytes.length > idBytesMax) fail(`id of ${bytes.length} bytes over the ${idBytesMax}-byte limit`);
  return bytes;
}

/** Encodes one of the small control records (everything but entries) as a standalone frame. */
export function encodeControl(record: Exclude<WalRecord, { kind: 'entry' }>): Uint8Array {
  let payload: Uint8Array;
  let type: RecordTypeCode;
  switch (record.kind) {
    case 'segmentHeader': {
      payload = new Uint8Array(24);
      writeU32(payload, 0, segmentMagic);
      writeU32(payload, 4, formatVersion);
      writeU64(payload, 8, record.header.seq);
      writeU64(payload, 16, record.header.firstIndex);
      type = RecordType.segmentHeader;
      break;
    }
    case 'metadata': {
      const cluster = idBytes(record.metadata.clusterId);
      const member = idBytes(record.metadata.memberId);
      payload = new Uint8Array(4 + cluster.length + member.length);
      payload[0] = cluster.length & 0xff;
      payload[1] = cluster.length >>> 8;
      payload.set(cluster, 2);
      payload[2 + cluster.length] = member.length & 0xff;
      payload[3 + cluster.length] = member.length >>> 8;
      payload.set(member, 4 + cluster.length);
      type = RecordType.metadata;
      break;
    }
    case 'hardState': {
      const vote = idBytes(record.hardState.vote ?? '');
      payload = new Uint8Array(18 + vote.length);
      writeU64(payload, 0, record.hardState.term);
      writeU64(payload, 8, record.hardState.commit);
      payload[16] = vote.length & 0xff;
      payload[17] = vote.length >>> 8;
      payload.set(vote, 18);
      type = RecordType.hardState;
      break;
    }
    case 'snapshotMarker': {
      payload = new Uint8Array(16);
      writeU64(payload, 0, record.marker.index);
      writeU64(payload, 8, record.marker.term);
      type = RecordType.snapshotMarker;
      break;
    }
  }
  const frame = new Uint8Array(frameHeaderBytes + payload.length);
  frame.set(payload, frameHeaderBytes);
  sealFrame(frame, 0, type, payload.length);
  return frame;
}

/** A frame header that passed its checksum. */
export interface FrameHeader {
  readonly payloadBytes: number;
  readonly type: number;
  readonly payloadCrc: number;
}

/** Parses and checks the frame header at `at`; null when its checksum does not match. */
export function readFrameHeader(source: Uint8Array, at: number): FrameHeader | null {
  if (crc32c(source, at, at + 12) !== readU32(source, at + 12)) return null;
  return { payloadBytes: readU32(source, at), type: source[at + 4]!, payloadCrc: readU32(source, at + 8) };
}

/** Why a checksummed header cannot be a valid frame, or null if it can. */
export function frameHeaderProblem(source: Uint8Array, at: number, header: FrameHeader): string | null {
  if (source[at + 5] !== 0 || source[at + 6] !== 0 || source[at + 7] !== 0) return 'reserved header bytes are not zero';
  if (header.type < RecordType.segmentHeader || header.type > RecordType.snapshotMarker) {
    return `unknown record type ${header.type}`;
  }
  if (header.payloadBytes > recordPayloadBytesMax) {
    return `record length ${header.payloadBytes} over the limit of ${recordPayloadBytesMax}`;
  }
  return null;
}

function decodeId(source: Uint8Array, at: number, end: number): { value: string; next: number } | null {
  if (at + 2 > end) return null;
  const length = source[at]! | (source[at + 1]! << 8);
  if (length > idBytesMax || at + 2 + length > end) return null;
  try {
    return { value: textDecoder.decode(source.subarray(at + 2, at + 2 + length)), next: at + 2 + length };
  } catch {
    return null;
  }
}

/**
 * Decodes a payload whose CRC already matched. Returns a reason string when the payload does not
 * follow its type's layout (a format error, not a torn write).
 */
export function decodePayload(type: number, source: Uint8Array, start: number, end: number): WalRecord | string {
  const size = end - start;
  switch (type) {
    case RecordType.entry: {
      if (size < entryPrefixBytes) return `entry record of ${size} bytes is too short`;
      const t = readU64(source, start);
      const i = readU64(source, start + 8);
      const kind = source[start + 16];
      if (t === null || i === null) return 'entry term or index out of range';
      if (kind !== 0 && kind !== 1) return `unknown entry type ${kind}`;
      const entryType: EntryType = kind === 0 ? 'normal' : 'confChange';
      const data = source.subarray(start + entryPrefixBytes, end);
      return { kind: 'entry', entry: { term: toTerm(t), index: toIndex(i), type: entryType, data } };
    }
    case RecordType.hardState: {
      if (size < 18) return `hard state record of ${size} bytes is too short`;
      const t = readU64(source, start);
      const commit = readU64(source, start + 8);
      const vote = decodeId(source, start + 16, end);
      if (t === null || commit === null || vote === null || vote.next !== end) return 'malformed hard state';
      const hardState: HardState = {
        term: toTerm(t),
        commit: toIndex(commit),
        vote: vote.value === '' ? null : nodeId(vote.value),
      };
      return { kind: 'hardState', hardState };
    }
    case RecordType.snapshotMarker: {
      if (size !== 16) return `snapshot marker of ${size} bytes, expected 16`;
      const i = readU64(source, start);
      const t = readU64(source, start + 8);
      if (t === null || i === null) return 'snapshot marker index or term out of range';
      return { kind: 'snapshotMarker', marker: { index: toIndex(i), term: toTerm(t) } };
    }
    case RecordType.metadata: {
      const cluster = decodeId(source, start, end);
      const member = cluster === null ? null : decodeId(source, cluster.next, end);
      if (cluster === null || member === null || member.next !== end) return 'malformed metadata';
      return { kind: 'metadata', metadata: { clusterId: cluster.value, memberId: member.value } };
    }
    case RecordType.segmentHeader: {
      if (size !== 24) return `segment header of ${size} bytes, expected 24`;
      if (readU32(source, start) !== segmentMagic) return 'segment header has the wrong magic number';
      const version = readU32(source, start + 4);
      if (version !== formatVersion) return `unsupported WAL format version ${version}`;
      const seq = readU64(source, start + 8);
      const first = readU64(source, start + 16);
      if (seq === null || first === null || first < 1) return 'segment header fields out of range';
      return { kind: 'segmentHeader', header: { seq, firstIndex: toIndex(first) } };
    }
    default:
      return `unknown record type ${type}`;
  }
}

/** Whether every byte of `source[start, end)` is zero. */
export function allZero(source: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (source[i] !== 0) return false;
  return true;
}

/** The payload CRC of a frame whose header is at `at`. */
export function payloadCrcAt(source: Uint8Array, at: number, payloadBytes: number): number {
  return crc32c(source, at + frameHeaderBytes, at + frameHeaderBytes + payloadBytes);
}
