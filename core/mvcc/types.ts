// The request and response vocabulary of the MVCC store, mirroring etcd's v3 KV messages
// (RangeRequest, PutRequest, DeleteRangeRequest, TxnRequest, CompactionRequest and their
// responses) in camelCase, so the gRPC layer only translates. Pure data; no behaviour lives here.
// Response headers (cluster id, member id, raft term) are the server's: responses carry only the
// store revision they were served at.
import type { LiveRecordView } from './encoding.js';

/** A store revision (etcd's main revision). Invariant: a non-negative integer below 2^53. */
export type Revision = number;

/** One version of a key, as etcd's mvccpb.KeyValue. `lease` is 0n when no lease is attached. */
export interface KeyValue {
  readonly key: Uint8Array;
  readonly createRevision: Revision;
  readonly modRevision: Revision;
  /** Number of writes since the key was (re)created; 0 for a deleted key. */
  readonly version: number;
  readonly value: Uint8Array;
  readonly lease: bigint;
}

export type SortOrder = 'NONE' | 'ASCEND' | 'DESCEND';
export type SortTarget = 'KEY' | 'VERSION' | 'CREATE' | 'MOD' | 'VALUE';

/**
 * etcd's RangeRequest. `rangeEnd` absent (or empty) means the single key `key`; `[0]` means every
 * key >= `key`; otherwise the half-open interval [key, rangeEnd). `revision` 0 or absent means the
 * current revision. `serializable` belongs to the server (it decides where the read runs) and is
 * carried only so the request type is complete.
 */
export interface RangeRequest {
  readonly key: Uint8Array;
  readonly rangeEnd?: Uint8Array;
  readonly limit?: number;
  readonly revision?: Revision;
  readonly sortOrder?: SortOrder;
  readonly sortTarget?: SortTarget;
  readonly serializable?: boolean;
  readonly keysOnly?: boolean;
  readonly countOnly?: boolean;
  readonly minModRevision?: Revision;
  readonly maxModRevision?: Revision;
  readonly minCreateRevision?: Revision;
  readonly maxCreateRevision?: Revision;
}

/**
 * Takes the kvs of a range one at a time as the store reads them (MvccStore.rangeInto), each seen
 * in place: it must copy what it keeps before returning.
 */
export interface RangeKvSink {
  kv(record: LiveRecordView): void;
}

/** A range whose kvs went to a RangeKvSink: the rest of its RangeResponse. */
export interface RangeSummary {
  readonly revision: Revision;
  /** How many kvs went to the sink. */
  readonly sent: number;
  readonly more: boolean;
  readonly count: number;
}

export interface RangeResponse {
  /** The store's current revision when the range was served. */
  readonly revision: Revision;
  readonly kvs: KeyValue[];
  /** True when `limit` cut the result and more keys matched. */
  readonly more: boolean;
  /** Number of keys in the range at the requested revision, before limit and filters. */
  readonly count: number;
}

export interface PutRequest {
  readonly key: Uint8Array;
  readonly value?: Uint8Array;
  readonly lease?: bigint;
  readonly prevKv?: boolean;
  readonly ignoreValue?: boolean;
  readonly ignoreLease?: boolean;
}

export interface PutResponse {
  readonly revision: Revision;
  readonly prevKv?: KeyValue;
}

export interface DeleteRangeRequest {
  readonly key: Uint8Array;
  readonly rangeEnd?: Uint8Array;
  readonly prevKv?: boolean;
}

export interface DeleteRangeResponse {
  readonly revision: Revision;
  readonly deleted: number;
  readonly prevKvs: KeyValue[];
}

export type CompareResult = 'EQUAL' | 'GREATER' | 'LESS' | 'NOT_EQUAL';

/** etcd's Compare: the target field is chosen by `target`; the matching operand must be set. */
export type Compare =
  | CompareCommon<'VERSION', { readonly version: number }>
  | CompareCommon<'CREATE', { readonly createRevision: Revision }>
  | CompareCommon<'MOD', { readonly modRevision: Revision }>
  | CompareCommon<'VALUE', { readonly value: Uint8Array }>
  | CompareCommon<'LEASE', { readonly lease: bigint }>;

type CompareCommon<T extends string, Operand> = {
  readonly target: T;
  readonly result: CompareResult;
  readonly key: Uint8Array;
  /** When set, the compare must hold for every key in [key, rangeEnd). */
  readonly rangeEnd?: Uint8Array;
} & Operand;

export type RequestOp =
  | { readonly requestRange: RangeRequest }
  | { readonly requestPut: PutRequest }
  | { readonly requestDeleteRange: DeleteRangeRequest }
  | { readonly requestTxn: TxnRequest };

export type ResponseOp =
  | { readonly responseRange: RangeResponse }
  | { readonly responsePut: PutResponse }
  | { readonly responseDeleteRange: DeleteRangeResponse }
  | { readonly responseTxn: TxnResponse };

export interface TxnRequest {
  readonly compare?: readonly Compare[];
  readonly success?: readonly RequestOp[];
  readonly failure?: readonly RequestOp[];
}

export interface TxnResponse {
  readonly revision: Revision;
  readonly succeeded: boolean;
  readonly responses: ResponseOp[];
}

export interface CompactionRequest {
  readonly revision: Revision;
  /** Carried for completeness: the store always makes compaction durable with its transaction. */
  readonly physical?: boolean;
}

export interface CompactionResponse {
  readonly revision: Revision;
}

export type EventType = 'PUT' | 'DELETE';

/**
 * One change, as etcd's mvccpb.Event. A DELETE event's kv carries the key and the deleting
 * revision as `modRevision`, every other field zero. `prevKv` is the key's previous version
 * when known.
 */
export interface Event {
  readonly type: EventType;
  readonly kv: KeyValue;
  readonly prevKv?: KeyValue;
}

/** Every change of one main revision, in sub-revision order. Invariant: events is not empty. */
export interface RevisionEvents {
  readonly revision: Revision;
  readonly events: readonly Event[];
}

export type AlarmType = 'NOSPACE' | 'CORRUPT';

/** An active alarm, as etcd's AlarmMember. `memberId` is etcd's uint64 member id. */
export interface AlarmMember {
  readonly memberId: bigint;
  readonly alarm: AlarmType;
}

/** etcd's HashKVResponse fields owned by the store. */
export interface HashKvResult {
  readonly hash: number;
  readonly compactRevision: Revision;
  readonly hashRevision: Revision;
  readonly revision: Revision;
}
