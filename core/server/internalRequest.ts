// The requests a member proposes through Raft and applies from committed entries, and their
// compact binary encoding (entry payloads are on every hot path: JSON would cost too much). The
// encoding is versioned by its first byte so the format can grow without breaking old WALs.
import { ByteReader, ByteWriter, DecodeError } from '../util/binary.js';
import type { AuthInfo, AuthRequest } from '../auth/authStore.js';
import { permissionTypes } from '../auth/permissions.js';
import type {
  AlarmType, Compare, CompactionRequest, DeleteRangeRequest, PutRequest, RangeRequest, RequestOp, SortOrder, SortTarget, TxnRequest,
} from '../mvcc/types.js';

export interface LeaseCheckpoint {
  readonly id: bigint;
  readonly remainingTtlSeconds: number;
}

export type InternalRequest =
  | { readonly kind: 'put'; readonly put: PutRequest }
  | { readonly kind: 'deleteRange'; readonly deleteRange: DeleteRangeRequest }
  | { readonly kind: 'txn'; readonly txn: TxnRequest }
  | { readonly kind: 'compaction'; readonly compaction: CompactionRequest }
  | { readonly kind: 'leaseGrant'; readonly id: bigint; readonly ttlSeconds: number }
  | { readonly kind: 'leaseRevoke'; readonly id: bigint }
  | { readonly kind: 'leaseCheckpoint'; readonly checkpoints: readonly LeaseCheckpoint[] }
  | { readonly kind: 'alarm'; readonly action: 'activate' | 'deactivate'; readonly memberId: bigint; readonly alarm: AlarmType }
  | { readonly kind: 'memberAttributes'; readonly memberId: string; readonly name: string; readonly clientUrls: readonly string[] }
  | { readonly kind: 'memberUpdate'; readonly memberId: string; readonly peerUrls: readonly string[] }
  | { readonly kind: 'auth'; readonly auth: AuthRequest };

/**
 * A request as it travels in a Raft entry. `id` 0n means nobody waits for the result. `caller`
 * is who a client request runs as (etcd's request header: user name and auth revision, both
 * empty for a caller without credentials), checked when the entry applies; null marks the
 * member's own requests (lease expiry, compaction, attributes), which no permission limits.
 */
export interface RequestEnvelope {
  readonly id: bigint;
  readonly request: InternalRequest;
  readonly caller?: AuthInfo | null;
}

/**
 * Version 3 adds the caller after the id (and the auth requests). Version 2 writes etcd's int64 counts, revisions, compare values and TTLs signed (zig-zag): a
 * negative one (etcd accepts them) written unsigned by version 1 made an entry no member could
 * decode, and every member stopped on applying it. Version 1 entries are still read.
 */
const formatVersion = 3;
const formatVersionsRead = [1, 2, 3];

/** A reader that knows which version wrote the entry, for the numbers version 2 signs. */
class EntryReader extends ByteReader {
  constructor(
    data: Uint8Array,
    private readonly signedNumbers: boolean,
  ) {
    super(data);
  }

  /** A count, revision, compare value or TTL: signed from version 2 on. */
  num(): number {
    return this.signedNumbers ? this.int() : this.uint();
  }
}
/** Nesting limit for transactions inside transactions; deeper requests are refused at the API edge too. */
export const txnDepthMax = 16;

const kinds = ['put', 'deleteRange', 'txn', 'compaction', 'leaseGrant', 'leaseRevoke', 'leaseCheckpoint', 'alarm', 'memberAttributes', 'memberUpdate', 'auth'] as const;
const authOps = [
  'authEnable', 'authDisable', 'authStatus', 'authenticate', 'userAdd', 'userDelete', 'userChangePassword', 'userGrantRole', 'userRevokeRole',
  'userGet', 'userList', 'roleAdd', 'roleDelete', 'roleGet', 'roleList', 'roleGrantPermission', 'roleRevokePermission',
] as const;
const sortOrders: readonly SortOrder[] = ['NONE', 'ASCEND', 'DESCEND'];
const sortTargets: readonly SortTarget[] = ['KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE'];
const compareResults = ['EQUAL', 'GREATER', 'LESS', 'NOT_EQUAL'] as const;
const compareTargets = ['VERSION', 'CREATE', 'MOD', 'VALUE', 'LEASE'] as const;
const alarms: readonly AlarmType[] = ['NOSPACE', 'CORRUPT'];
const empty = new Uint8Array(0);

function pick<T>(list: readonly T[], index: number, what: string): T {
  const value = list[index];
  if (value === undefined) throw new DecodeError(`unknown ${what} ${index}`);
  return value;
}

function writeOptionalBytes(w: ByteWriter, value: Uint8Array | undefined): void {
  w.bool(value !== undefined);
  if (value !== undefined) w.bytes(value);
}

function readOptionalBytes(r: ByteReader): Uint8Array | undefined {
  return r.bool() ? r.bytes() : undefined;
}

function writeRange(w: ByteWriter, q: RangeRequest): void {
  w.bytes(q.key);
  writeOptionalBytes(w, q.rangeEnd);
  w.int(q.limit ?? 0).int(q.revision ?? 0);
  w.u8(sortOrders.indexOf(q.sortOrder ?? 'NONE')).u8(sortTargets.indexOf(q.sortTarget ?? 'KEY'));
  w.u8((q.serializable ? 1 : 0) | (q.keysOnly ? 2 : 0) | (q.countOnly ? 4 : 0));
  w.int(q.minModRevision ?? 0).int(q.maxModRevision ?? 0).int(q.minCreateRevision ?? 0).int(q.maxCreateRevision ?? 0);
}

function readRange(r: EntryReader): RangeRequest {
  const key = r.bytes();
  const rangeEnd = readOptionalBytes(r);
  const limit = r.num();
  const revision = r.num();
  const sortOrder = pick(sortOrders, r.u8(), 'sort order');
  const sortTarget = pick(sortTargets, r.u8(), 'sort target');
  const flags = r.u8();
  return {
    key, ...(rangeEnd ? { rangeEnd } : {}), limit, revision, sortOrder, sortTarget,
    serializable: (flags & 1) !== 0, keysOnly: (flags & 2) !== 0, countOnly: (flags & 4) !== 0,
    minModRevision: r.num(), maxModRevision: r.num(), minCreateRevision: r.num(), maxCreateRevision: r.num(),
  };
}

function writePut(w: ByteWriter, q: PutRequest): void {
  w.bytes(q.key).bytes(q.value ?? empty).bigint(q.lease ?? 0n);
  w.u8((q.prevKv ? 1 : 0) | (q.ignoreValue ? 2 : 0) | (q.ignoreLease ? 4 : 0));
}

function readPut(r: ByteReader): PutRequest {
  const key = r.bytes();
  const value = r.bytes();
  const lease = r.bigint();
  const flags = r.u8();
  return { key, value, lease, prevKv: (flags & 1) !== 0, ignoreValue: (flags & 2) !== 0, ignoreLease: (flags & 4) !== 0 };
}

function writeDelete(w: ByteWriter, q: DeleteRangeRequest): void {
  w.bytes(q.key);
  writeOptionalBytes(w, q.rangeEnd);
  w.bool(q.prevKv ?? false);
}

function readDelete(r: ByteReader): DeleteRangeRequest {
  const key = r.bytes();
  const rangeEnd = readOptionalBytes(r);
  return { key, ...(rangeEnd ? { rangeEnd } : {}), prevKv: r.bool() };
}

function writeCompare(w: ByteWriter, c: Compare): void {
  w.u8(compareTargets.indexOf(c.target)).u8(compareResults.indexOf(c.result)).bytes(c.key);
  writeOptionalBytes(w, c.rangeEnd);
  switch (c.target) {
    case 'VERSION': w.int(c.version); break;
    case 'CREATE': w.int(c.createRevision); break;
    case 'MOD': w.int(c.modRevision); break;
    case 'VALUE': w.bytes(c.value); break;
    case 'LEASE': w.bigint(c.lease); break;
  }
}

function readCompare(r: EntryReader): Compare {
  const target = pick(compareTargets, r.u8(), 'compare target');
  const result = pick(compareResults, r.u8(), 'compare result');
  const key = r.bytes();
  const rangeEnd = readOptionalBytes(r);
  const common = { result, key, ...(rangeEnd ? { rangeEnd } : {}) };
  switch (target) {
    case 'VERSION': return { ...common, target, version: r.num() };
    case 'CREATE': return { ...common, target, createRevision: r.num() };
    case 'MOD': return { ...common, target, modRevision: r.num() };
    case 'VALUE': return { ...common, target, value: r.bytes() };
    case 'LEASE': return { ...common, target, lease: r.bigint() };
  }
}

function writeOps(w: ByteWriter, ops: readonly RequestOp[], depth: number): void {
  w.uint(ops.length);
  for (const op of ops) {
    if ('requestRange' in op) writeRange(w.u8(0), op.requestRange);
    else if ('requestPut' in op) writePut(w.u8(1), op.requestPut);
    else if ('requestDeleteRange' in op) writeDelete(w.u8(2), op.requestDeleteRange);
    else writeTxn(w.u8(3), op.requestTxn, depth + 1);
  }
}

function readOps(r: EntryReader, depth: number): RequestOp[] {
  const count = r.uint();
  const ops: RequestOp[] = [];
  for (let i = 0; i < count; i++) {
    const tag = r.u8();
    if (tag === 0) ops.push({ requestRange: readRange(r) });
    else if (tag === 1) ops.push({ requestPut: readPut(r) });
    else if (tag === 2) ops.push({ requestDeleteRange: readDelete(r) });
    else if (tag === 3) ops.push({ requestTxn: readTxn(r, depth + 1) });
    else throw new DecodeError(`unknown txn operation ${tag}`);
  }
  return ops;
}

function writeTxn(w: ByteWriter, t: TxnRequest, depth: number): void {
  if (depth > txnDepthMax) throw new RangeError(`transactions nest deeper than ${txnDepthMax}`);
  const compares = t.compare ?? [];
  w.uint(compares.length);
  for (const c of compares) writeCompare(w, c);
  writeOps(w, t.success ?? [], depth);
  writeOps(w, t.failure ?? [], depth);
}

function readTxn(r: EntryReader, depth: number): TxnRequest {
  if (depth > txnDepthMax) throw new DecodeError(`transactions nest deeper than ${txnDepthMax}`);
  const count = r.uint();
  const compare: Compare[] = [];
  for (let i = 0; i < count; i++) compare.push(readCompare(r));
  return { compare, success: readOps(r, depth), failure: readOps(r, depth) };
}

/** Names and roles are strings; hashes and token prefixes never passwords (those stay at the edge). */
function writeAuth(w: ByteWriter, q: AuthRequest): void {
  w.u8(authOps.indexOf(q.op));
  switch (q.op) {
    case 'authEnable': case 'authDisable': case 'authStatus': case 'userList': case 'roleList': break;
    case 'authenticate': w.string(q.name).string(q.tokenPrefix); break;
    case 'userAdd':
      w.string(q.name).bool(q.passwordHash !== null);
      if (q.passwordHash !== null) w.string(q.passwordHash);
      break;
    case 'userChangePassword': w.string(q.name).string(q.passwordHash); break;
    case 'userGrantRole': case 'userRevokeRole': w.string(q.name).string(q.role); break;
    case 'userDelete': case 'userGet': case 'roleAdd': case 'roleDelete': case 'roleGet': w.string(q.name); break;
    case 'roleGrantPermission':
      w.string(q.name).bool(q.permission !== null);
      if (q.permission !== null) w.u8(permissionTypes.indexOf(q.permission.type)).bytes(q.permission.key).bytes(q.permission.rangeEnd);
      break;
    case 'roleRevokePermission': w.string(q.name).bytes(q.key).bytes(q.rangeEnd); break;
  }
}

function readAuth(r: ByteReader): AuthRequest {
  const op = pick(authOps, r.u8(), 'auth request');
  switch (op) {
    case 'authEnable': case 'authDisable': case 'authStatus': case 'userList': case 'roleList': return { op };
    case 'authenticate': return { op, name: r.string(), tokenPrefix: r.string() };
    case 'userAdd': {
      const name = r.string();
      return { op, name, passwordHash: r.bool() ? r.string() : null };
    }
    case 'userChangePassword': return { op, name: r.string(), passwordHash: r.string() };
    case 'userGrantRole': case 'userRevokeRole': return { op, name: r.string(), role: r.string() };
    case 'userDelete': case 'userGet': case 'roleAdd': case 'roleDelete': case 'roleGet': return { op, name: r.string() };
    case 'roleGrantPermission': {
      const name = r.string();
      if (!r.bool()) return { op, name, permission: null };
      const type = pick(permissionTypes, r.u8(), 'permission type');
      return { op, name, permission: { type, key: Buffer.from(r.bytes()), rangeEnd: Buffer.from(r.bytes()) } };
    }
    case 'roleRevokePermission': return { op, name: r.string(), key: Buffer.from(r.bytes()), rangeEnd: Buffer.from(r.bytes()) };
  }
}

/** Encodes a request for a Raft entry. */
export function encodeRequest(envelope: RequestEnvelope): Uint8Array {
  const q = envelope.request;
  const w = new ByteWriter(encodedBytesHint(envelope));
  w.u8(formatVersion).bigint(envelope.id);
  const caller = envelope.caller ?? null;
  w.bool(caller !== null);
  if (caller !== null) w.string(caller.user).uint(caller.revision);
  w.u8(kinds.indexOf(q.kind));
  switch (q.kind) {
    case 'put': writePut(w, q.put); break;
    case 'deleteRange': writeDelete(w, q.deleteRange); break;
    case 'txn': writeTxn(w, q.txn, 0); break;
    case 'compaction': w.int(q.compaction.revision).bool(q.compaction.physical ?? false); break;
    case 'leaseGrant': w.bigint(q.id).int(q.ttlSeconds); break;
    case 'leaseRevoke': w.bigint(q.id); break;
    case 'leaseCheckpoint':
      w.uint(q.checkpoints.length);
      for (const c of q.checkpoints) w.bigint(c.id).int(c.remainingTtlSeconds);
      break;
    case 'alarm': w.bool(q.action === 'activate').bigint(q.memberId).u8(alarms.indexOf(q.alarm)); break;
    case 'memberAttributes':
      w.string(q.memberId).string(q.name).uint(q.clientUrls.length);
      for (const url of q.clientUrls) w.string(url);
      break;
    case 'memberUpdate':
      w.string(q.memberId).uint(q.peerUrls.length);
      for (const url of q.peerUrls) w.string(url);
      break;
    case 'auth': writeAuth(w, q.auth); break;
  }
  // Entries stay in memory until the log is compacted. A large entry's writer has a buffer of its
  // own, kept when little of it is wasted; a small one's is a slice of Node's shared pool, and its
  // bytes are copied out to where they pin nothing else.
  const encoded = w.finish();
  return encoded.buffer.byteLength - encoded.length <= encodedSlackBytesMax ? encoded : entryArena.keep(encoded);
}

/** Bytes beyond the encoding that encodeRequest lets an entry's own buffer hold rather than copy it. */
const encodedSlackBytesMax = 128;

/**
 * Where encoded entries are kept: packed one after another into slabs of their own, since a typed
 * array of its own per entry costs about 0.7 µs to make (over 64 bytes) and one more backing store
 * for the collector. Entries leave the log in the order they came, so a slab is freed soon after
 * its last entry is; an entry over a sixteenth of a slab gets a buffer of its own.
 */
class EntryArena {
  private slab = new Uint8Array(entrySlabBytes);
  private at = 0;

  keep(bytes: Uint8Array): Uint8Array {
    const length = bytes.length;
    if (length > entrySlabBytes >>> 4) return Uint8Array.prototype.slice.call(bytes);
    if (this.at + length > entrySlabBytes) {
      this.slab = new Uint8Array(entrySlabBytes);
      this.at = 0;
    }
    const kept = this.slab.subarray(this.at, this.at + length);
    kept.set(bytes);
    this.at += length;
    return kept;
  }
}

const entrySlabBytes = 64 * 1024;
const entryArena = new EntryArena();

/**
 * A buffer size that holds a put's encoding with room for the writer's headroom checks (so the
 * writer neither grows nor wastes much); the writer's default for other requests.
 */
function encodedBytesHint(envelope: RequestEnvelope): number | undefined {
  const q = envelope.request;
  if (q.kind !== 'put') return undefined;
  const caller = envelope.caller === null || envelope.caller === undefined ? 0 : 3 * envelope.caller.user.length + 24;
  return 64 + caller + q.put.key.length + (q.put.value?.length ?? 0);
}

/** Decodes an entry payload. Throws DecodeError on malformed input. */
export function decodeRequest(data: Uint8Array): RequestEnvelope {
  const version = data[0] ?? -1;
  if (!formatVersionsRead.includes(version)) throw new DecodeError(`unknown request format version ${version}`);
  const r = new EntryReader(data, version >= 2);
  r.u8();
  const id = r.bigint();
  const caller = version >= 3 && r.bool() ? { user: r.string(), revision: r.uint() } : null;
  const kind = pick(kinds, r.u8(), 'request kind');
  let request: InternalRequest;
  switch (kind) {
    case 'put': request = { kind, put: readPut(r) }; break;
    case 'deleteRange': request = { kind, deleteRange: readDelete(r) }; break;
    case 'txn': request = { kind, txn: readTxn(r, 0) }; break;
    case 'compaction': request = { kind, compaction: { revision: r.num(), physical: r.bool() } }; break;
    case 'leaseGrant': request = { kind, id: r.bigint(), ttlSeconds: r.num() }; break;
    case 'leaseRevoke': request = { kind, id: r.bigint() }; break;
    case 'leaseCheckpoint': {
      const count = r.uint();
      const checkpoints: LeaseCheckpoint[] = [];
      for (let i = 0; i < count; i++) checkpoints.push({ id: r.bigint(), remainingTtlSeconds: r.num() });
      request = { kind, checkpoints };
      break;
    }
    case 'alarm': {
      const action = r.bool() ? 'activate' : 'deactivate';
      request = { kind, action, memberId: r.bigint(), alarm: pick(alarms, r.u8(), 'alarm') };
      break;
    }
    case 'memberAttributes': {
      const memberId = r.string();
      const name = r.string();
      const count = r.uint();
      const clientUrls: string[] = [];
      for (let i = 0; i < count; i++) clientUrls.push(r.string());
      request = { kind, memberId, name, clientUrls };
      break;
    }
    case 'memberUpdate': {
      const memberId = r.string();
      const count = r.uint();
      const peerUrls: string[] = [];
      for (let i = 0; i < count; i++) peerUrls.push(r.string());
      request = { kind, memberId, peerUrls };
      break;
    }
    case 'auth': request = { kind, auth: readAuth(r) }; break;
  }
  if (!r.done) throw new DecodeError('trailing bytes after a request');
  return caller === null ? { id, request } : { id, request, caller };
}

/**
 * A one-line readable form for the Raft inspector and the WAL inspector. `hideNames` leaves out
 * keys and user and role names: the inspector answers anyone who reaches the client port, so
 * with auth enabled it must not show what only permitted users may read.
 */
export function describeRequest(data: Uint8Array, hideNames = false): string {
  let envelope: RequestEnvelope;
  try {
    envelope = decodeRequest(data);
  } catch (error) {
    return `undecodable (${error instanceof Error ? error.message : String(error)})`;
  }
  const text = (bytes: Uint8Array): string => (hideNames ? '(key hidden)' : JSON.stringify(Buffer.from(bytes).toString('utf8')));
  const q = envelope.request;
  switch (q.kind) {
    case 'put': return `put ${text(q.put.key)} (${q.put.value?.length ?? 0} bytes${q.put.lease ? `, lease ${q.put.lease.toString(16)}` : ''})`;
    case 'deleteRange': return `delete ${text(q.deleteRange.key)}${q.deleteRange.rangeEnd ? ` to ${text(q.deleteRange.rangeEnd)}` : ''}`;
    case 'txn': return `txn (${q.txn.compare?.length ?? 0} compares, ${q.txn.success?.length ?? 0} success ops, ${q.txn.failure?.length ?? 0} failure ops)`;
    case 'compaction': return `compact to revision ${q.compaction.revision}`;
    case 'leaseGrant': return `lease grant ${q.id.toString(16)} ttl ${q.ttlSeconds}s`;
    case 'leaseRevoke': return `lease revoke ${q.id.toString(16)}`;
    case 'leaseCheckpoint': return `lease checkpoint (${q.checkpoints.length} leases)`;
    case 'alarm': return `alarm ${q.action} ${q.alarm} on member ${q.memberId.toString(16)}`;
    case 'memberAttributes': return `publish member ${q.memberId} name ${JSON.stringify(q.name)}`;
    case 'memberUpdate': return `update member ${q.memberId} peer URLs ${q.peerUrls.join(',')}`;
    case 'auth': return `auth ${q.auth.op}${'name' in q.auth && !hideNames ? ` ${JSON.stringify(q.auth.name)}` : ''}`;
  }
}
