// Builds etcd KV wire requests from the client's options and turns wire responses into client
// results. Shared by KvClient's direct calls and by transaction operations.
import type {
  DeleteRangeRequest,
  DeleteRangeResponse,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  SortOrder,
  SortTarget,
} from '../api/proto/messages.js';
import { assert } from '../raft/assert.js';
import { prefixEnd, rangeEndAll, toBuffer, toIdString, toSafeNumber } from './bytes.js';
import type { Bytes } from './bytes.js';
import { toHeader } from './header.js';
import type { ResponseHeader } from './header.js';
import { KeyValue, keyValueOrNull } from './keyValue.js';

/** Which keys an operation covers: one key (default), a prefix, [key, rangeEnd) or all >= key. */
export interface RangeSelector {
  /** Every key starting with the given key. */
  readonly prefix?: boolean;
  /** Every key in [key, rangeEnd). */
  readonly rangeEnd?: Bytes;
  /** Every key >= the given key. */
  readonly fromKey?: boolean;
}

export interface GetOptions extends RangeSelector {
  /** At most this many keys; 0 or absent means no limit. */
  readonly limit?: number;
  /** Read the store as of this revision (until compacted); absent means the newest. */
  readonly revision?: number;
  readonly sortOrder?: 'none' | 'ascend' | 'descend';
  readonly sortTarget?: 'key' | 'version' | 'create' | 'mod' | 'value';
  /** Serve from the contacted member without a quorum round (may be stale). */
  readonly serializable?: boolean;
  readonly keysOnly?: boolean;
  readonly countOnly?: boolean;
  readonly minModRevision?: number;
  readonly maxModRevision?: number;
  readonly minCreateRevision?: number;
  readonly maxCreateRevision?: number;
}

export interface PutOptions {
  /** Attach the key to this lease (decimal string, bigint or safe number). */
  readonly lease?: string | bigint | number;
  /** Return the previous pair. */
  readonly prevKv?: boolean;
  /** Keep the current value (the key must exist). */
  readonly ignoreValue?: boolean;
  /** Keep the current lease (the key must exist). */
  readonly ignoreLease?: boolean;
}

export interface DeleteOptions extends RangeSelector {
  /** Return the deleted pairs. */
  readonly prevKv?: boolean;
}

export interface GetResult {
  readonly header: ResponseHeader;
  readonly kvs: KeyValue[];
  /** True when the limit cut the result short. */
  readonly more: boolean;
  /** Number of keys in the range (regardless of limit). */
  readonly count: number;
}

export interface PutResult {
  readonly header: ResponseHeader;
  readonly prevKv: KeyValue | null;
}

export interface DeleteResult {
  readonly header: ResponseHeader;
  readonly deleted: number;
  readonly prevKvs: KeyValue[];
}

const sortOrders: Record<NonNullable<GetOptions['sortOrder']>, SortOrder> = {
  none: 'NONE',
  ascend: 'ASCEND',
  descend: 'DESCEND',
};
const sortTargets: Record<NonNullable<GetOptions['sortTarget']>, SortTarget> = {
  key: 'KEY',
  version: 'VERSION',
  create: 'CREATE',
  mod: 'MOD',
  value: 'VALUE',
};

/** The range end for `key` under `selector`, or undefined for a single key. */
export function selectorRangeEnd(key: Bytes, selector: RangeSelector): Buffer | undefined {
  const chosen = [selector.prefix, selector.rangeEnd !== undefined, selector.fromKey].filter(Boolean);
  assert(chosen.length <= 1, 'prefix, rangeEnd and fromKey are exclusive');
  if (selector.prefix) return prefixEnd(key);
  if (selector.rangeEnd !== undefined) return toBuffer(selector.rangeEnd);
  if (selector.fromKey) return Buffer.from(rangeEndAll);
  return undefined;
}

function setIf<T extends object, K extends keyof T>(target: T, field: K, value: T[K] | undefined): void {
  if (value !== undefined) target[field] = value;
}

export function rangeRequest(key: Bytes, options: GetOptions = {}): RangeRequest {
  const request: RangeRequest = { key: toBuffer(key) };
  setIf(request, 'range_end', selectorRangeEnd(key, options));
  setIf(request, 'limit', options.limit);
  setIf(request, 'revision', options.revision);
  if (options.sortOrder !== undefined) request.sort_order = sortOrders[options.sortOrder];
  if (options.sortTarget !== undefined) request.sort_target = sortTargets[options.sortTarget];
  setIf(request, 'serializable', options.serializable);
  setIf(request, 'keys_only', options.keysOnly);
  setIf(request, 'count_only', options.countOnly);
  setIf(request, 'min_mod_revision', options.minModRevision);
  setIf(request, 'max_mod_revision', options.maxModRevision);
  setIf(request, 'min_create_revision', options.minCreateRevision);
  setIf(request, 'max_create_revision', options.maxCreateRevision);
  return request;
}

export function putRequest(key: Bytes, value: Bytes, options: PutOptions = {}): PutRequest {
  const request: PutRequest = { key: toBuffer(key), value: toBuffer(value) };
  if (options.lease !== undefined) request.lease = toIdString(options.lease);
  setIf(request, 'prev_kv', options.prevKv);
  setIf(request, 'ignore_value', options.ignoreValue);
  setIf(request, 'ignore_lease', options.ignoreLease);
  return request;
}

export function deleteRequest(key: Bytes, options: DeleteOptions = {}): DeleteRangeRequest {
  const request: DeleteRangeRequest = { key: toBuffer(key) };
  setIf(request, 'range_end', selectorRangeEnd(key, options));
  setIf(request, 'prev_kv', options.prevKv);
  return request;
}

export function toGetResult(wire: RangeResponse): GetResult {
  return {
    header: toHeader(wire.header),
    kvs: wire.kvs.map((kv) => new KeyValue(kv)),
    more: wire.more,
    count: toSafeNumber(wire.count),
  };
}

export function toPutResult(wire: PutResponse): PutResult {
  return { header: toHeader(wire.header), prevKv: keyValueOrNull(wire.prev_kv) };
}

export function toDeleteResult(wire: DeleteRangeResponse): DeleteResult {
  return {
    header: toHeader(wire.header),
    deleted: toSafeNumber(wire.deleted),
    prevKvs: wire.prev_kvs.map((kv) => new KeyValue(kv)),
  };
}
