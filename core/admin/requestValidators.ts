// One validator per AdminApi method, checking the request object against the contract before the
// AdminService sees it. The table is typed against AdminRequest, so a contract change that the
// validators do not follow fails to compile. Also validates subscription topics.
import type { AdminMethodName, AdminRequest, EventTopic } from './api.js';
import { array, boolean, integer, literal, nullable, object, string, ValidationError } from './validate.js';
import type { Validator } from './validate.js';

/** Longest key or prefix the console sends (etcd's default request limit is 1.5 MiB). */
export const keyLengthMax = 64 * 1024;
/** Largest base64 value the console sends: 1.5 MiB of bytes, base64-encoded. */
export const valueBase64LengthMax = 2 * 1024 * 1024 + 4;
/** Most keys one listing page may ask for. */
export const keyPageLimitMax = 1_000;
/** Most keys one listKeys call passes over before its page (a jump in a key space of this many keys). */
export const keySkipMax = 100_000_000;
/** Most entries one folder listing returns (each costs one read). */
export const folderEntriesMax = 500;
/** Most versions one history request may walk. */
export const historyLimitMax = 1_000;
/** Most keys one import document may carry. */
export const importKeysMax = 10_000;
/** Most entries one raft log window may ask for. */
export const raftLogWindowMax = 1_000;
/** Most members one live Raft read carries cursors for. */
export const raftTrafficMembersMax = 64;
/** Longest one live Raft read may wait for traffic. */
export const raftTrafficWaitMsMax = 2_000;
/** Most lines one member log request may ask for. */
export const memberLogLinesMax = 5_000;
/** Most endpoints one connection may list. */
export const endpointsMax = 16;

const revisionMax = Number.MAX_SAFE_INTEGER;
const empty = object({});
const name = string({ minLength: 1, maxLength: 128 });
const id = string({ minLength: 1, maxLength: 64 });
const decimalId = string({ minLength: 1, maxLength: 20, pattern: /^[0-9]+$/, patternText: 'a decimal number' });
const key = string({ minLength: 1, maxLength: keyLengthMax });
const prefix = string({ maxLength: keyLengthMax });
const base64 = string({
  maxLength: valueBase64LengthMax,
  pattern: /^[A-Za-z0-9+/]*={0,2}$/,
  patternText: 'base64 text',
});
const path = string({ minLength: 1, maxLength: 4096 });
const endpoint = string({
  minLength: 1,
  maxLength: 512,
  pattern: /^(https?:\/\/)?[A-Za-z0-9.\-[\]:]+:[0-9]{1,5}\/?$/,
  patternText: 'host:port or http(s)://host:port',
});
/** A member's peer URL: scheme required, as etcd's MemberAdd wants it. */
const peerUrl = string({ minLength: 1, maxLength: 512, pattern: /^https?:\/\/[A-Za-z0-9.\-[\]:]+:[0-9]{1,5}\/?$/, patternText: 'http(s)://host:port' });
const connectionId = id;
const onConnection = { connectionId };
const memberCount = literal(1, 3, 5);
/** A proxy's key namespace: any prefix, '' for none. */
const proxyNamespace = string({ maxLength: 1024 });
const tls = object(
  { skipVerify: boolean },
  { caPem: string({ maxLength: 64 * 1024 }), certPem: string({ maxLength: 64 * 1024 }), keyPem: string({ maxLength: 64 * 1024 }) },
);
const ssh = object(
  { host: string({ minLength: 1, maxLength: 255, pattern: /^[A-Za-z0-9.\-[\]:]+$/, patternText: 'a host name or address' }), port: integer(1, 65_535), username: string({ minLength: 1, maxLength: 128 }) },
  {
    password: string({ maxLength: 1024 }),
    privateKeyPem: string({ maxLength: 64 * 1024 }),
    passphrase: string({ maxLength: 1024 }),
    hostKeySha256: string({ maxLength: 64, pattern: /^SHA256:[A-Za-z0-9+/]{43}$/, patternText: 'SHA256: and 43 base64 characters' }),
  },
);
const connectionConfig = object(
  { name, endpoints: array(endpoint, endpointsMax, 1) },
  { tls, username: string({ minLength: 1, maxLength: 128 }), password: string({ maxLength: 1024 }), rememberPassword: boolean, ssh },
);
const localSecurity = object({ tls: literal('off', 'auto', 'ca'), rootPassword: nullable(string({ maxLength: 1024 })) });
const permission = object({ type: literal('read', 'write', 'readwrite'), key: string({ maxLength: keyLengthMax }), rangeEnd: prefix });
const keyExport = object({
  format: literal('rafter-keys/1'),
  prefix,
  revision: integer(0, revisionMax),
  keys: array(object({ key, value: base64 }), importKeysMax),
});

type RequestValidators = { [M in AdminMethodName]: Validator<AdminRequest<M>> };

/** The validator of every request-response method of the AdminApi. */
export const requestValidators: RequestValidators = {
  listConnections: empty,
  addConnection: object({ config: connectionConfig }),
  removeConnection: object(onConnection),
  testConnection: object({ config: connectionConfig }, { secretsFrom: connectionId }),
  getConnection: object({ connectionId }),
  updateConnection: object({ connectionId, config: connectionConfig, keepPassword: boolean, keepClientKey: boolean }, { keepSshSecrets: boolean }),
  connectionCapabilities: empty,

  clusterStatus: object(onConnection),
  moveLeader: object({ connectionId, targetMemberId: decimalId }),
  clusterHistory: object({ connectionId }),
  addMember: object({ connectionId, peerUrls: array(peerUrl, endpointsMax, 1), isLearner: boolean }),
  removeMember: object({ connectionId, memberId: decimalId }),
  promoteMember: object({ connectionId, memberId: decimalId }),

  listLocalClusters: empty,
  createLocalCluster: object({ name, memberCount }, { proxy: object({ namespace: proxyNamespace }), security: localSecurity }),
  destroyLocalCluster: object({ clusterId: id }),
  controlMember: object({ clusterId: id, memberName: name, action: literal('start', 'stop', 'restart', 'kill', 'pause', 'resume') }),
  addLocalMember: object({ clusterId: id, asLearner: boolean }),
  removeLocalMember: object({ clusterId: id, memberName: name }),
  promoteLocalMember: object({ clusterId: id, memberName: name }),
  partitionMember: object({ clusterId: id, memberName: name }),
  healPartitions: object({ clusterId: id }),
  memberLogs: object({ clusterId: id, memberName: name, tailLines: integer(1, memberLogLinesMax) }),
  addLocalProxy: object({ clusterId: id, namespace: proxyNamespace }),
  removeLocalProxy: object({ clusterId: id }),
  connectThroughProxy: object({ clusterId: id }),
  localProxyStatus: object({ clusterId: id }),

  listKeys: object(
    { connectionId, prefix, cursor: nullable(key), limit: integer(1, keyPageLimitMax) },
    { skip: integer(0, keySkipMax) },
  ),
  listFolder: object({ connectionId, prefix, cursor: nullable(key), limit: integer(1, folderEntriesMax) }),
  getKey: object({ connectionId, key }, { revision: integer(1, revisionMax) }),
  keyHistory: object({ connectionId, key, limit: integer(1, historyLimitMax) }),
  putKey: object({ connectionId, key, value: base64 }, { leaseId: decimalId }),
  deleteKey: object({ connectionId, key }),
  deletePrefix: object({ connectionId, prefix: key }),
  exportKeys: object({ connectionId, prefix }),
  importKeys: object({ connectionId, document: keyExport, overwrite: boolean }, { atomic: boolean }),

  startWatch: object(
    { connectionId, key, prefix: boolean, prevKv: boolean },
    { startRevision: integer(1, revisionMax) },
  ),
  stopWatch: object({ watchId: id }),
  listWatches: empty,

  raftTermTimeline: object(onConnection),
  raftLogWindow: object({
    connectionId,
    memberId: decimalId,
    fromIndex: nullable(integer(1, revisionMax)),
    limit: integer(1, raftLogWindowMax),
  }),
  raftProgress: object(onConnection),
  raftTraffic: object({
    connectionId,
    cursors: array(object({ memberId: decimalId, tapId: string({ maxLength: 64 }), afterSeq: integer(0, revisionMax) }), raftTrafficMembersMax),
    waitMs: integer(0, raftTrafficWaitMsMax),
  }),

  saveSnapshot: object({ connectionId, path, operationId: id }),
  snapshotStatus: object({ path }),
  restoreSnapshot: object({ path, clusterName: name, memberCount }),
  compact: object({ connectionId, revision: integer(1, revisionMax), physical: boolean }),
  defragment: object(onConnection),
  listAlarms: object(onConnection),
  disarmAlarm: object({ connectionId, memberId: decimalId, alarm: literal('NOSPACE', 'CORRUPT') }),
  pickFile: object({ purpose: literal('snapshotSave', 'snapshotOpen') }),

  listLeases: object(onConnection),
  grantLease: object({ connectionId, ttlSeconds: integer(1, 9_000_000_000) }),
  revokeLease: object({ connectionId, leaseId: decimalId }),
  keepAliveLease: object({ connectionId, leaseId: decimalId }),

  authStatus: object(onConnection),
  setAuthEnabled: object({ connectionId, enabled: boolean }),
  listUsers: object(onConnection),
  addUser: object({ connectionId, name, password: string({ minLength: 1, maxLength: 1024 }) }),
  deleteUser: object({ connectionId, name }),
  changePassword: object({ connectionId, name, password: string({ minLength: 1, maxLength: 1024 }) }),
  grantRole: object({ connectionId, user: name, role: name }),
  revokeRole: object({ connectionId, user: name, role: name }),
  listRoles: object(onConnection),
  addRole: object({ connectionId, name }),
  deleteRole: object({ connectionId, name }),
  grantPermission: object({ connectionId, role: name, permission }),
  revokePermission: object({ connectionId, role: name, key: string({ maxLength: keyLengthMax }), rangeEnd: prefix }),

  loadPreferences: empty,
  savePreferences: object({ changes: object({}, { theme: literal('system', 'light', 'dark'), connectionId: nullable(connectionId) }) }),
};

/** Every request-response method name, in contract order. */
export const adminMethodNames = Object.keys(requestValidators) as AdminMethodName[];

/** True when `name` is a request-response method of the AdminApi. */
export function isAdminMethodName(name: string): name is AdminMethodName {
  return Object.hasOwn(requestValidators, name);
}

const topicValidators: { [K in EventTopic['kind']]: Validator<Extract<EventTopic, { kind: K }>> } = {
  watch: object({ kind: literal('watch'), watchId: id }),
  clusterStatus: object({ kind: literal('clusterStatus'), connectionId }),
  memberLog: object({ kind: literal('memberLog'), clusterId: id, memberName: name }),
  localClusters: object({ kind: literal('localClusters') }),
  progress: object({ kind: literal('progress'), operationId: id }),
};

/** Checks a subscription topic from an untrusted caller. */
export function validateTopic(value: unknown, path = 'topic'): EventTopic {
  if (typeof value !== 'object' || value === null || !('kind' in value) || typeof value.kind !== 'string') {
    throw new ValidationError(`${path}.kind must be one of ${Object.keys(topicValidators).join(', ')}.`);
  }
  const kind = value.kind;
  if (!Object.hasOwn(topicValidators, kind)) {
    throw new ValidationError(`${path}.kind must be one of ${Object.keys(topicValidators).join(', ')}.`);
  }
  return topicValidators[kind as EventTopic['kind']](value, path);
}

/** Checks the request of `method` from an untrusted caller. */
export function validateRequest<M extends AdminMethodName>(method: M, request: unknown): AdminRequest<M> {
  const validator = requestValidators[method] as Validator<AdminRequest<M>>;
  return validator(request, 'request');
}
