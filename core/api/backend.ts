// What the etcd v3 API layer needs from a member: the contract between core/api (which only
// translates protobuf and JSON) and core/server (which owns the behaviour). Ids of members and
// clusters are lower-case hex strings as elsewhere in core; lease ids are bigint.
import type {
  AlarmMember, CompactionRequest, CompactionResponse, DeleteRangeRequest, DeleteRangeResponse, Event, HashKvResult,
  PutRequest, PutResponse, RangeRequest, RangeResponse, TxnRequest, TxnResponse,
} from '../mvcc/types.js';

export interface HeaderInfo {
  readonly clusterId: string;
  readonly memberId: string;
  readonly raftTerm: number;
  /** The store's current revision. */
  readonly revision: number;
}

export interface MemberInfo {
  readonly id: string;
  readonly name: string;
  readonly peerUrls: readonly string[];
  readonly clientUrls: readonly string[];
  readonly isLearner: boolean;
}

export interface StatusInfo {
  readonly version: string;
  readonly dbSize: number;
  readonly dbSizeInUse: number;
  /** The leader's id, or '0' when none is known. */
  readonly leader: string;
  readonly raftIndex: number;
  readonly raftTerm: number;
  readonly raftAppliedIndex: number;
  readonly errors: readonly string[];
  readonly isLearner: boolean;
}

export interface WatchOptions {
  readonly key: Uint8Array;
  readonly rangeEnd?: Uint8Array;
  /** 0 means "from the next revision". */
  readonly startRevision: number;
  readonly prevKv: boolean;
  readonly noPut: boolean;
  readonly noDelete: boolean;
}

/** Where a watch delivers. Calls come in revision order, never concurrently. */
export interface WatchSink {
  /**
   * Events of one or more revisions, in order; `revision` is the last revision covered. Returns
   * false when the consumer is congested: the member then holds (a bounded number of) further
   * responses, and catches the watch up from the store after `WatchRegistration.resume()`.
   */
  events(revision: number, events: readonly Event[]): boolean;
  /** The start revision was compacted; the watch is over. */
  compacted(compactRevision: number): void;
  /** No events up to `revision` (progress notification). */
  progress(revision: number): void;
}

export interface WatchRegistration {
  cancel(): void;
  /** Asks for a progress notification once this watch has caught up. */
  requestProgress(): void;
  /** The consumer drained: deliver what was held back. */
  resume(): void;
  /** True while the watch has delivered everything up to the store's current revision. */
  readonly synced: boolean;
}

export interface LeaseTimeToLive {
  readonly ttlSeconds: number;
  readonly grantedTtlSeconds: number;
  readonly keys: readonly Uint8Array[];
}

export interface SnapshotStream {
  readonly sizeBytes: number;
  readonly chunks: AsyncIterable<Uint8Array>;
}

/** A member as the API sees it. Methods throw core's typed errors (StoreError, ServerError). */
export interface EtcdBackend {
  readonly maxRequestBytes: number;
  readonly maxTxnOps: number;
  header(): HeaderInfo;

  range(request: RangeRequest): Promise<RangeResponse>;
  put(request: PutRequest): Promise<PutResponse>;
  deleteRange(request: DeleteRangeRequest): Promise<DeleteRangeResponse>;
  txn(request: TxnRequest): Promise<TxnResponse>;
  compact(request: CompactionRequest): Promise<CompactionResponse>;

  leaseGrant(id: bigint, ttlSeconds: number): Promise<{ readonly id: bigint; readonly ttlSeconds: number }>;
  leaseRevoke(id: bigint): Promise<void>;
  /** Renews a lease; resolves with its TTL. */
  leaseRenew(id: bigint): Promise<number>;
  leaseTimeToLive(id: bigint, withKeys: boolean): Promise<LeaseTimeToLive>;
  leaseList(): Promise<bigint[]>;

  watch(options: WatchOptions, sink: WatchSink): WatchRegistration;

  memberList(linearizable: boolean): Promise<MemberInfo[]>;
  memberAdd(peerUrls: readonly string[], isLearner: boolean): Promise<{ readonly member: MemberInfo; readonly members: MemberInfo[] }>;
  memberRemove(id: string): Promise<MemberInfo[]>;
  memberUpdate(id: string, peerUrls: readonly string[]): Promise<MemberInfo[]>;
  memberPromote(id: string): Promise<MemberInfo[]>;

  status(): Promise<StatusInfo>;
  alarmList(): AlarmMember[];
  alarmActivate(memberId: bigint, alarm: AlarmMember['alarm']): Promise<AlarmMember[]>;
  alarmDeactivate(memberId: bigint, alarm: AlarmMember['alarm']): Promise<AlarmMember[]>;
  defragment(): Promise<void>;
  hash(): Promise<number>;
  hashKv(revision: number): Promise<HashKvResult>;
  snapshot(): Promise<SnapshotStream>;
  moveLeader(targetId: string): Promise<void>;
}
