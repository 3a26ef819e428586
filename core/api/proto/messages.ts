// TypeScript shapes of etcd's KV, Watch and Lease messages as the loader in load.ts decodes and
// encodes them. Decoded (response) types use the loader's conventions: 64-bit integers are
// decimal strings, bytes are Buffers, enums are names, unset sub-messages are null. Request types
// are what the encoder accepts. Cluster, Maintenance, Auth, Lock and Election messages are in
// adminMessages.ts.

/** A 64-bit integer as decoded: a decimal string (never a lossy number). */
export type Int64 = string;
/** A 64-bit integer as accepted on input: a safe integer number or a decimal string. */
export type Int64Input = string | number;

export interface ResponseHeader {
  cluster_id: Int64;
  member_id: Int64;
  revision: Int64;
  raft_term: Int64;
}

export interface KeyValue {
  key: Buffer;
  create_revision: Int64;
  mod_revision: Int64;
  version: Int64;
  value: Buffer;
  lease: Int64;
}

export type EventType = 'PUT' | 'DELETE';

export interface Event {
  type: EventType;
  kv: KeyValue | null;
  prev_kv: KeyValue | null;
}

export type SortOrder = 'NONE' | 'ASCEND' | 'DESCEND';
export type SortTarget = 'KEY' | 'VERSION' | 'CREATE' | 'MOD' | 'VALUE';

export interface RangeRequest {
  key: Uint8Array;
  range_end?: Uint8Array;
  limit?: Int64Input;
  revision?: Int64Input;
  sort_order?: SortOrder;
  sort_target?: SortTarget;
  serializable?: boolean;
  keys_only?: boolean;
  count_only?: boolean;
  min_mod_revision?: Int64Input;
  max_mod_revision?: Int64Input;
  min_create_revision?: Int64Input;
  max_create_revision?: Int64Input;
}

export interface RangeResponse {
  header: ResponseHeader | null;
  kvs: KeyValue[];
  more: boolean;
  count: Int64;
}

export interface PutRequest {
  key: Uint8Array;
  value?: Uint8Array;
  lease?: Int64Input;
  prev_kv?: boolean;
  ignore_value?: boolean;
  ignore_lease?: boolean;
}

export interface PutResponse {
  header: ResponseHeader | null;
  prev_kv: KeyValue | null;
}

export interface DeleteRangeRequest {
  key: Uint8Array;
  range_end?: Uint8Array;
  prev_kv?: boolean;
}

export interface DeleteRangeResponse {
  header: ResponseHeader | null;
  deleted: Int64;
  prev_kvs: KeyValue[];
}

/** One operation of a transaction branch: exactly one member is set. */
export type RequestOp =
  | { request_range: RangeRequest }
  | { request_put: PutRequest }
  | { request_delete_range: DeleteRangeRequest }
  | { request_txn: TxnRequest };

export interface ResponseOp {
  response: 'response_range' | 'response_put' | 'response_delete_range' | 'response_txn';
  response_range?: RangeResponse;
  response_put?: PutResponse;
  response_delete_range?: DeleteRangeResponse;
  response_txn?: TxnResponse;
}

export type CompareResult = 'EQUAL' | 'GREATER' | 'LESS' | 'NOT_EQUAL';
export type CompareTarget = 'VERSION' | 'CREATE' | 'MOD' | 'VALUE' | 'LEASE';

/** A transaction guard. The member of target_union matching `target` must be set. */
export interface Compare {
  result: CompareResult;
  target: CompareTarget;
  key: Uint8Array;
  range_end?: Uint8Array;
  version?: Int64Input;
  create_revision?: Int64Input;
  mod_revision?: Int64Input;
  value?: Uint8Array;
  lease?: Int64Input;
}

export interface TxnRequest {
  compare?: Compare[];
  success?: RequestOp[];
  failure?: RequestOp[];
}

export interface TxnResponse {
  header: ResponseHeader | null;
  succeeded: boolean;
  responses: ResponseOp[];
}

export interface CompactionRequest {
  revision: Int64Input;
  physical?: boolean;
}

export interface CompactionResponse {
  header: ResponseHeader | null;
}

export type WatchFilterType = 'NOPUT' | 'NODELETE';

export interface WatchCreateRequest {
  key: Uint8Array;
  range_end?: Uint8Array;
  start_revision?: Int64Input;
  progress_notify?: boolean;
  filters?: WatchFilterType[];
  prev_kv?: boolean;
  watch_id?: Int64Input;
  fragment?: boolean;
}

/** One message on the Watch stream from the client: exactly one member is set. */
export type WatchRequest =
  | { create_request: WatchCreateRequest }
  | { cancel_request: { watch_id: Int64Input } }
  | { progress_request: Record<string, never> };

export interface WatchResponse {
  header: ResponseHeader | null;
  watch_id: Int64;
  created: boolean;
  canceled: boolean;
  compact_revision: Int64;
  cancel_reason: string;
  fragment: boolean;
  events: Event[];
}

export interface LeaseGrantRequest {
  TTL: Int64Input;
  ID?: Int64Input;
}

export interface LeaseGrantResponse {
  header: ResponseHeader | null;
  ID: Int64;
  TTL: Int64;
  error: string;
}

export interface LeaseRevokeRequest {
  ID: Int64Input;
}

export interface LeaseRevokeResponse {
  header: ResponseHeader | null;
}

export interface LeaseKeepAliveRequest {
  ID: Int64Input;
}

export interface LeaseKeepAliveResponse {
  header: ResponseHeader | null;
  ID: Int64;
  TTL: Int64;
}

export interface LeaseTimeToLiveRequest {
  ID: Int64Input;
  keys?: boolean;
}

export interface LeaseTimeToLiveResponse {
  header: ResponseHeader | null;
  ID: Int64;
  TTL: Int64;
  grantedTTL: Int64;
  keys: Buffer[];
}

export type LeaseLeasesRequest = Record<string, never>;

export interface LeaseLeasesResponse {
  header: ResponseHeader | null;
  leases: { ID: Int64 }[];
}
