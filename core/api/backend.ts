// What the etcd v3 API layer needs from a member: the contract between core/api (which only
// translates protobuf and JSON) and core/server (which owns the behaviour). Ids of members and
// clusters are lower-case hex strings as elsewhere in core; lease ids are bigint.
import type { Credentials } from '../auth/credentials.js';
import type { Permission } from '../auth/permissions.js';
import type {
  AlarmMember, CompactionRequest, CompactionResponse, DeleteRangeRequest, DeleteRangeResponse, Event, HashKvResult,
  PutRequest, PutResponse, RangeKvSink, RangeRequest, RangeResponse, RangeSummary, TxnRequest, TxnResponse,
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

/**
 * etcd's Auth service as the API calls it. Every call but `authenticate` runs as the caller of
 * `credentials` and, once auth is enabled, most need the root role (see core/auth/authStore.ts).
 */
export interface AuthBackend {
  authenticate(name: string, password: string): Promise<string>;
  authEnable(credentials: Credentials): Promise<unknown>;
  authDisable(credentials: Credentials): Promise<unknown>;
  authStatus(credentials: Credentials): Promise<{ readonly enabled: boolean; readonly revision: number }>;
  userAdd(credentials: Credentials, name: string, password: string, noPassword: boolean, hashedPassword: string): Promise<unknown>;
  userDelete(credentials: Credentials, name: string): Promise<unknown>;
  userChangePassword(credentials: Credentials, name: string, password: string, hashedPassword: string): Promise<unknown>;
  userGrantRole(credentials: Credentials, name: string, role: string): Promise<unknown>;
  userRevokeRole(credentials: Credentials, name: string, role: string): Promise<unknown>;
  userGet(credentials: Credentials, name: string): Promise<string[]>;
  userList(credentials: Credentials): Promise<string[]>;
  roleAdd(credentials: Credentials, name: string): Promise<unknown>;
  roleDelete(credentials: Credentials, name: string): Promise<unknown>;
  roleGet(credentials: Credentials, name: string): Promise<Permission[]>;
  roleList(credentials: Credentials): Promise<string[]>;
  roleGrantPermission(credentials: Credentials, name: string, permission: Permission | null): Promise<unknown>;
  roleRevokePermission(credentials: Credentials, name: string, key: Buffer, rangeEnd: Buffer): Promise<unknown>;
}

/**
 * A member as the API sees it. Methods throw core's typed errors (StoreError, ServerError,
 * AuthError). Each call takes the caller's `credentials`: with auth enabled, what it may do
 * depends on who it is.
 */
export interface EtcdBackend {
  readonly maxRequestBytes: number;
  readonly maxTxnOps: number;
  readonly auth: AuthBackend;
  header(): HeaderInfo;

  range(request: RangeRequest, credentials: Credentials): Promise<RangeResponse>;
  /**
   * Optionally, `range` with the kvs handed to `sink` as the store reads them and the rest of the
   * answer returned (a RangeSummary), for a request `rangeGoesToSink` takes; when the store finds
   * it cannot (long keys), the whole RangeResponse, and what the sink took is to be dropped.
   */
  rangeInto?(request: RangeRequest, credentials: Credentials, sink: RangeKvSink): Promise<RangeSummary | RangeResponse>;
  put(request: PutRequest, credentials: Credentials): Promise<PutResponse>;
  deleteRange(request: DeleteRangeRequest, credentials: Credentials): Promise<DeleteRangeResponse>;
  txn(request: TxnRequest, credentials: Credentials): Promise<TxnResponse>;
  compact(request: CompactionRequest, credentials: Credentials): Promise<CompactionResponse>;

  leaseGrant(id: bigint, ttlSeconds: number, credentials: Credentials): Promise<{ readonly id: bigint; readonly ttlSeconds: number }>;
  leaseRevoke(id: bigint, credentials: Credentials): Promise<void>;
  /** Renews a lease; resolves with its TTL. */
  leaseRenew(id: bigint, credentials: Credentials): Promise<number>;
  leaseTimeToLive(id: bigint, withKeys: boolean, credentials: Credentials): Promise<LeaseTimeToLive>;
  leaseList(credentials: Credentials): Promise<bigint[]>;

  /** Resolves when the caller may watch the range; rejects (AuthError) otherwise, as etcd's isWatchPermitted. */
  watchPermitted(options: WatchOptions, credentials: Credentials): Promise<void>;
  watch(options: WatchOptions, sink: WatchSink): WatchRegistration;

  memberList(linearizable: boolean, credentials: Credentials): Promise<MemberInfo[]>;
  memberAdd(peerUrls: readonly string[], isLearner: boolean, credentials: Credentials): Promise<{ readonly member: MemberInfo; readonly members: MemberInfo[] }>;
  memberRemove(id: string, credentials: Credentials): Promise<MemberInfo[]>;
  memberUpdate(id: string, peerUrls: readonly string[], credentials: Credentials): Promise<MemberInfo[]>;
  memberPromote(id: string, credentials: Credentials): Promise<MemberInfo[]>;

  status(credentials: Credentials): Promise<StatusInfo>;
  alarmList(credentials: Credentials): Promise<AlarmMember[]>;
  alarmActivate(memberId: bigint, alarm: AlarmMember['alarm'], credentials: Credentials): Promise<AlarmMember[]>;
  alarmDeactivate(memberId: bigint, alarm: AlarmMember['alarm'], credentials: Credentials): Promise<AlarmMember[]>;
  defragment(credentials: Credentials): Promise<void>;
  hash(credentials: Credentials): Promise<number>;
  hashKv(revision: number, credentials: Credentials): Promise<HashKvResult>;
  snapshot(credentials: Credentials): Promise<SnapshotStream>;
  moveLeader(targetId: string, credentials: Credentials): Promise<void>;
}
