// Every flag of etcd 3.4's and 3.5's `etcd --help`, in etcd's groups and order, and what Rafter
// does with the ones it does not implement: a value that changes nothing for Rafter (etcd's
// default, or what Rafter does anyway) is accepted silently; another value is accepted with a
// one-line warning, or refused when ignoring it would break the operator's intent (TLS, a proxy
// mode, discovery). A flag that flags.ts implements (flagSpecs) overrides its entry here, so
// implementing one is adding it there. Parsing values is flags.ts's job.

export type EtcdFlagGroup =
  | 'Member'
  | 'Clustering'
  | 'Security'
  | 'Auth'
  | 'Profiling and Monitoring'
  | 'Logging'
  | 'Experimental distributed tracing'
  | 'v2 Proxy'
  | 'Experimental feature'
  | 'Unsafe feature'
  | 'To be deprecated';

/** How Rafter treats an etcd flag it does not implement. */
export interface UnimplementedFlag {
  /** A flag that may be given without a value (`--enable-v2` means `--enable-v2=true`). */
  readonly boolean: boolean;
  /** Values that change nothing for Rafter (etcd 3.4's and 3.5's defaults at least); '' always does. */
  readonly harmless: readonly string[];
  /** What any other value gets. */
  readonly effect: 'warn' | 'refuse';
  /** Why, completing "--flag=value is ignored: …" or "--flag=value is not supported: …". */
  readonly reason: string;
}

export interface EtcdFlag {
  readonly name: string;
  readonly group: EtcdFlagGroup;
  /** etcd's default as its help prints it. */
  readonly etcdDefault: string;
  /** Set when Rafter does not implement the flag. */
  readonly unimplemented?: UnimplementedFlag;
}

const noBbolt = 'Rafter keeps its store in LMDB, not bbolt';
const noV2 = 'Rafter serves only the v3 API';
const noTracing = 'Rafter has no distributed tracing';
const noProxy = 'Rafter has no v2 proxy mode';

function implemented(group: EtcdFlagGroup, name: string, etcdDefault: string): EtcdFlag {
  return { name, group, etcdDefault };
}

function ignored(group: EtcdFlagGroup, name: string, etcdDefault: string, reason: string, harmless: readonly string[] = [etcdDefault]): EtcdFlag {
  const boolean = etcdDefault === 'true' || etcdDefault === 'false';
  return { name, group, etcdDefault, unimplemented: { boolean, harmless, effect: 'warn', reason } };
}

function refused(group: EtcdFlagGroup, name: string, etcdDefault: string, reason: string, harmless: readonly string[] = [etcdDefault]): EtcdFlag {
  const boolean = etcdDefault === 'true' || etcdDefault === 'false';
  return { name, group, etcdDefault, unimplemented: { boolean, harmless, effect: 'refuse', reason } };
}

/** etcd 3.4 and 3.5 flags, in the order of etcd's help. */
export const etcdFlags: readonly EtcdFlag[] = [
  implemented('Member', 'name', 'default'),
  implemented('Member', 'data-dir', '${name}.etcd'),
  implemented('Member', 'wal-dir', ''),
  implemented('Member', 'snapshot-count', '100000'),
  implemented('Member', 'heartbeat-interval', '100'),
  implemented('Member', 'election-timeout', '1000'),
  ignored('Member', 'initial-election-tick-advance', 'true', 'Rafter does not fast-forward election ticks at start'),
  implemented('Member', 'listen-peer-urls', 'http://localhost:2380'),
  implemented('Member', 'listen-client-urls', 'http://localhost:2379'),
  refused('Member', 'listen-client-http-urls', '', 'Rafter serves HTTP and gRPC together on --listen-client-urls'),
  implemented('Member', 'max-snapshots', '5'),
  implemented('Member', 'max-wals', '5'),
  implemented('Member', 'quota-backend-bytes', '0'),
  ignored('Member', 'backend-bbolt-freelist-type', 'map', noBbolt, ['map', 'array']),
  implemented('Member', 'backend-batch-interval', ''),
  implemented('Member', 'backend-batch-limit', '0'),
  implemented('Member', 'max-txn-ops', '128'),
  implemented('Member', 'max-request-bytes', '1572864'),
  ignored('Member', 'max-concurrent-streams', 'math.MaxUint32', 'Rafter does not limit concurrent streams per client', ['math.MaxUint32', '4294967295']),
  ignored('Member', 'enable-grpc-gateway', 'true', 'Rafter always serves the JSON gateway'),
  ignored('Member', 'grpc-keepalive-min-time', '5s', 'Rafter uses fixed gRPC keepalive settings'),
  ignored('Member', 'grpc-keepalive-interval', '2h', 'Rafter uses fixed gRPC keepalive settings'),
  ignored('Member', 'grpc-keepalive-timeout', '20s', 'Rafter uses fixed gRPC keepalive settings'),
  ignored('Member', 'socket-reuse-port', 'false', 'Rafter does not set SO_REUSEPORT'),
  ignored('Member', 'socket-reuse-address', 'false', 'Rafter does not set SO_REUSEADDR'),
  ignored('Member', 'raft-read-timeout', '5s', "Rafter's peer transport has its own timeouts"),
  ignored('Member', 'raft-write-timeout', '5s', "Rafter's peer transport has its own timeouts"),

  implemented('Clustering', 'initial-advertise-peer-urls', 'http://localhost:2380'),
  implemented('Clustering', 'initial-cluster', 'default=http://localhost:2380'),
  implemented('Clustering', 'initial-cluster-state', 'new'),
  implemented('Clustering', 'initial-cluster-token', 'etcd-cluster'),
  implemented('Clustering', 'advertise-client-urls', 'http://localhost:2379'),
  refused('Clustering', 'discovery', '', "Rafter has no client for etcd's discovery protocol, which needs a v2 keys API discovery service (such as discovery.etcd.io); list the members in --initial-cluster"),
  ignored('Clustering', 'discovery-fallback', 'proxy', 'Rafter has no discovery', ['proxy', 'exit']),
  ignored('Clustering', 'discovery-proxy', '', 'Rafter has no discovery'),
  refused('Clustering', 'discovery-srv', '', 'Rafter does not look members up in DNS; list them in --initial-cluster'),
  ignored('Clustering', 'discovery-srv-name', '', 'Rafter has no discovery'),
  implemented('Clustering', 'strict-reconfig-check', 'true'),
  ignored('Clustering', 'pre-vote', 'false', 'Rafter always runs the pre-vote phase', ['true']),
  implemented('Clustering', 'auto-compaction-retention', '0'),
  implemented('Clustering', 'auto-compaction-mode', 'periodic'),
  ignored('Clustering', 'enable-v2', 'false', noV2),
  ignored('Clustering', 'v2-deprecation', 'not-yet', noV2, ['not-yet', 'write-only', 'write-only-drop-data', 'gone']),

  implemented('Security', 'cert-file', ''),
  implemented('Security', 'key-file', ''),
  implemented('Security', 'client-cert-auth', 'false'),
  ignored('Security', 'client-cert-file', '', 'a Rafter member opens no client connections of its own to present it on'),
  ignored('Security', 'client-key-file', '', 'a Rafter member opens no client connections of its own to present it on'),
  implemented('Security', 'client-crl-file', ''),
  implemented('Security', 'client-cert-allowed-hostname', ''),
  implemented('Security', 'trusted-ca-file', ''),
  implemented('Security', 'auto-tls', 'false'),
  implemented('Security', 'peer-cert-file', ''),
  implemented('Security', 'peer-key-file', ''),
  implemented('Security', 'peer-client-cert-auth', 'false'),
  implemented('Security', 'peer-trusted-ca-file', ''),
  implemented('Security', 'peer-cert-allowed-cn', ''),
  implemented('Security', 'peer-cert-allowed-hostname', ''),
  implemented('Security', 'peer-auto-tls', 'false'),
  implemented('Security', 'peer-client-cert-file', ''),
  implemented('Security', 'peer-client-key-file', ''),
  ignored('Security', 'self-signed-cert-validity', '1', "Rafter's auto TLS certificates have a fixed validity"),
  implemented('Security', 'peer-crl-file', ''),
  implemented('Security', 'cipher-suites', ''),
  ignored('Security', 'cors', '*', 'Rafter sends no CORS headers, so browsers allow no other origin'),
  refused('Security', 'host-whitelist', '*', 'Rafter does not check the Host header of client requests'),
  implemented('Security', 'tls-min-version', 'TLS1.2'),
  implemented('Security', 'tls-max-version', ''),

  implemented('Auth', 'auth-token', 'simple'),
  implemented('Auth', 'bcrypt-cost', '10'),
  implemented('Auth', 'auth-token-ttl', '300'),

  implemented('Profiling and Monitoring', 'enable-pprof', 'false'),
  ignored('Profiling and Monitoring', 'metrics', 'basic', 'Rafter exports one set of metrics'),
  implemented('Profiling and Monitoring', 'listen-metrics-urls', ''),

  implemented('Logging', 'logger', 'capnslog'),
  implemented('Logging', 'log-outputs', 'default'),
  implemented('Logging', 'log-level', 'info'),
  ignored('Logging', 'enable-log-rotation', 'false', 'leave log rotation to the system (logrotate, journald)'),
  ignored('Logging', 'log-rotation-config-json', '{"maxsize": 100, "maxage": 0, "maxbackups": 0, "localtime": false, "compress": false}', 'leave log rotation to the system'),

  ignored('Experimental distributed tracing', 'experimental-enable-distributed-tracing', 'false', noTracing),
  ignored('Experimental distributed tracing', 'experimental-distributed-tracing-address', 'localhost:4317', noTracing),
  ignored('Experimental distributed tracing', 'experimental-distributed-tracing-service-name', 'etcd', noTracing),
  ignored('Experimental distributed tracing', 'experimental-distributed-tracing-instance-id', '', noTracing),
  ignored('Experimental distributed tracing', 'experimental-distributed-tracing-sampling-rate', '0', noTracing),

  refused('v2 Proxy', 'proxy', 'off', noProxy),
  ignored('v2 Proxy', 'proxy-failure-wait', '5000', noProxy),
  ignored('v2 Proxy', 'proxy-refresh-interval', '30000', noProxy),
  ignored('v2 Proxy', 'proxy-dial-timeout', '1000', noProxy),
  ignored('v2 Proxy', 'proxy-write-timeout', '5000', noProxy),
  ignored('v2 Proxy', 'proxy-read-timeout', '0', noProxy),

  ignored('Experimental feature', 'experimental-initial-corrupt-check', 'false', 'Rafter checks record checksums on every read instead'),
  ignored('Experimental feature', 'experimental-corrupt-check-time', '0s', 'Rafter has no periodic corruption check; compare `etcdctl endpoint hashkv`'),
  ignored('Experimental feature', 'experimental-compact-hash-check-enabled', 'false', 'Rafter has no compaction hash check'),
  ignored('Experimental feature', 'experimental-compact-hash-check-time', '1m', 'Rafter has no compaction hash check'),
  ignored('Experimental feature', 'experimental-enable-v2v3', '', noV2),
  ignored('Experimental feature', 'experimental-backend-bbolt-freelist-type', 'array', noBbolt, ['array', 'map']),
  ignored('Experimental feature', 'experimental-enable-lease-checkpoint', 'false', 'Rafter does not checkpoint lease TTLs'),
  ignored('Experimental feature', 'experimental-enable-lease-checkpoint-persist', 'false', 'Rafter does not checkpoint lease TTLs'),
  ignored('Experimental feature', 'experimental-compaction-batch-limit', '1000', 'Rafter sizes its compaction batches itself'),
  ignored('Experimental feature', 'experimental-compaction-sleep-interval', '10ms', 'Rafter paces its compaction batches itself'),
  ignored('Experimental feature', 'experimental-peer-skip-client-san-verification', 'false', 'Rafter does not check the SANs of peer client certificates'),
  ignored('Experimental feature', 'experimental-watch-progress-notify-interval', '10m', 'Rafter sends progress notifications only when asked'),
  ignored('Experimental feature', 'experimental-downgrade-check-time', '5s', 'Rafter has no downgrade support'),
  ignored('Experimental feature', 'experimental-memory-mlock', 'false', 'Rafter does not lock its store in memory'),
  ignored('Experimental feature', 'experimental-warning-apply-duration', '100ms', 'Rafter does not time applies'),
  ignored('Experimental feature', 'experimental-txn-mode-write-with-shared-buffer', 'true', 'Rafter has no such buffer', ['true', 'false']),
  ignored('Experimental feature', 'experimental-bootstrap-defrag-threshold-megabytes', '0', 'Rafter does not defragment at start'),
  ignored('Experimental feature', 'experimental-stop-grpc-service-on-defrag', 'false', 'Rafter keeps serving during defragmentation'),
  implemented('Experimental feature', 'experimental-snapshot-catchup-entries', '5000'),

  implemented('Unsafe feature', 'force-new-cluster', 'false'),
  implemented('Unsafe feature', 'unsafe-no-fsync', 'false'),

  implemented('To be deprecated', 'debug', 'false'),
  ignored('To be deprecated', 'log-package-levels', '', 'Rafter has one log level; use --log-level'),
];

export const etcdFlagsByName: ReadonlyMap<string, EtcdFlag> = new Map(etcdFlags.map((flag) => [flag.name, flag]));

/** The groups in the order etcd's help prints them. */
export const etcdFlagGroups: readonly EtcdFlagGroup[] = [...new Set(etcdFlags.map((flag) => flag.group))];
