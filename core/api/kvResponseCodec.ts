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
import { assert } from '../raft/assert.js';

/** A 64-bit field's value: a safe non-negative number, or its two's-complement bits (negative or past 2^53). */
type Wide = number | bigint;

class Unencodable extends Error {}

const twoTo31 = 2 ** 31;

function wide(value: unknown): Wide {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return value >= 0 ? value : BigInt.asUintN(64, BigInt(value));
    throw new Unencodable();
  }
  if (typeof value !== 'string') throw new Unencodable();
  const n = Number(value);
  if (Number.isSafeInteger(n) && n >= 0 && String(n) === value) return n;
  if (!/^-?\d{1,20}$/.test(value)) throw new Unencodable();
  const big = BigInt(value);
  if (big < -(2n ** 63n) || big >= 2n ** 64n) throw new Unencodable();
  return BigInt.asUintN(64, big);
}

function varintBytes(value: Wide): number {
  if (typeof value === 'bigint') {
    let bytes = 1;
    for (let rest = value >> 7n; rest > 0n; rest >>= 7n) bytes++;
    return bytes;
  }
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

/** A buffer filled front to back; its size was computed first, so it never grows. */
class Writer {
  readonly out: Buffer;
  at = 0;

  constructor(bytes: number) {
    this.out = Buffer.allocUnsafe(bytes);
  }

  varint(value: Wide): void {
    if (typeof value === 'bigint') {
      let rest = value;
      while (rest >= 0x80n) {
        this.out[this.at++] = Number(rest & 0x7fn) | 0x80;
        rest >>= 7n;
      }
      this.out[this.at++] = Number(rest);
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

function header(h: pb.ResponseHeader): Header {
  const clusterId = wide(h.cluster_id);
  const memberId = wide(h.member_id);
  const revision = wide(h.revision);
  const raftTerm = wide(h.raft_term);
  return { clusterId, memberId, revision, raftTerm, bytes: wideFieldBytes(clusterId) + wideFieldBytes(memberId) + wideFieldBytes(revision) + wideFieldBytes(raftTerm) };
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

function kv(source: pb.KeyValue): Kv {
  const key = bytesOf(source.key);
  const value = bytesOf(source.value);
  const createRevision = wide(source.create_revision);
  const modRevision = wide(source.mod_revision);
  const version = wide(source.version);
  const lease = wide(source.lease);
  const bytes = bytesFieldBytes(key) + wideFieldBytes(createRevision) + wideFieldBytes(modRevision) + wideFieldBytes(version) + bytesFieldBytes(value) + wideFieldBytes(lease);
  return { key, value, createRevision, modRevision, version, lease, bytes };
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

function encoder<T>(parse: (response: T) => Parsed): (response: T) => Buffer | null {
  return (response) => {
    let parsed: Parsed;
    try {
      parsed = parse(response);
    } catch (error) {
      if (error instanceof Unencodable) return null;
      throw error;
    }
    const w = new Writer(parsed.bytes);
    parsed.write(w);
    assert(w.at === parsed.bytes, `encoded ${w.at} bytes where ${parsed.bytes} were sized`);
    return w.out;
  };
}

/**
 * Encoders by KV method name; each returns null for a response it does not take (see the
 * header), which the caller then encodes with the reflective encoder.
 */
export const kvResponseEncoders: Readonly<Record<string, (response: never) => Buffer | null>> = {
  Range: encoder(range),
  Put: encoder(put),
  DeleteRange: encoder(deleteRange),
  Txn: encoder(txn),
};

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
 * not taken (see the header of this file).
 */
export function encodeWatchResponseHead(message: WatchResponseHead): Buffer | null {
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
    const w = new Writer(bytes);
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
    assert(w.at === bytes, `encoded ${w.at} bytes where ${bytes} were sized`);
    return w.out;
  } catch (error) {
    if (error instanceof Unencodable) return null;
    throw error;
  }
}
