// The AdminApi contract: every operation the console performs, as named, typed, serialisable
// methods, plus one typed subscribe/unsubscribe for events. The Electron preload, the web host and
// the renderer's web client all speak exactly this interface. Types only — no runtime code and no
// Node imports — because the renderer imports this file with `import type`.
//
// Conventions:
// - Every method takes one request object and resolves to a `Result`; no method throws for an
//   expected failure (connection refused, key not found, permission denied, not yet available).
// - Keys are UTF-8 text; values travel as base64 so binary values survive JSON and IPC intact.
// - 64-bit ids (members, leases, clusters) are decimal strings; revisions, terms and indexes are
//   numbers, which the service checks are safe integers before handing them out.

/** Why an operation failed, in terms the console can react to. */
export type AdminErrorCode =
  | 'invalid_argument'
  | 'not_found'
  | 'already_exists'
  | 'unavailable'
  | 'connection_failed'
  | 'unauthenticated'
  | 'permission_denied'
  | 'failed_precondition'
  | 'compacted'
  | 'resource_exhausted'
  | 'deadline_exceeded'
  | 'cancelled'
  | 'internal';

/** A failure the user can read: `message` is a full sentence suitable for display. */
export interface AdminError {
  code: AdminErrorCode;
  message: string;
}

/** The outcome of every AdminApi call. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: AdminError };

/** Base64 of arbitrary bytes (standard alphabet, padded). */
export type Base64 = string;
/** A 64-bit identifier written in decimal. */
export type DecimalId = string;

// ---------------------------------------------------------------- connections

/** TLS material as PEM text; absent fields mean "not used". */
export interface TlsConfig {
  caPem?: string;
  certPem?: string;
  keyPem?: string;
  /** Accept any server certificate. Only for test clusters; the UI warns. */
  skipVerify: boolean;
}

/**
 * An SSH host (bastion) the connection goes through: the cluster's endpoints are as the bastion
 * sees them. Log in with a password or a private key (PEM / OpenSSH, optionally with a passphrase).
 * The secrets are kept like the connection's password (never in the settings file).
 */
export interface SshConfig {
  host: string;
  port: number;
  username: string;
  password?: string;
  privateKeyPem?: string;
  passphrase?: string;
  /**
   * The bastion's host key fingerprint (`SHA256:…`, as OpenSSH prints it) to insist on; absent:
   * learned on the first connection and pinned from then on.
   */
  hostKeySha256?: string;
}

/** What it takes to reach a cluster: Rafter or real etcd. */
export interface ConnectionConfig {
  name: string;
  /** `host:port` or `http(s)://host:port`; at least one. */
  endpoints: string[];
  tls?: TlsConfig;
  username?: string;
  password?: string;
  /**
   * Keep the password across restarts, encrypted by the host's secret store (the desktop app's
   * keychain). Ignored where the host has none (the web console): see `connectionCapabilities`
   * and `passwordSaved`. Covers the SSH password, key and passphrase too.
   */
  rememberPassword?: boolean;
  /** Go through this SSH host; absent: connect directly. */
  ssh?: SshConfig;
}

/** A saved connection as shown to the renderer. Secrets never leave the service. */
export interface ConnectionSummary {
  id: string;
  name: string;
  endpoints: string[];
  tlsEnabled: boolean;
  skipVerify: boolean;
  username: string | null;
  hasPassword: boolean;
  /** The password survives a restart of the app (false: it must be entered again). */
  passwordSaved: boolean;
  /** The SSH host the connection goes through, and its pinned host key (null until the first connection); absent: direct. */
  ssh?: { host: string; port: number; username: string; hostKeySha256: string | null };
}

/** A saved connection's settings for the edit form: everything but its secrets, and which it has. */
export interface EditableConnection {
  /** The settings without `password` and `tls.keyPem`, which never leave the service. */
  config: ConnectionConfig;
  hasPassword: boolean;
  hasClientKey: boolean;
  /** The SSH login's saved secrets (the config's `ssh` leaves them out). */
  hasSshPassword: boolean;
  hasSshKey: boolean;
}

/** What the service's host offers for connections; the form asks before offering to remember. */
export interface ConnectionCapabilities {
  /**
   * A password the user asks to remember is kept across restarts, encrypted by the host's secret
   * store (the desktop app's system keychain). False in the web console and without a keychain.
   */
  canSavePasswords: boolean;
  /** Why passwords are not saved, as a sentence for display. Invariant: null exactly when `canSavePasswords`. */
  passwordNotice: string | null;
}

/** What a successful connection test learned about the cluster. */
export interface ConnectionProbe {
  version: string;
  clusterId: DecimalId;
  leaderId: DecimalId;
  memberCount: number;
  revision: number;
  endpoint: string;
  /** The SSH host's key fingerprint, when the test went through one: the form shows it to be checked before it is pinned. */
  sshHostKeySha256?: string;
}

// ---------------------------------------------------------------- cluster and members

/** One member as seen through the Cluster and Maintenance APIs. */
export interface MemberStatus {
  id: DecimalId;
  name: string;
  peerUrls: string[];
  clientUrls: string[];
  isLearner: boolean;
  isLeader: boolean;
  /** False when the member's status could not be read; `error` then says why. */
  healthy: boolean;
  error: string | null;
  version: string | null;
  term: number | null;
  raftIndex: number | null;
  raftAppliedIndex: number | null;
  dbSizeBytes: number | null;
  dbSizeInUseBytes: number | null;
}

/** A point-in-time view of a cluster, as the Cluster and Raft pages show it. */
export interface ClusterStatus {
  connectionId: string;
  clusterId: DecimalId;
  leaderId: DecimalId | null;
  revision: number;
  members: MemberStatus[];
  /** Milliseconds since the epoch when the status was read. */
  takenAtMs: number;
  /**
   * The grpc-proxy the console runs in front of this connection's local cluster (the connection is
   * the cluster's or the proxy's own), read from the proxy's /health and /metrics on each tick.
   * Absent when there is none.
   */
  proxy?: ProxyStatus;
}

/** A proxy's counters, from its /metrics (etcd's etcd_grpc_proxy_* names, and Rafter's own). */
export interface ProxyFigures {
  cacheHits: number;
  cacheMisses: number;
  /** Ranges held by the serializable-range cache. */
  cacheKeys: number;
  /** hits / (hits + misses); null before the first cacheable read. */
  cacheHitRate: number | null;
  /** Watches clients hold on the proxy. */
  clientWatchers: number;
  /** Watches the proxy holds on the cluster for them (coalesced: fewer than the clients'). */
  upstreamWatchers: number;
  /** Events delivered to a client watch from an upstream watch it shares. */
  eventsCoalesced: number;
  keepAlivesCoalesced: number;
  keepAlivesForwarded: number;
  /** The member the proxy forwards to now, as its health gauge names it; null when not said. */
  currentEndpoint: string | null;
}

/** A local cluster's proxy as its own endpoints report it. */
export interface ProxyStatus {
  clientUrl: string;
  /** The members' client URLs the proxy was started with. */
  endpoints: string[];
  /** The key prefix the proxy adds to every request (`--namespace`); '' for none. */
  namespace: string;
  state: LocalMemberState;
  /** The proxy answered /health with 200: it reached the cluster with a read. */
  healthy: boolean;
  /** Why it is not healthy, as a sentence; null when healthy. */
  error: string | null;
  /** Null when /metrics could not be read (the proxy is not running or did not answer). */
  figures: ProxyFigures | null;
}

/** What the charts need of one status tick; the service keeps the last few hundred per connection. */
export interface StatusSample {
  readonly takenAtMs: number;
  readonly revision: number;
  /** Each member's applied index by name (or id before it has a name); null when its status could not be read. */
  readonly applied: Readonly<Record<string, number | null>>;
}

/** A connection's recent status ticks and term changes, oldest first: the charts' history. */
export interface ClusterHistory {
  samples: StatusSample[];
  terms: TermSample[];
}

/**
 * How a local cluster's members talk, to clients and to each other: off (plaintext); auto
 * (`--auto-tls --peer-auto-tls`: encrypted with self-signed certificates that nobody verifies); ca
 * (a CA the console made for the cluster signs every member's certificate and the console's client
 * certificate, and members require client certificates on both ports).
 */
export type LocalClusterTls = 'off' | 'auto' | 'ca';

/** A local cluster's security, as chosen when it was created. */
export interface LocalClusterSecurity {
  tls: LocalClusterTls;
  /** Authentication is on, with a root user the console's connection signs in as. */
  auth: boolean;
}

/** The security asked for when creating a local cluster. */
export interface LocalClusterSecurityRequest {
  tls: LocalClusterTls;
  /**
   * Turns authentication on with a root user (and role) of this password; null leaves it off.
   * The password is kept across restarts only by the host's secret store, like a saved
   * connection's; an empty one is refused.
   */
  rootPassword: string | null;
}

/** A local cluster that the console launched on this machine. */
export interface LocalClusterInfo {
  id: string;
  name: string;
  dataDir: string;
  connectionId: string;
  members: LocalMemberInfo[];
  /** The grpc-proxy in front of the members; null when the cluster runs none. */
  proxy: LocalProxyInfo | null;
  security: LocalClusterSecurity;
  /**
   * What the user should know of the cluster's security, as sentences: that auto TLS is not
   * verified, where the CA and client certificate are kept, how the console signs in.
   */
  securityNotes: string[];
}

/** A local cluster's grpc-proxy process (`rafter grpc-proxy start`), run like its members. */
export interface LocalProxyInfo {
  clientUrl: string;
  /** The members' client URLs it forwards to (those of its last start). */
  endpoints: string[];
  /** The key prefix it adds (`--namespace`); '' for none. */
  namespace: string;
  state: LocalMemberState;
  /** How the process ended when it exited on its own; null otherwise. */
  exit: string | null;
  pid: number | null;
  /** The saved connection whose endpoint is the proxy; null until one is made ("Connect through proxy"). */
  connectionId: string | null;
}

/**
 * stopped: stopped by the user (or never started); killed: killed from the console; exited: the
 * process ended on its own (a crash, or a member removed from its cluster shutting down); paused:
 * frozen by SIGSTOP until resumed.
 */
export type LocalMemberState = 'starting' | 'running' | 'stopped' | 'killed' | 'exited' | 'partitioned' | 'paused';

export interface LocalMemberInfo {
  name: string;
  memberId: DecimalId | null;
  clientUrl: string;
  peerUrl: string;
  state: LocalMemberState;
  /** How the process ended when it exited on its own ("code 1", "SIGSEGV"); null otherwise. */
  exit: string | null;
  pid: number | null;
  isLearner: boolean;
}

/** pause / resume: SIGSTOP and SIGCONT, a member frozen as a long GC pause or a stalled VM would. */
export type LocalMemberAction = 'start' | 'stop' | 'restart' | 'kill' | 'pause' | 'resume';

// ---------------------------------------------------------------- keys

/** A key in a listing: enough for the tree and the flat list, without the value (pages stay small). */
export interface KeySummary {
  key: string;
  version: number;
  createRevision: number;
  modRevision: number;
  lease: DecimalId;
}

/** A page of keys in key order. */
export interface KeyPage {
  items: KeySummary[];
  /** Pass back as `cursor` to fetch the next page; null when this was the last page. */
  nextCursor: string | null;
  /** Keys remaining under the prefix from the page's start (inclusive), at `revision`. */
  remaining: number;
  /** Keys under the prefix before the page's first key, at `revision`: the page's position. */
  offset: number;
  /** Keys under the prefix, at `revision`. Invariant: offset + items.length <= total. */
  total: number;
  revision: number;
  /**
   * Cursors a skip passed, each with the position of the key it starts at (`index` keys before
   * it): places a later jump can start from.
   */
  waypoints: { index: number; cursor: string }[];
}

/** The entries directly under a prefix, for the folder view: sub-folders (by `/`) and keys, in key order. */
export interface FolderPage {
  /** Sub-folders: `name` ends with `/`; `prefix` is the prefix to list to open it. */
  folders: { name: string; prefix: string }[];
  keys: KeySummary[];
  /** Pass back as `cursor` for the next entries; null when this was the last. */
  nextCursor: string | null;
  revision: number;
}

/** A key with its value and metadata. */
export interface KeyDetail {
  key: string;
  value: Base64;
  createRevision: number;
  modRevision: number;
  version: number;
  lease: DecimalId;
  /** The store revision the read observed. */
  revision: number;
}

/** One earlier version of a key. */
export interface KeyVersion {
  value: Base64;
  modRevision: number;
  version: number;
  lease: DecimalId;
}

export interface KeyHistory {
  key: string;
  /** Newest first. */
  versions: KeyVersion[];
  /** True when older versions exist but were compacted away. */
  truncatedByCompaction: boolean;
  /** True when the history limit stopped the walk before the key's creation. */
  truncatedByLimit: boolean;
}

/** The console's export format for keys; versioned so imports can refuse what they do not know. */
export interface KeyExport {
  format: 'rafter-keys/1';
  prefix: string;
  revision: number;
  keys: { key: string; value: Base64 }[];
}

/** What an import wrote. */
export interface ImportResult {
  written: number;
  /** Keys left as they were because they existed (without `overwrite`). */
  skipped: number;
  /** The revision of an atomic import's one transaction; null for a batched import. */
  revision: number | null;
  /** Transactions the import took (one revision each that wrote anything). */
  transactions: number;
}

// ---------------------------------------------------------------- watches

export interface WatchRequest {
  connectionId: string;
  key: string;
  /** Watch every key starting with `key`. */
  prefix: boolean;
  /** Replay history from this revision; absent means "from now". */
  startRevision?: number;
  prevKv: boolean;
}

export interface WatchInfo {
  watchId: string;
  connectionId: string;
  key: string;
  prefix: boolean;
  prevKv: boolean;
  startRevision: number | null;
  eventCount: number;
  state: 'active' | 'stopped' | 'failed';
  error: string | null;
}

export interface WatchEvent {
  type: 'put' | 'delete';
  key: string;
  value: Base64;
  modRevision: number;
  createRevision: number;
  version: number;
  lease: DecimalId;
  prevValue: Base64 | null;
}

// ---------------------------------------------------------------- raft inspection

/** A term change observed by the console while it polled the cluster. */
export interface TermSample {
  takenAtMs: number;
  term: number;
  leaderId: DecimalId | null;
}

export interface RaftLogEntry {
  index: number;
  term: number;
  type: 'normal' | 'confChange';
  summary: string;
  bytes: number;
}

export interface RaftLogWindow {
  memberId: DecimalId;
  firstIndex: number;
  lastIndex: number;
  commitIndex: number;
  appliedIndex: number;
  snapshotIndex: number;
  entries: RaftLogEntry[];
}

/** The leader's view of one member's replication (Rafter's inspection endpoint). */
export interface FollowerProgress {
  memberId: DecimalId;
  /** Highest log index known to be on the member. */
  matchIndex: number;
  /** Next log index the leader will send it. */
  nextIndex: number;
  /** probe: finding where logs agree; replicate: streaming; snapshot: being sent a snapshot. */
  state: 'probe' | 'replicate' | 'snapshot';
  /** Append messages sent and not yet acknowledged. */
  inflight: number;
  /** Heard from within the last election timeout. */
  recentActive: boolean;
  isLearner: boolean;
}

/** Replication progress as the current leader sees it. */
export interface RaftProgress {
  leaderId: DecimalId;
  term: number;
  commitIndex: number;
  lastIndex: number;
  /** Every member but the leader, in member id order. */
  followers: FollowerProgress[];
}

/** The kinds of Raft message (Rafter's core/raft/message.ts). */
export type RaftMessageType =
  | 'app'
  | 'appResp'
  | 'vote'
  | 'voteResp'
  | 'preVote'
  | 'preVoteResp'
  | 'heartbeat'
  | 'heartbeatResp'
  | 'snapshot'
  | 'prop'
  | 'readIndex'
  | 'readIndexResp'
  | 'timeoutNow'
  | 'transferLeader';

/** One Raft message a member's transport tap saw (Rafter's `/rafter/v1/raft/messages`). */
export interface RaftMessageRecord {
  /** The member whose tap recorded it: the sender, or for a message dropped on arrival the receiver. */
  seenBy: DecimalId;
  seq: number;
  /** Wall-clock milliseconds when it was sent (or dropped on arrival). */
  atMs: number;
  type: RaftMessageType;
  from: DecimalId;
  to: DecimalId;
  term: number;
  /** For appends, the index before the entries carried; for answers, the index matched or rejected. */
  index: number;
  /** Entries carried (appends). */
  entries: number;
  commit: number;
  reject: boolean;
  /** Never delivered: dropped by an injected fault (a partition) or a full queue. */
  dropped: boolean;
  /** Where it was dropped: by the sender's transport, or on arrival; null when delivered. */
  droppedAt: 'sender' | 'receiver' | null;
}

/** A member as the live view shows it, read with its tap. */
export interface RaftLiveMember {
  memberId: DecimalId;
  name: string;
  /** False when its tap could not be read; `error` says why and the Raft fields are null. */
  reachable: boolean;
  error: string | null;
  role: 'leader' | 'follower' | 'candidate' | 'preCandidate' | 'learner' | null;
  term: number | null;
  leaderId: DecimalId | null;
  commitIndex: number | null;
  lastIndex: number | null;
  appliedIndex: number | null;
  /** Its transport drops messages to or from some peer (a partition). */
  cutOff: boolean;
  /** Where the next read of this member's tap continues. */
  cursor: RaftTrafficCursor | null;
  /** Messages its tap left out by sampling, since it started. */
  sampledOut: number;
  /** Messages the tap's ring overwrote before this read reached them. */
  missed: number;
}

/** Where a read of one member's tap continues: its tap id (new after a restart) and sequence number. */
export interface RaftTrafficCursor {
  memberId: DecimalId;
  tapId: string;
  afterSeq: number;
}

/** One read of every member's tap. */
export interface RaftTraffic {
  takenAtMs: number;
  /** In member-list order. */
  members: RaftLiveMember[];
  /**
   * Each message as its sender saw it, plus each one a receiver's fault dropped on arrival as the
   * receiver saw it (`droppedAt: 'receiver'`, `seenBy` the receiver: the console folds it into
   * the sender's record, which may come in this read or the next); oldest first.
   */
  messages: RaftMessageRecord[];
}

// ---------------------------------------------------------------- snapshots and maintenance

export interface SnapshotSaved {
  path: string;
  bytes: number;
  sha256: string;
}

/** What can be learned from a snapshot file without opening its database. */
export interface SnapshotFileStatus {
  path: string;
  bytes: number;
  /** True when the file ends with the SHA-256 of its contents, as etcd's snapshot stream writes. */
  checksumValid: boolean;
  /** What the snapshot holds, read by `rafter snapshot status`; null when it could not be read (see `contentsError`). */
  contents: SnapshotContents | null;
  /** Why `contents` is null, as a sentence; null when it was read. */
  contentsError: string | null;
}

/** What a snapshot holds, as `etcdctl snapshot status` reports it. */
export interface SnapshotContents {
  /** The store revision the snapshot was taken at. */
  revision: number;
  totalKeys: number;
  /** The database's size inside the file, in bytes. */
  databaseBytes: number;
  /** The store's hash, in hex as etcdctl prints it. */
  hash: string;
}

export interface DefragmentResult {
  endpoint: string;
  ok: boolean;
  error: string | null;
}

export type AlarmType = 'NOSPACE' | 'CORRUPT';

export interface AlarmInfo {
  memberId: DecimalId;
  alarm: AlarmType;
}

// ---------------------------------------------------------------- leases

export interface LeaseInfo {
  id: DecimalId;
  /** Seconds left; -1 when the lease has already expired. */
  ttlSeconds: number;
  grantedTtlSeconds: number;
  keys: string[];
}

// ---------------------------------------------------------------- auth

export interface UserInfo {
  name: string;
  roles: string[];
}

export type PermissionType = 'read' | 'write' | 'readwrite';

export interface Permission {
  type: PermissionType;
  key: string;
  /** Empty string means the single key; `\0` means every key from `key` on. */
  rangeEnd: string;
}

export interface RoleInfo {
  name: string;
  permissions: Permission[];
}

// ---------------------------------------------------------------- preferences

/** The colour theme: follow the system, or a fixed one. */
export type ThemePreference = 'system' | 'light' | 'dark';

/** What the console remembers between runs; saved by the host (main process or web host). */
export interface Preferences {
  theme: ThemePreference;
  /** The connection the console opens on; null until one is chosen. */
  connectionId: string | null;
}

/** A change to some preferences; absent fields keep their value. */
export interface PreferenceChanges {
  theme?: ThemePreference;
  connectionId?: string | null;
}

// ---------------------------------------------------------------- events

/** What a subscriber wants to hear about. */
export type EventTopic =
  | { kind: 'watch'; watchId: string }
  | { kind: 'clusterStatus'; connectionId: string }
  | { kind: 'memberLog'; clusterId: string; memberName: string }
  | { kind: 'localClusters' }
  | { kind: 'progress'; operationId: string };

/** Events delivered to subscribers, discriminated by `kind` like their topics. */
export type AdminEvent =
  | { kind: 'watch'; watchId: string; events: WatchEvent[]; compactRevision: number | null }
  | { kind: 'watchEnded'; watchId: string; reason: string }
  | { kind: 'clusterStatus'; connectionId: string; status: Result<ClusterStatus> }
  | { kind: 'memberLog'; clusterId: string; memberName: string; lines: string[] }
  /** Every local cluster, sent whenever one of them or a member's state changed (an exit too). */
  | { kind: 'localClusters'; clusters: LocalClusterInfo[] }
  | { kind: 'progress'; operationId: string; doneBytes: number; totalBytes: number | null; finished: boolean };

export type EventListener = (event: AdminEvent) => void;

/** The purposes a native file dialog serves. */
export type FilePurpose = 'snapshotSave' | 'snapshotOpen';

type Call<Request, Response> = (request: Request) => Promise<Result<Response>>;
type Empty = Record<string, never>;
interface OnConnection {
  connectionId: string;
}

/** The whole back end of the console. */
export interface AdminApi {
  // connections
  listConnections: Call<Empty, ConnectionSummary[]>;
  addConnection: Call<{ config: ConnectionConfig }, ConnectionSummary>;
  removeConnection: Call<OnConnection, null>;
  /** A saved connection's settings, without its secrets, for editing. */
  getConnection: Call<OnConnection, EditableConnection>;
  /**
   * Replaces a saved connection's settings; `keepPassword` / `keepClientKey` / `keepSshSecrets`
   * keep the saved secret when the new config leaves it out. The connection's client (and SSH
   * tunnel) is made again with the new settings.
   */
  updateConnection: Call<OnConnection & { config: ConnectionConfig; keepPassword: boolean; keepClientKey: boolean; keepSshSecrets?: boolean }, ConnectionSummary>;
  /**
   * Tests a configuration without saving it. `secretsFrom`: a saved connection whose password and
   * client key fill those the config leaves out (testing an edit that keeps them).
   */
  testConnection: Call<{ config: ConnectionConfig; secretsFrom?: string }, ConnectionProbe>;
  /** Whether this host can remember passwords, and if not why (the connection form's checkbox). */
  connectionCapabilities: Call<Empty, ConnectionCapabilities>;

  // cluster members (any connection)
  clusterStatus: Call<OnConnection, ClusterStatus>;
  moveLeader: Call<OnConnection & { targetMemberId: DecimalId }, null>;
  /** The status ticks and term changes the service recorded for the connection (the charts keep history across page visits). */
  clusterHistory: Call<OnConnection, ClusterHistory>;
  /** Adds a member through the Cluster API (any cluster); its process is the operator's to start. */
  addMember: Call<OnConnection & { peerUrls: string[]; isLearner: boolean }, { memberId: DecimalId; initialCluster: string }>;
  removeMember: Call<OnConnection & { memberId: DecimalId }, null>;
  promoteMember: Call<OnConnection & { memberId: DecimalId }, null>;

  // local clusters (launched by the console)
  listLocalClusters: Call<Empty, LocalClusterInfo[]>;
  /**
   * Launches a local cluster; without `security`, plaintext and without authentication. `proxy`:
   * also run a grpc-proxy in front of the members, with this key namespace ('' for none).
   */
  createLocalCluster: Call<{ name: string; memberCount: 1 | 3 | 5; security?: LocalClusterSecurityRequest; proxy?: { namespace: string } }, LocalClusterInfo>;
  destroyLocalCluster: Call<{ clusterId: string }, null>;
  controlMember: Call<{ clusterId: string; memberName: string; action: LocalMemberAction }, LocalMemberInfo>;
  addLocalMember: Call<{ clusterId: string; asLearner: boolean }, LocalMemberInfo>;
  removeLocalMember: Call<{ clusterId: string; memberName: string }, null>;
  promoteLocalMember: Call<{ clusterId: string; memberName: string }, LocalMemberInfo>;
  partitionMember: Call<{ clusterId: string; memberName: string }, null>;
  healPartitions: Call<{ clusterId: string }, null>;
  /** A member's log, or the proxy's with `memberName` "proxy". */
  memberLogs: Call<{ clusterId: string; memberName: string; tailLines: number }, string[]>;
  /** Starts a grpc-proxy in front of the cluster's members; it then starts and stops with the cluster. */
  addLocalProxy: Call<{ clusterId: string; namespace: string }, LocalProxyInfo>;
  /** Stops the cluster's proxy and removes the connection through it. */
  removeLocalProxy: Call<{ clusterId: string }, null>;
  /** The saved connection whose endpoint is the cluster's proxy, made on first use. */
  connectThroughProxy: Call<{ clusterId: string }, ConnectionSummary>;
  /** The proxy's address, upstream, health and counters, read now from its /health and /metrics. */
  localProxyStatus: Call<{ clusterId: string }, ProxyStatus>;

  // keys
  /**
   * A page of the keys under `prefix`, in key order, from `cursor` (inclusive; null: the prefix's
   * first key), after passing over `skip` keys. The page costs O(limit) (keys ascending with a
   * limit); a skip costs the service one keys-only read per `keySkipChunkKeys` keys.
   */
  listKeys: Call<OnConnection & { prefix: string; cursor: string | null; limit: number; skip?: number }, KeyPage>;
  /**
   * The folders and keys directly under `prefix`, read from the server by skip-scan: one keys-only
   * range with limit 1 per entry, jumping past each folder's keys, so a level of 10 folders over
   * 100,000 keys costs 10 reads. At most `limit` entries per call.
   */
  listFolder: Call<OnConnection & { prefix: string; cursor: string | null; limit: number }, FolderPage>;
  getKey: Call<OnConnection & { key: string; revision?: number }, KeyDetail>;
  keyHistory: Call<OnConnection & { key: string; limit: number }, KeyHistory>;
  putKey: Call<OnConnection & { key: string; value: Base64; leaseId?: DecimalId }, { revision: number }>;
  deleteKey: Call<OnConnection & { key: string }, { deleted: number; revision: number }>;
  /** Refuses an empty prefix: deleting a whole keyspace is not one click. */
  deletePrefix: Call<OnConnection & { prefix: string }, { deleted: number; revision: number }>;
  exportKeys: Call<OnConnection & { prefix: string }, KeyExport>;
  /**
   * Writes a document's keys. By default in batches, one revision per batch (not atomic: a failure
   * midway leaves the earlier batches written). `atomic`: every key in one transaction at one
   * revision, refused when the document exceeds etcd's transaction limits (128 operations, 1.5 MiB).
   */
  importKeys: Call<OnConnection & { document: KeyExport; overwrite: boolean; atomic?: boolean }, ImportResult>;

  // watches
  startWatch: Call<WatchRequest, WatchInfo>;
  stopWatch: Call<{ watchId: string }, null>;
  listWatches: Call<Empty, WatchInfo[]>;

  // raft inspection
  raftTermTimeline: Call<OnConnection, TermSample[]>;
  raftLogWindow: Call<OnConnection & { memberId: DecimalId; fromIndex: number | null; limit: number }, RaftLogWindow>;
  /** Each follower's match / next / state / in-flight from the leader; unavailable against etcd. */
  raftProgress: Call<OnConnection, RaftProgress>;
  /**
   * The Raft messages each member sent since `cursors` (taps record only while read, so the first
   * read starts them), waiting up to `waitMs` for one; unavailable against etcd.
   */
  raftTraffic: Call<OnConnection & { cursors: RaftTrafficCursor[]; waitMs: number }, RaftTraffic>;

  // snapshots and maintenance
  saveSnapshot: Call<OnConnection & { path: string; operationId: string }, SnapshotSaved>;
  snapshotStatus: Call<{ path: string }, SnapshotFileStatus>;
  restoreSnapshot: Call<{ path: string; clusterName: string; memberCount: 1 | 3 | 5 }, LocalClusterInfo>;
  compact: Call<OnConnection & { revision: number; physical: boolean }, null>;
  defragment: Call<OnConnection, DefragmentResult[]>;
  listAlarms: Call<OnConnection, AlarmInfo[]>;
  disarmAlarm: Call<OnConnection & AlarmInfo, null>;
  /** Asks the host for a file path through a native dialog; null when the user cancels. */
  pickFile: Call<{ purpose: FilePurpose }, { path: string | null }>;

  // leases
  listLeases: Call<OnConnection, LeaseInfo[]>;
  grantLease: Call<OnConnection & { ttlSeconds: number }, LeaseInfo>;
  revokeLease: Call<OnConnection & { leaseId: DecimalId }, null>;
  keepAliveLease: Call<OnConnection & { leaseId: DecimalId }, { ttlSeconds: number }>;

  // auth
  authStatus: Call<OnConnection, { enabled: boolean }>;
  setAuthEnabled: Call<OnConnection & { enabled: boolean }, null>;
  listUsers: Call<OnConnection, UserInfo[]>;
  addUser: Call<OnConnection & { name: string; password: string }, null>;
  deleteUser: Call<OnConnection & { name: string }, null>;
  changePassword: Call<OnConnection & { name: string; password: string }, null>;
  grantRole: Call<OnConnection & { user: string; role: string }, null>;
  revokeRole: Call<OnConnection & { user: string; role: string }, null>;
  listRoles: Call<OnConnection, RoleInfo[]>;
  addRole: Call<OnConnection & { name: string }, null>;
  deleteRole: Call<OnConnection & { name: string }, null>;
  grantPermission: Call<OnConnection & { role: string; permission: Permission }, null>;
  revokePermission: Call<OnConnection & { role: string; key: string; rangeEnd: string }, null>;

  // preferences
  loadPreferences: Call<Empty, Preferences>;
  /** Applies `changes` and saves them; resolves to the preferences now in force. */
  savePreferences: Call<{ changes: PreferenceChanges }, Preferences>;

  // events
  /** Starts delivering events for `topic` to `listener`; resolves to a subscription id. */
  subscribe(topic: EventTopic, listener: EventListener): Promise<Result<{ subscriptionId: string }>>;
  unsubscribe(subscriptionId: string): Promise<Result<null>>;
}

/** The request-response methods of the AdminApi (everything but the event pair). */
export type AdminMethodName = Exclude<keyof AdminApi, 'subscribe' | 'unsubscribe'>;
/** The request object of a method. */
export type AdminRequest<M extends AdminMethodName> = Parameters<AdminApi[M]>[0];
/** The success value of a method. */
export type AdminResponse<M extends AdminMethodName> =
  Awaited<ReturnType<AdminApi[M]>> extends Result<infer T> ? T : never;
