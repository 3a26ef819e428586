// Translation between the protobuf objects of @grpc/proto-loader (see core/api/proto/load.ts:
// snake_case names, 64-bit integers as decimal strings, bytes as Buffers, enums as names) and
// core's request and response types. No behaviour: validation that etcd does at its API edge is
// in core/api/validate.ts.
import type {
  Compare, DeleteRangeRequest, DeleteRangeResponse, Event, KeyValue, PutRequest, PutResponse, RangeRequest,
  RangeResponse, RequestOp, ResponseOp, TxnRequest, TxnResponse,
} from '../mvcc/types.js';
import type * as pb from './proto/messages.js';
import type { HeaderInfo } from './backend.js';
import { InvalidRequestError } from './grpcStatus.js';

/** A decoded 64-bit integer field (decimal string, or a number from the JSON gateway). */
export type WireInt = string | number | undefined | null;

/** A signed 64-bit integer as a JS number, clamped to the safe range (beyond it, values only compare). */
export function toNumber(value: WireInt): number {
  if (value === undefined || value === null || value === '') return 0;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) throw new InvalidRequestError(`etcdserver: invalid integer ${String(value)}`);
  if (n > Number.MAX_SAFE_INTEGER) return Number.MAX_SAFE_INTEGER;
  if (n < Number.MIN_SAFE_INTEGER) return Number.MIN_SAFE_INTEGER;
  return Math.trunc(n);
}

export function toBigInt(value: WireInt): bigint {
  if (value === undefined || value === null || value === '') return 0n;
  try {
    return BigInt(value);
  } catch {
    throw new InvalidRequestError(`etcdserver: invalid integer ${String(value)}`);
  }
}

/** A hex member id from a decoded uint64 field. */
export function toMemberId(value: WireInt): string {
  return toBigInt(value).toString(16);
}

/** fromHexId's answers so far (bounded: ids come from requests too). */
const decimalIds = new Map<string, string>();
const decimalIdsMax = 256;

/** A decimal uint64 string from a hex id. */
export function fromHexId(id: string): string {
  let decimal = decimalIds.get(id);
  if (decimal === undefined) {
    decimal = BigInt(`0x${id || '0'}`).toString();
    // Every response names the cluster and the member: a handful of ids, converted once each.
    if (decimalIds.size >= decimalIdsMax) decimalIds.clear();
    decimalIds.set(id, decimal);
  }
  return decimal;
}

function bytes(value: Uint8Array | undefined | null): Uint8Array {
  return value ?? new Uint8Array(0);
}

function optionalBytes(value: Uint8Array | undefined | null): Uint8Array | undefined {
  return value && value.length > 0 ? value : undefined;
}

function buffer(value: Uint8Array): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

export function header(info: HeaderInfo, revision = info.revision): pb.ResponseHeader {
  return {
    cluster_id: fromHexId(info.clusterId),
    member_id: fromHexId(info.memberId),
    revision: String(revision),
    raft_term: String(info.raftTerm),
  };
}

export function keyValueToWire(kv: KeyValue): pb.KeyValue {
  return {
    key: buffer(kv.key),
    create_revision: String(kv.createRevision),
    mod_revision: String(kv.modRevision),
    version: String(kv.version),
    value: buffer(kv.value),
    lease: kv.lease.toString(),
  };
}

export function eventToWire(event: Event): pb.Event {
  return { type: event.type, kv: keyValueToWire(event.kv), prev_kv: event.prevKv ? keyValueToWire(event.prevKv) : null };
}

const sortOrders = new Set(['NONE', 'ASCEND', 'DESCEND']);
const sortTargets = new Set(['KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE']);

export function rangeRequestFromWire(q: pb.RangeRequest): RangeRequest {
  const sortOrder = q.sort_order ?? 'NONE';
  const sortTarget = q.sort_target ?? 'KEY';
  if (!sortOrders.has(sortOrder) || !sortTargets.has(sortTarget)) throw new InvalidRequestError('etcdserver: invalid sort option');
  const rangeEnd = optionalBytes(q.range_end);
  return {
    key: bytes(q.key),
    ...(rangeEnd ? { rangeEnd } : {}),
    limit: Math.max(0, toNumber(q.limit)),
    revision: Math.max(0, toNumber(q.revision)),
    sortOrder: sortOrder,
    sortTarget: sortTarget,
    serializable: q.serializable ?? false,
    keysOnly: q.keys_only ?? false,
    countOnly: q.count_only ?? false,
    minModRevision: toNumber(q.min_mod_revision),
    maxModRevision: toNumber(q.max_mod_revision),
    minCreateRevision: toNumber(q.min_create_revision),
    maxCreateRevision: toNumber(q.max_create_revision),
  };
}

export function putRequestFromWire(q: pb.PutRequest): PutRequest {
  return {
    key: bytes(q.key),
    value: bytes(q.value),
    lease: toBigInt(q.lease),
    prevKv: q.prev_kv ?? false,
    ignoreValue: q.ignore_value ?? false,
    ignoreLease: q.ignore_lease ?? false,
  };
}

export function deleteRangeRequestFromWire(q: pb.DeleteRangeRequest): DeleteRangeRequest {
  const rangeEnd = optionalBytes(q.range_end);
  return { key: bytes(q.key), ...(rangeEnd ? { rangeEnd } : {}), prevKv: q.prev_kv ?? false };
}

const compareResults: ReadonlySet<unknown> = new Set(['EQUAL', 'GREATER', 'LESS', 'NOT_EQUAL']);

function compareFromWire(c: pb.Compare): Compare {
  // An unknown result (a newer client's enum value, or garbage) would reach the log and stop
  // every member that applies it: refuse it here instead. A missing one is proto3's default.
  const result = c.result ?? 'EQUAL';
  if (!compareResults.has(result)) throw new InvalidRequestError('etcdserver: invalid compare result');
  const rangeEnd = optionalBytes(c.range_end);
  const common = { result, key: bytes(c.key), ...(rangeEnd ? { rangeEnd } : {}) };
  switch (c.target) {
    case 'VERSION': return { ...common, target: 'VERSION', version: toNumber(c.version) };
    case 'CREATE': return { ...common, target: 'CREATE', createRevision: toNumber(c.create_revision) };
    case 'MOD': return { ...common, target: 'MOD', modRevision: toNumber(c.mod_revision) };
    case 'VALUE': return { ...common, target: 'VALUE', value: bytes(c.value) };
    case 'LEASE': return { ...common, target: 'LEASE', lease: toBigInt(c.lease) };
    default: throw new InvalidRequestError('etcdserver: invalid compare target');
  }
}

type WireRequestOp = pb.RequestOp & { request?: string };

function requestOpFromWire(op: WireRequestOp): RequestOp {
  if ('request_range' in op && op.request_range) return { requestRange: rangeRequestFromWire(op.request_range) };
  if ('request_put' in op && op.request_put) return { requestPut: putRequestFromWire(op.request_put) };
  if ('request_delete_range' in op && op.request_delete_range) return { requestDeleteRange: deleteRangeRequestFromWire(op.request_delete_range) };
  if ('request_txn' in op && op.request_txn) return { requestTxn: txnRequestFromWire(op.request_txn) };
  throw new InvalidRequestError('etcdserver: a transaction operation names no request');
}

export function txnRequestFromWire(q: pb.TxnRequest): TxnRequest {
  return {
    compare: (q.compare ?? []).map(compareFromWire),
    success: (q.success ?? []).map((op) => requestOpFromWire(op as WireRequestOp)),
    failure: (q.failure ?? []).map((op) => requestOpFromWire(op as WireRequestOp)),
  };
}

export function rangeResponseToWire(info: HeaderInfo, r: RangeResponse): pb.RangeResponse {
  return { header: header(info, r.revision), kvs: r.kvs.map(keyValueToWire), more: r.more, count: String(r.count) };
}

export function putResponseToWire(info: HeaderInfo, r: PutResponse): pb.PutResponse {
  return { header: header(info, r.revision), prev_kv: r.prevKv ? keyValueToWire(r.prevKv) : null };
}

export function deleteRangeResponseToWire(info: HeaderInfo, r: DeleteRangeResponse): pb.DeleteRangeResponse {
  return { header: header(info, r.revision), deleted: String(r.deleted), prev_kvs: r.prevKvs.map(keyValueToWire) };
}

/** Responses inside a transaction carry only their revision in the header, as etcd's do. */
const innerHeaderInfo = (info: HeaderInfo): HeaderInfo => ({ clusterId: '0', memberId: '0', raftTerm: 0, revision: info.revision });

function responseOpToWire(outer: HeaderInfo, op: ResponseOp): pb.ResponseOp {
  const info = innerHeaderInfo(outer);
  if ('responseRange' in op) return { response: 'response_range', response_range: rangeResponseToWire(info, op.responseRange) };
  if ('responsePut' in op) return { response: 'response_put', response_put: putResponseToWire(info, op.responsePut) };
  if ('responseDeleteRange' in op) return { response: 'response_delete_range', response_delete_range: deleteRangeResponseToWire(info, op.responseDeleteRange) };
  // etcd leaves a nested transaction's own header empty (its operations carry the revision).
  return { response: 'response_txn', response_txn: txnResponseToWire(info, op.responseTxn, 0) };
}

export function txnResponseToWire(info: HeaderInfo, r: TxnResponse, headerRevision = r.revision): pb.TxnResponse {
  return { header: header(info, headerRevision), succeeded: r.succeeded, responses: r.responses.map((op) => responseOpToWire(info, op)) };
}
