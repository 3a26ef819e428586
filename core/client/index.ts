// Public surface of the etcd client: import from here.
export { EtcdClient } from './etcdClient.js';
export type { EtcdClientOptions } from './etcdClient.js';
export type { CallOptions, ConnectionOptions, Credentials } from './connection.js';
export type { TlsOptions } from './credentials.js';
export { EtcdError, SnapshotIntegrityError, WatchError } from './etcdError.js';
export type { GrpcCodeName, WatchErrorKind } from './etcdError.js';
export { KeyValue } from './keyValue.js';
export type { ResponseHeader } from './header.js';
export { hexToId, idToHex, prefixEnd, toBuffer } from './bytes.js';
export type { Bytes } from './bytes.js';
export type {
  DeleteOptions,
  DeleteResult,
  GetOptions,
  GetResult,
  PutOptions,
  PutResult,
  RangeSelector,
} from './kvRequests.js';
export { Compare, Op, TxnBuilder } from './txn.js';
export type { CompareOperator, TxnOpResult, TxnResult } from './txn.js';
export { KvClient } from './kvClient.js';
export { WatchClient } from './watchClient.js';
export { Watcher } from './watcher.js';
export type { WatchBatch, WatchEvent, WatchOptions } from './watcher.js';
export { LeaseClient } from './leaseClient.js';
export type { LeaseGrant, LeaseId, LeaseTimeToLive } from './leaseClient.js';
export { LeaseKeepAlive } from './leaseKeepAlive.js';
export type { KeepAliveResponse } from './leaseKeepAlive.js';
export { ClusterClient } from './clusterClient.js';
export type { Member, MemberAddResult, MemberId, MembersResult } from './clusterClient.js';
export { MaintenanceClient } from './maintenanceClient.js';
export type { Alarm, HashKvResult, MemberStatus, SnapshotOptions, SnapshotResult } from './maintenanceClient.js';
export { AuthClient } from './authClient.js';
export type { AuthStatus, Permission, PermissionKind } from './authClient.js';
export { ElectionClient, LockClient } from './lockClient.js';
export type { ElectionObserver, LeaderKey } from './lockClient.js';
