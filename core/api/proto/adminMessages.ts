// TypeScript shapes of etcd's Cluster, Maintenance, Auth, Lock and Election messages as the loader
// in load.ts decodes and encodes them (same conventions as messages.ts: 64-bit integers are
// decimal strings, bytes are Buffers, enums are names, unset sub-messages are null).
import type { Int64, Int64Input, KeyValue, ResponseHeader } from './messages.js';

type Empty = Record<string, never>;

export interface Member {
  ID: Int64;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

export interface MemberAddRequest {
  peerURLs: string[];
  isLearner?: boolean;
}

export interface MemberAddResponse {
  header: ResponseHeader | null;
  member: Member | null;
  members: Member[];
}

export interface MemberRemoveRequest {
  ID: Int64Input;
}

export interface MemberUpdateRequest {
  ID: Int64Input;
  peerURLs: string[];
}

export interface MemberListRequest {
  linearizable?: boolean;
}

export interface MemberPromoteRequest {
  ID: Int64Input;
}

/** The response of MemberRemove, MemberUpdate, MemberList and MemberPromote. */
export interface MembersResponse {
  header: ResponseHeader | null;
  members: Member[];
}

export type AlarmType = 'NONE' | 'NOSPACE' | 'CORRUPT';
export type AlarmAction = 'GET' | 'ACTIVATE' | 'DEACTIVATE';

export interface AlarmRequest {
  action: AlarmAction;
  memberID?: Int64Input;
  alarm?: AlarmType;
}

export interface AlarmMember {
  memberID: Int64;
  alarm: AlarmType;
}

export interface AlarmResponse {
  header: ResponseHeader | null;
  alarms: AlarmMember[];
}

export type StatusRequest = Empty;

export interface StatusResponse {
  header: ResponseHeader | null;
  version: string;
  dbSize: Int64;
  leader: Int64;
  raftIndex: Int64;
  raftTerm: Int64;
  raftAppliedIndex: Int64;
  errors: string[];
  dbSizeInUse: Int64;
  isLearner: boolean;
  /** etcd 3.6 fields: always present when decoded (defaults), optional when encoding. */
  storageVersion?: string;
  dbSizeQuota?: Int64;
  downgradeInfo?: { enabled: boolean; targetVersion: string } | null;
}

export type DefragmentRequest = Empty;
export type HashRequest = Empty;

export interface HashResponse {
  header: ResponseHeader | null;
  hash: number;
}

export interface HashKVRequest {
  revision?: Int64Input;
}

export interface HashKVResponse {
  header: ResponseHeader | null;
  hash: number;
  compact_revision: Int64;
  hash_revision: Int64;
}

export type SnapshotRequest = Empty;

export interface SnapshotResponse {
  header: ResponseHeader | null;
  remaining_bytes: Int64;
  blob: Buffer;
  version: string;
}

export interface MoveLeaderRequest {
  targetID: Int64Input;
}

/** A response that carries only the header (Defragment, MoveLeader, most Auth calls). */
export interface HeaderResponse {
  header: ResponseHeader | null;
}

export interface AuthStatusResponse {
  header: ResponseHeader | null;
  enabled: boolean;
  authRevision: Int64;
}

export interface AuthenticateRequest {
  name: string;
  password: string;
}

export interface AuthenticateResponse {
  header: ResponseHeader | null;
  token: string;
}

export interface AuthUserAddRequest {
  name: string;
  password?: string;
  options?: { no_password?: boolean };
  hashedPassword?: string;
}

export interface AuthUserGetResponse {
  header: ResponseHeader | null;
  roles: string[];
}

export interface AuthUserListResponse {
  header: ResponseHeader | null;
  users: string[];
}

export interface AuthRoleListResponse {
  header: ResponseHeader | null;
  roles: string[];
}

export type PermissionType = 'READ' | 'WRITE' | 'READWRITE';

export interface Permission {
  permType: PermissionType;
  key: Buffer;
  range_end: Buffer;
}

export interface PermissionInput {
  permType: PermissionType;
  key: Uint8Array;
  range_end?: Uint8Array;
}

export interface AuthRoleGetResponse {
  header: ResponseHeader | null;
  perm: Permission[];
}

export interface AuthRoleGrantPermissionRequest {
  name: string;
  perm: PermissionInput;
}

export interface AuthRoleRevokePermissionRequest {
  role: string;
  key: Uint8Array;
  range_end?: Uint8Array;
}

export interface LockRequest {
  name: Uint8Array;
  lease?: Int64Input;
}

export interface LockResponse {
  header: ResponseHeader | null;
  key: Buffer;
}

export interface LeaderKey {
  name: Buffer;
  key: Buffer;
  rev: Int64;
  lease: Int64;
}

export interface LeaderResponse {
  header: ResponseHeader | null;
  kv: KeyValue | null;
}
