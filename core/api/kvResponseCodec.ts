// Protobuf encoders written out by hand for the KV service's answers (Range, Put, DeleteRange,
// Txn), which carry key-values by the thousand. The reflective encoder turns every 64-bit field
// from its decimal string into a Long, digit by digit; a 1,000-key range spent a third of its
// encoding there. Here a 64-bit field is parsed once with Number() (a BigInt only past 2^53 or
// below zero) and written straight into one buffer sized beforehand.
//
// What they write decodes to exactly what the reflective encoder's output decodes to (a seeded
// test checks both through protobufjs). Like etcd's Go encoder, and unlike protobufjs, they leave
// out scalar fields at their zero value: proto3 gives them no presence, so no decoder can tell.
// Messages (header, prev_kv) are written whenever set, empty or not. Anything that is not a
// canonical decimal string or safe integer where a 64-bit field belongs makes the encoder give up
// (`null`), and the caller uses the reflective encoder.
import type * as pb from './proto/messages.js';
import { assert, fail } from '../raft/assert.js';
import type { HeaderInfo } from './backend.js';
import type { Event, KeyValue, PutResponse, RangeKvSink, RangeResponse, RangeSummary } from '../mvcc/types.js';
import type { LiveRecordView } from '../mvcc/encoding.js';

/**
 * A 64-bit value negative or past 2^53 (a cluster, member or lease id): its varint bytes. Ids
 * repeat in every response, so each is encoded once: making them through BigInt shifts cost ~20
 * BigInts per id per response.
 */
class BigVarint {
  constructor(readonly bytes: Buffer) {}
}

/** A 64-bit field's value: a safe non-negative number, or the varint of its two's-complement bits. */
type Wide = number | BigVarint;

class Unencodable extends Error {}

const twoTo31 = 2 ** 31;

/** BigVarints by decimal text, bounded (lease ids come from requests too). */
const bigVarints = new Map<string, BigVarint>();
const bigVarintsMax = 256;

function bigVarint(text: string, value: bigint): BigVarint {
  const bits = BigInt.asUintN(64, value);
  const bytes: number[] = [];
  let rest = bits;
  while (rest >= 0x80n) {
    bytes.push(Number(rest & 0x7fn) | 0x80);
    rest >>= 7n;
  }
  bytes.push(Number(rest));
  const varint = new BigVarint(Buffer.from(bytes));
  if (bigVarints.size >= bigVarintsMax) bigVarints.clear();
  bigVarints.set(text, varint);
  return varint;
}

function wide(value: unknown): Wide {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return value >= 0 ? value : (bigVarints.get(String(value)) ?? bigVarint(String(value), BigInt(value)));
    throw new Unencodable();
  }
  if (typeof value !== 'string') throw new Unencodable();
  const n = Number(value);
  if (Number.isSafeInteger(n) && n >= 0 && String(n) === value) return n;
  const known = bigVarints.get(value);
  if (known !== undefined) return known;
  if (!/^-?\d{1,20}$/.test(value)) throw new Unencodable();
  const big = BigInt(value);
  if (big < -(2n ** 63n) || big >= 2n ** 64n) throw new Unencodable();
  return bigVarint(value, big);
}

function varintBytes(value: Wide): number {
  if (typeof value !== 'number') return value.bytes.length;
  let bytes = 1;
  for (let rest = value; rest >= 0x80; rest = Math.floor(rest / 0x80)) bytes++;
  return bytes;
}

/** Bytes of a 64-bit field (tag included), 0 when it is zero and left out. */
function wideFieldBytes(value: Wide): number {
  return value === 0 ? 0 : 1 + varintBytes(value);
}

/** A bytes field's value: absent (null, undefined) counts as empty; anything but bytes is not taken. */
function bytesOf(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (value === null || value === undefined) return empty;
  throw new Unencodable();
}

const empty = new Uint8Array(0);

function bytesFieldBytes(value: Uint8Array): number {
  return value.length === 0 ? 0 : 1 + varintBytes(value.length) + value.length;
}

function messageFieldBytes(bodyBytes: number): number {
  return 1 + varintBytes(bodyBytes) + bodyBytes;
}

/** A buffer filled front to back: sized beforehand, or grown with `ensure` before each write. */
class Writer {
  out: Buffer;
  at = 0;

  /** `at`: where the message starts (room left in front for a gRPC frame header). */
  constructor(bytes: number, at = 0) {
    this.out = Buffer.allocUnsafe(at + bytes);
    this.at = at;
  }

  /** Makes room for `bytes` more, growing the buffer (a writer not sized beforehand). */
  ensure(bytes: number): void {
    if (this.at + bytes <= this.out.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.out.length * 4, this.at + bytes));
    this.out.copy(grown, 0, 0, this.at);
    this.out = grown;
  }

  varint(value: Wide): void {
    if (typeof value !== 'number') {
      value.bytes.copy(this.out, this.at);
      this.at += value.bytes.length;
      return;
    }
    let rest = value;
    while (rest >= twoTo31) {
      this.out[this.at++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    while (rest >= 0x80) {
      this.out[this.at++] = (rest & 0x7f) | 0x80;
      rest >>>= 7;
    }
    this.out[this.at++] = rest;
  }

  /** A varint field (wire type 0), left out at zero. */
  wideField(field: number, value: Wide): void {
    if (value === 0) return;
    this.out[this.at++] = field << 3;
    this.varint(value);
  }

  boolField(field: number, value: boolean): void {
    if (!value) return;
    this.out[this.at++] = field << 3;
    this.out[this.at++] = 1;
  }

  /** A length-delimited field's tag and length (wire type 2); its body follows. */
  lengthOf(field: number, bytes: number): void {
    this.out[this.at++] = (field << 3) | 2;
    this.varint(bytes);
  }

  bytesField(field: number, value: Uint8Array): void {
    if (value.length === 0) return;
    this.lengthOf(field, value.length);
    this.out.set(value, this.at);
    this.at += value.length;
  }
}

// ---- Parsed forms: every 64-bit field read once, with the message's encoded size --------------

interface Header {
  readonly clusterId: Wide;
  readonly memberId: Wide;
  readonly revision: Wide;
  readonly raftTerm: Wide;
  readonly bytes: number;
}

function parsedHeader(clusterId: Wide, memberId: Wide, revision: Wide, raftTerm: Wide): Header {
  return { clusterId, memberId, revision, raftTerm, bytes: wideFieldBytes(clusterId) + wideFieldBytes(memberId) + wideFieldBytes(revision) + wideFieldBytes(raftTerm) };
}

function header(h: pb.ResponseHeader): Header {
  return parsedHeader(wide(h.cluster_id), wide(h.member_id), wide(h.revision), wide(h.raft_term));
}

function writeHeader(w: Writer, field: number, h: Header): void {
  w.lengthOf(field, h.bytes);
  w.wideField(1, h.clusterId);
  w.wideField(2, h.memberId);
  w.wideField(3, h.revision);
  w.wideField(4, h.raftTerm);
}

interface Kv {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  readonly createRevision: Wide;
  readonly modRevision: Wide;
  readonly version: Wide;
  readonly lease: Wide;
  readonly bytes: number;
}

function parsedKv(key: Uint8Array, value: Uint8Array, createRevision: Wide, modRevision: Wide, version: Wide, lease: Wide): Kv {
  const bytes = bytesFieldBytes(key) + wideFieldBytes(createRevision) + wideFieldBytes(modRevision) + wideFieldBytes(version) + bytesFieldBytes(value) + wideFieldBytes(lease);
  return { key, value, createRevision, modRevision, version, lease, bytes };
}

function kv(source: pb.KeyValue): Kv {
  return parsedKv(bytesOf(source.key), bytesOf(source.value), wide(source.create_revision), wide(source.mod_revision), wide(source.version), wide(source.lease));
}

function writeKv(w: Writer, field: number, v: Kv): void {
  w.lengthOf(field, v.bytes);
  w.bytesField(1, v.key);
  w.wideField(2, v.createRevision);
  w.wideField(3, v.modRevision);
  w.wideField(4, v.version);
  w.bytesField(5, v.value);
  w.wideField(6, v.lease);
}

interface Parsed {
  readonly bytes: number;
  write(w: Writer): void;
}

function kvs(list: readonly pb.KeyValue[] | null | undefined): { readonly parsed: Kv[]; readonly bytes: number } {
  const parsed: Kv[] = [];
  let bytes = 0;
  for (const item of list ?? []) {
    const v = kv(item);
    parsed.push(v);
    bytes += messageFieldBytes(v.bytes);
  }
  return { parsed, bytes };
}

function range(r: pb.RangeResponse): Parsed {
  const h = r.header ? header(r.header) : null;
  const list = kvs(r.kvs);
  const count = wide(r.count);
  const more = r.more === true;
  const bytes = (h ? messageFieldBytes(h.bytes) : 0) + list.bytes + (more ? 2 : 0) + wideFieldBytes(count);
  return {
    bytes,
    write(w) {
      if (h) writeHeader(w, 1, h);
      for (const v of list.parsed) writeKv(w, 2, v);
      w.boolField(3, more);
      w.wideField(4, count);
    },
  };
}

function put(r: pb.PutResponse): Parsed {
  const h = r.header ? header(r.header) : null;
  const prev = r.prev_kv ? kv(r.prev_kv) : null;
  return {
    bytes: (h ? messageFieldBytes(h.bytes) : 0) + (prev ? messageFieldBytes(prev.bytes) : 0),
    write(w) {
      if (h) writeHeader(w, 1, h);
      if (prev) writeKv(w, 2, prev);
    },
  };
}

function deleteRange(r: pb.DeleteRangeResponse): Parsed {
  const h = r.header ? header(r.header) : null;
  const deleted = wide(r.deleted);
  const list = kvs(r.prev_kvs);
  return {
    bytes: (h ? messageFieldBytes(h.bytes) : 0) + wideFieldBytes(deleted) + list.bytes,
    write(w) {
      if (h) writeHeader(w, 1, h);
      w.wideField(2, deleted);
      for (const v of list.parsed) writeKv(w, 3, v);
    },
  };
}

/** The oneof member of a ResponseOp that is set, with its field number. */
function responseOp(op: pb.ResponseOp): { readonly field: number; readonly parsed: Parsed } {
  if (op.response === 'response_range' && op.response_range) return { field: 1, parsed: range(op.response_range) };
  if (op.response === 'response_put' && op.response_put) return { field: 2, parsed: put(op.response_put) };
  if (op.response === 'response_delete_range' && op.response_delete_range) return { field: 3, parsed: deleteRange(op.response_delete_range) };
  if (op.response === 'response_txn' && op.response_txn) return { field: 4, parsed: txn(op.response_txn) };
  throw new Unencodable();
}

function txn(r: pb.TxnResponse): Parsed {
  const h = r.header ? header(r.header) : null;
  const succeeded = r.succeeded === true;
  const ops = (r.responses ?? []).map(responseOp);
  let opsBytes = 0;
  for (const op of ops) opsBytes += messageFieldBytes(messageFieldBytes(op.parsed.bytes));
  return {
    bytes: (h ? messageFieldBytes(h.bytes) : 0) + (succeeded ? 2 : 0) + opsBytes,
    write(w) {
      if (h) writeHeader(w, 1, h);
      w.boolField(2, succeeded);
      for (const op of ops) {
        w.lengthOf(3, messageFieldBytes(op.parsed.bytes));
        w.lengthOf(op.field, op.parsed.bytes);
        op.parsed.write(w);
      }
    },
  };
}

/** Bytes of a gRPC message frame's header: a compression flag and the message's length. */
const grpcFrameHeaderBytes = 5;

/**
 * Encodes a parsed answer as a whole gRPC message frame (uncompressed), in one buffer: the frame
 * header first, then the message.
 */
function frameOf(parsed: Parsed): Buffer {
  const w = new Writer(parsed.bytes, grpcFrameHeaderBytes);
  parsed.write(w);
  if (w.at !== grpcFrameHeaderBytes + parsed.bytes) fail(`encoded ${w.at - grpcFrameHeaderBytes} bytes where ${parsed.bytes} were sized`);
  w.out[0] = 0;
  w.out.writeUInt32BE(parsed.bytes, 1);
  return w.out;
}

function parseOrNull<A extends unknown[]>(parse: (...args: A) => Parsed, args: A): Parsed | null {
  try {
    return parse(...args);
  } catch (error) {
    if (error instanceof Unencodable) return null;
    throw error;
  }
}

/** An encoder of whole gRPC message frames from `parse`. */
function frameEncoder<T>(parse: (response: T) => Parsed): (response: T) => Buffer | null {
  return (response) => {
    const parsed = parseOrNull(parse, [response]);
    return parsed === null ? null : frameOf(parsed);
  };
}

/**
 * Encoders by KV method name, each answer framed as a gRPC message (what the fast unary path
 * sends); each returns null for a response it does not take (see the header), which the caller
 * then encodes with the reflective encoder.
 */
export const kvResponseFrameEncoders: Readonly<Record<string, (response: never) => Buffer | null>> = {
  Range: frameEncoder(range),
  Put: frameEncoder(put),
  DeleteRange: frameEncoder(deleteRange),
  Txn: frameEncoder(txn),
};

// ---- Answers straight from the store's values ---------------------------------------------------
//
// Range and Put answers as the store returns them (numbers, a bigint lease, hex member ids), encoded
// without building their wire objects first: a 1,000-key range made 1,000 objects and 4,000 decimal
// strings only for the encoder to parse them back.

/** Hex cluster and member ids as 64-bit field values, bounded (a handful per cluster). */
const hexIds = new Map<string, Wide>();
const hexIdsMax = 256;

function hexId(id: string): Wide {
  let value = hexIds.get(id);
  if (value === undefined) {
    if (!/^[0-9a-f]{0,16}$/i.test(id)) throw new Unencodable();
    const big = BigInt(`0x${id || '0'}`);
    value = big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : (bigVarints.get(big.toString()) ?? bigVarint(big.toString(), big));
    if (hexIds.size >= hexIdsMax) hexIds.clear();
    hexIds.set(id, value);
  }
  return value;
}

/** A store number (revision, version, count, term) as a field value: always a safe non-negative integer. */
function counted(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new Unencodable();
  return n;
}

function leaseOf(lease: bigint): Wide {
  if (lease === 0n) return 0;
  if (lease > 0n && lease <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(lease);
  if (lease < -(2n ** 63n) || lease >= 2n ** 64n) throw new Unencodable();
  const text = lease.toString();
  return bigVarints.get(text) ?? bigVarint(text, lease);
}

function infoHeader(info: HeaderInfo, revision: number): Header {
  return parsedHeader(hexId(info.clusterId), hexId(info.memberId), counted(revision), counted(info.raftTerm));
}

function storeKv(source: KeyValue): Kv {
  return parsedKv(source.key, source.value, counted(source.createRevision), counted(source.modRevision), counted(source.version), leaseOf(source.lease));
}

function storeRange(info: HeaderInfo, r: RangeResponse): Parsed {
  const h = infoHeader(info, r.revision);
  const parsed: Kv[] = new Array<Kv>(r.kvs.length);
  let kvsBytes = 0;
  for (let i = 0; i < r.kvs.length; i++) {
    const v = storeKv(r.kvs[i]!);
    parsed[i] = v;
    kvsBytes += messageFieldBytes(v.bytes);
  }
  const count = counted(r.count);
  const more = r.more;
  return {
    bytes: messageFieldBytes(h.bytes) + kvsBytes + (more ? 2 : 0) + wideFieldBytes(count),
    write(w) {
      writeHeader(w, 1, h);
      for (const v of parsed) writeKv(w, 2, v);
      w.boolField(3, more);
      w.wideField(4, count);
    },
  };
}

function storePut(info: HeaderInfo, r: PutResponse): Parsed {
  const h = infoHeader(info, r.revision);
  const prev = r.prevKv ? storeKv(r.prevKv) : null;
  return {
    bytes: messageFieldBytes(h.bytes) + (prev ? messageFieldBytes(prev.bytes) : 0),
    write(w) {
      writeHeader(w, 1, h);
      if (prev) writeKv(w, 2, prev);
    },
  };
}

function storeEvent(event: Event): Parsed {
  if (event.type !== 'PUT' && event.type !== 'DELETE') throw new Unencodable();
  const type = event.type === 'DELETE' ? 1 : 0;
  const kv = storeKv(event.kv);
  const prev = event.prevKv ? storeKv(event.prevKv) : null;
  return {
    bytes: wideFieldBytes(type) + messageFieldBytes(kv.bytes) + (prev ? messageFieldBytes(prev.bytes) : 0),
    write(w) {
      w.wideField(1, type);
      writeKv(w, 2, kv);
      if (prev) writeKv(w, 3, prev);
    },
  };
}

/**
 * A WatchResponse's `events` field (11) holding one store event — tag, length, Event — encoded
 * from the store's values; null when a value is out of the encoder's reach. Decodes to what the
 * reflective encoder makes of `{ events: [eventToWire(event)] }`.
 */
export function encodeEventField(event: Event): Buffer | null {
  const parsed = parseOrNull(storeEvent, [event]);
  if (parsed === null) return null;
  const w = new Writer(messageFieldBytes(parsed.bytes));
  w.lengthOf(11, parsed.bytes);
  parsed.write(w);
  if (w.at !== w.out.length) fail(`encoded ${w.at} bytes where ${w.out.length} were sized`);
  return w.out;
}

/**
 * A Range answer as the gRPC message frame the fast path sends, from the store's response and the
 * header it goes out under; null when a value is out of the encoder's reach (then the caller
 * encodes the wire form reflectively). Decodes to what `rangeResponseToWire` gives.
 */
export function frameRangeAnswer(info: HeaderInfo, r: RangeResponse): Buffer | null {
  const parsed = parseOrNull(storeRange, [info, r]);
  return parsed === null ? null : frameOf(parsed);
}

/** As `frameRangeAnswer`, for Put (`putResponseToWire`). */
export function framePutAnswer(info: HeaderInfo, r: PutResponse): Buffer | null {
  const parsed = parseOrNull(storePut, [info, r]);
  return parsed === null ? null : frameOf(parsed);
}

/** Room in front of a streamed range's kvs: a gRPC frame header and the largest response header field. */
const streamedFrontBytes = grpcFrameHeaderBytes + messageFieldBytes(4 * 11);
/**
 * A streamed range's first buffer is as large as the last streamed frame and a quarter, within
 * these bounds (ranges repeat: a paging client or a benchmark asks the same size again), and grows
 * fourfold as needed.
 */
const streamedInitialBytesMin = 16 * 1024;
const streamedInitialBytesMax = 16 * 1024 * 1024;
let streamedLastBytes = 0;

function streamedInitialBytes(): number {
  return Math.min(streamedInitialBytesMax, Math.max(streamedInitialBytesMin, streamedLastBytes + (streamedLastBytes >>> 2)));
}

/** Keys up to this length are copied byte by byte: shorter than a Buffer copy's fixed cost. */
const keyLoopBytesMax = 24;

/**
 * A Range answer's gRPC frame written as the store reads the kvs (a RangeKvSink for
 * `EtcdBackend.rangeInto`): each kv is encoded straight from the record LMDB read, so a range
 * makes no object, copy or parsed form per kv. `frame` then puts the header in front and `more`
 * and `count` after. Decodes to what `frameRangeAnswer` gives for the same answer.
 */
export class RangeFrameWriter implements RangeKvSink {
  /**
   * Made at the first write, not with the writer: a linearizable range waits for its read barrier
   * between the two, and a hundred ranges waiting must not hold a buffer each.
   */
  private buffer: Writer | null = null;
  private sent = 0;
  /** Where the message ends once `more` and `count` are written. */
  private tailEnd: number | null = null;

  constructor(private readonly keysOnly: boolean) {}

  /** How many kvs were written. */
  get kvs(): number {
    return this.sent;
  }

  private get w(): Writer {
    return (this.buffer ??= new Writer(streamedInitialBytes(), streamedFrontBytes));
  }

  kv(r: LiveRecordView): void {
    const keyLength = r.keyEnd - r.keyStart;
    const valueLength = this.keysOnly ? 0 : r.valueEnd - r.keyEnd;
    const create = storeNumber(r.createRevision);
    const mod = storeNumber(r.modRevision);
    const version = storeNumber(r.version);
    const lease = r.lease === 0n ? 0 : leaseOf(r.lease);
    const body =
      (keyLength === 0 ? 0 : 1 + varintBytes(keyLength) + keyLength) +
      wideFieldBytes(create) +
      wideFieldBytes(mod) +
      wideFieldBytes(version) +
      (valueLength === 0 ? 0 : 1 + varintBytes(valueLength) + valueLength) +
      wideFieldBytes(lease);
    const w = this.w;
    w.ensure(messageFieldBytes(body));
    w.lengthOf(2, body);
    if (keyLength > 0) {
      w.lengthOf(1, keyLength);
      if (keyLength <= keyLoopBytesMax) {
        const out = w.out;
        const bytes = r.bytes;
        let at = w.at;
        for (let i = r.keyStart; i < r.keyEnd; i++) out[at++] = bytes[i]!;
        w.at = at;
      } else {
        w.at += r.bytes.copy(w.out, w.at, r.keyStart, r.keyEnd);
      }
    }
    w.wideField(2, create);
    w.wideField(3, mod);
    w.wideField(4, version);
    if (valueLength > 0) {
      w.lengthOf(5, valueLength);
      w.at += r.bytes.copy(w.out, w.at, r.keyEnd, r.valueEnd);
    }
    w.wideField(6, lease);
    this.sent += 1;
  }

  /** The RangeResponse without its header (field 1), for a decoder. */
  body(summary: RangeSummary): Buffer {
    const end = this.writeTail(summary);
    return this.w.out.subarray(streamedFrontBytes, end);
  }

  /**
   * The whole answer as one gRPC message frame: the header `info` gives, the kvs written, then
   * `more` and `count`. Null when a header value is out of the encoder's reach (see `body`).
   */
  frame(info: HeaderInfo, summary: RangeSummary): Buffer | null {
    if (summary.sent !== this.sent) fail(`the store sent ${summary.sent} kvs, the writer took ${this.sent}`);
    let h: Header;
    try {
      h = infoHeader(info, summary.revision);
    } catch (error) {
      if (error instanceof Unencodable) return null;
      throw error;
    }
    const end = this.writeTail(summary);
    const w = this.w;
    const start = streamedFrontBytes - messageFieldBytes(h.bytes) - grpcFrameHeaderBytes;
    w.out[start] = 0;
    w.out.writeUInt32BE(end - start - grpcFrameHeaderBytes, start + 1);
    w.at = start + grpcFrameHeaderBytes;
    writeHeader(w, 1, h);
    assert(w.at === streamedFrontBytes, 'the header fills the room left in front of the kvs');
    w.at = end;
    streamedLastBytes = end;
    return w.out.subarray(start, end);
  }

  /** Writes `more` and `count` after the kvs (once) and returns where the message ends. */
  private writeTail(summary: RangeSummary): number {
    if (this.tailEnd === null) {
      const count = storeNumber(summary.count);
      const w = this.w;
      w.ensure(2 + 1 + varintBytes(count));
      w.boolField(3, summary.more);
      w.wideField(4, count);
      this.tailEnd = w.at;
    }
    return this.tailEnd;
  }
}

/** A revision, version or count from the store: a safe non-negative integer by the store's invariant. */
function storeNumber(n: number): number {
  if (!(Number.isSafeInteger(n) && n >= 0)) fail(`a store number is a safe non-negative integer, not ${n}`);
  return n;
}

/** A WatchResponse's fields before its events (its events come after: field 11 is the last). */
interface WatchResponseHead {
  readonly header: pb.ResponseHeader | null;
  readonly watch_id: unknown;
  readonly created?: boolean;
  readonly canceled?: boolean;
  readonly compact_revision?: unknown;
  readonly cancel_reason?: string;
  readonly fragment?: boolean;
}

/** Encoded header fields by header object: a revision's header is shared by every watcher it goes to. */
const headerFields = new WeakMap<pb.ResponseHeader, Buffer>();

function headerField(h: pb.ResponseHeader): Buffer {
  let bytes = headerFields.get(h);
  if (bytes === undefined) {
    const parsed = header(h);
    const w = new Writer(messageFieldBytes(parsed.bytes));
    writeHeader(w, 1, parsed);
    bytes = w.out;
    headerFields.set(h, bytes);
  }
  return bytes;
}

/**
 * The bytes of `message`'s fields before `events` (header to fragment), or null when a value is
 * not taken (see the header of this file). With `room`, the buffer is that much longer, the head
 * first and the rest left for the caller to fill (the events, in one buffer with the head).
 */
export function encodeWatchResponseHead(message: WatchResponseHead, room = 0): Buffer | null {
  try {
    const headerBytes = message.header ? headerField(message.header) : null;
    const watchId = wide(message.watch_id);
    const compactRevision = wide(message.compact_revision ?? 0);
    const reason = message.cancel_reason ?? '';
    if (typeof reason !== 'string') throw new Unencodable();
    const reasonBytes = Buffer.byteLength(reason);
    const bytes =
      (headerBytes?.length ?? 0) +
      wideFieldBytes(watchId) +
      (message.created === true ? 2 : 0) +
      (message.canceled === true ? 2 : 0) +
      wideFieldBytes(compactRevision) +
      (reasonBytes === 0 ? 0 : 1 + varintBytes(reasonBytes) + reasonBytes) +
      (message.fragment === true ? 2 : 0);
    const w = new Writer(bytes + room);
    if (headerBytes) {
      w.out.set(headerBytes, 0);
      w.at = headerBytes.length;
    }
    w.wideField(2, watchId);
    w.boolField(3, message.created === true);
    w.boolField(4, message.canceled === true);
    w.wideField(5, compactRevision);
    if (reasonBytes > 0) {
      w.lengthOf(6, reasonBytes);
      w.at += w.out.write(reason, w.at, 'utf8');
    }
    w.boolField(7, message.fragment === true);
    if (w.at !== bytes) fail(`encoded ${w.at} bytes where ${bytes} were sized`);
    return w.out;
  } catch (error) {
    if (error instanceof Unencodable) return null;
    throw error;
  }
}
