// The JSON gateway routes of etcd's v3 API: HTTP path → gRPC service and method, as etcd's
// grpc-gateway annotations define them (every route is a POST with a JSON body). The gateway
// itself lives in core/api; this table only records the wire facts.
import type { EtcdServiceName } from './load.js';

/** One gateway route. */
export interface HttpRoute {
  readonly path: string;
  readonly service: EtcdServiceName;
  readonly method: string;
  /** True when the method streams responses (newline-delimited JSON objects on the wire). */
  readonly streaming: boolean;
  /**
   * For a bidirectional stream: true when the server answers each request once and ends the
   * stream once the client's requests have ended and been answered (LeaseKeepAlive); false when
   * the end of the client's requests leaves the stream open (Watch keeps delivering events).
   */
  readonly endsAfterAnswers: boolean;
}

function route(path: string, service: EtcdServiceName, method: string, streaming = false, endsAfterAnswers = false): HttpRoute {
  return { path, service, method, streaming, endsAfterAnswers };
}

/** The prefix of every gateway path; etcd 3.4 also serves each under the deprecated `/v3beta/`. */
export const gatewayPrefix = '/v3/';
export const gatewayBetaPrefix = '/v3beta/';

/**
 * Every route etcd 3.4/3.5 serves. Quirks kept as etcd has them: Hash and HashKV share
 * `/v3/maintenance/hash` (etcd's gateway registers HashKV last, so it wins), and the lease calls
 * are also reachable under the older `/v3/kv/lease/...` paths.
 */
export const httpRoutes: readonly HttpRoute[] = [
  route('/v3/kv/range', 'etcdserverpb.KV', 'Range'),
  route('/v3/kv/put', 'etcdserverpb.KV', 'Put'),
  route('/v3/kv/deleterange', 'etcdserverpb.KV', 'DeleteRange'),
  route('/v3/kv/txn', 'etcdserverpb.KV', 'Txn'),
  route('/v3/kv/compaction', 'etcdserverpb.KV', 'Compact'),
  route('/v3/watch', 'etcdserverpb.Watch', 'Watch', true),
  route('/v3/lease/grant', 'etcdserverpb.Lease', 'LeaseGrant'),
  route('/v3/lease/revoke', 'etcdserverpb.Lease', 'LeaseRevoke'),
  route('/v3/kv/lease/revoke', 'etcdserverpb.Lease', 'LeaseRevoke'),
  route('/v3/lease/keepalive', 'etcdserverpb.Lease', 'LeaseKeepAlive', true, true),
  route('/v3/lease/timetolive', 'etcdserverpb.Lease', 'LeaseTimeToLive'),
  route('/v3/kv/lease/timetolive', 'etcdserverpb.Lease', 'LeaseTimeToLive'),
  route('/v3/lease/leases', 'etcdserverpb.Lease', 'LeaseLeases'),
  route('/v3/kv/lease/leases', 'etcdserverpb.Lease', 'LeaseLeases'),
  route('/v3/cluster/member/add', 'etcdserverpb.Cluster', 'MemberAdd'),
  route('/v3/cluster/member/remove', 'etcdserverpb.Cluster', 'MemberRemove'),
  route('/v3/cluster/member/update', 'etcdserverpb.Cluster', 'MemberUpdate'),
  route('/v3/cluster/member/list', 'etcdserverpb.Cluster', 'MemberList'),
  route('/v3/cluster/member/promote', 'etcdserverpb.Cluster', 'MemberPromote'),
  route('/v3/maintenance/alarm', 'etcdserverpb.Maintenance', 'Alarm'),
  route('/v3/maintenance/status', 'etcdserverpb.Maintenance', 'Status'),
  route('/v3/maintenance/defragment', 'etcdserverpb.Maintenance', 'Defragment'),
  route('/v3/maintenance/hash', 'etcdserverpb.Maintenance', 'HashKV'),
  route('/v3/maintenance/snapshot', 'etcdserverpb.Maintenance', 'Snapshot', true),
  route('/v3/maintenance/transfer-leadership', 'etcdserverpb.Maintenance', 'MoveLeader'),
  route('/v3/maintenance/downgrade', 'etcdserverpb.Maintenance', 'Downgrade'),
  route('/v3/auth/enable', 'etcdserverpb.Auth', 'AuthEnable'),
  route('/v3/auth/disable', 'etcdserverpb.Auth', 'AuthDisable'),
  route('/v3/auth/status', 'etcdserverpb.Auth', 'AuthStatus'),
  route('/v3/auth/authenticate', 'etcdserverpb.Auth', 'Authenticate'),
  route('/v3/auth/user/add', 'etcdserverpb.Auth', 'UserAdd'),
  route('/v3/auth/user/get', 'etcdserverpb.Auth', 'UserGet'),
  route('/v3/auth/user/list', 'etcdserverpb.Auth', 'UserList'),
  route('/v3/auth/user/delete', 'etcdserverpb.Auth', 'UserDelete'),
  route('/v3/auth/user/changepw', 'etcdserverpb.Auth', 'UserChangePassword'),
  route('/v3/auth/user/grant', 'etcdserverpb.Auth', 'UserGrantRole'),
  route('/v3/auth/user/revoke', 'etcdserverpb.Auth', 'UserRevokeRole'),
  route('/v3/auth/role/add', 'etcdserverpb.Auth', 'RoleAdd'),
  route('/v3/auth/role/get', 'etcdserverpb.Auth', 'RoleGet'),
  route('/v3/auth/role/list', 'etcdserverpb.Auth', 'RoleList'),
  route('/v3/auth/role/delete', 'etcdserverpb.Auth', 'RoleDelete'),
  route('/v3/auth/role/grant', 'etcdserverpb.Auth', 'RoleGrantPermission'),
  route('/v3/auth/role/revoke', 'etcdserverpb.Auth', 'RoleRevokePermission'),
  route('/v3/lock/lock', 'v3lockpb.Lock', 'Lock'),
  route('/v3/lock/unlock', 'v3lockpb.Lock', 'Unlock'),
  route('/v3/election/campaign', 'v3electionpb.Election', 'Campaign'),
  route('/v3/election/proclaim', 'v3electionpb.Election', 'Proclaim'),
  route('/v3/election/leader', 'v3electionpb.Election', 'Leader'),
  route('/v3/election/observe', 'v3electionpb.Election', 'Observe', true),
  route('/v3/election/resign', 'v3electionpb.Election', 'Resign'),
];
