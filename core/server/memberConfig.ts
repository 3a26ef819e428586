// A member's configuration: what core/server needs to start one, whatever read it (core/cli's
// flags and config file, core/admin's local clusters, tests). Types only; parsing and defaults
// live in core/cli.
import type { TlsFlags } from '../tls/portTls.js';
import type { JwtOptions } from '../auth/jwtTokens.js';

export type ClusterState = 'new' | 'existing';
export type AutoCompactionMode = 'periodic' | 'revision';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
/** --auth-token: etcd's simple tokens, or JWTs signed with the given keys. */
export type AuthTokenConfig = { readonly kind: 'simple' } | { readonly kind: 'jwt'; readonly jwt: JwtOptions };

export interface MemberConfig {
  readonly name: string;
  readonly dataDir: string;
  readonly listenClientUrls: readonly URL[];
  readonly advertiseClientUrls: readonly URL[];
  readonly listenPeerUrls: readonly URL[];
  readonly initialAdvertisePeerUrls: readonly URL[];
  /** name → peer URLs of every member the cluster starts with. */
  readonly initialCluster: ReadonlyMap<string, readonly URL[]>;
  readonly initialClusterState: ClusterState;
  readonly initialClusterToken: string;
  /**
   * etcd's --strict-reconfig-check: refuse a membership change that would leave too few started
   * or active voters for a quorum (reconfigurationCheck.ts).
   */
  readonly strictReconfigCheck: boolean;
  /**
   * etcd's --force-new-cluster: start from the existing data as a one-member cluster, removing
   * every other member durably (forceNewCluster.ts).
   */
  readonly forceNewCluster: boolean;
  readonly snapshotCount: number;
  readonly heartbeatIntervalMs: number;
  readonly electionTimeoutMs: number;
  readonly quotaBackendBytes: number;
  readonly autoCompactionMode: AutoCompactionMode;
  /** For `periodic`: milliseconds of history kept (0 = off); for `revision`: revisions kept. */
  readonly autoCompactionRetention: number;
  readonly maxRequestBytes: number;
  readonly maxTxnOps: number;
  readonly logLevel: LogLevel;
  /** Log entries kept behind a snapshot so a follower a little behind catches up without one. */
  readonly snapshotCatchupEntries: number;
  /** The store's group commit (--backend-batch-interval, --backend-batch-limit). */
  readonly backendBatchIntervalMs: number;
  readonly backendBatchLimit: number;
  /** Enables the transport fault hooks on the client port (/rafter/v1/faults). Tests and local clusters only. */
  readonly unsafeFaultInjection: boolean;
  /** UNSAFE: no fsync of the WAL and snapshot files (etcd 3.5's --unsafe-no-fsync); fault tests only. */
  readonly unsafeNoFsync: boolean;
  /** WAL segment size; only tests set it (small segments, to damage one). */
  readonly walSegmentBytes: number;
  /** Plain-HTTP listeners serving only /metrics and /health (etcd's --listen-metrics-urls). */
  readonly listenMetricsUrls: readonly URL[];
  /** A dedicated WAL directory; '' for <data-dir>/member/wal. */
  readonly walDir: string;
  /** Snapshot files kept (0: all). */
  readonly maxSnapshots: number;
  /**
   * etcd's --max-wals: WAL segment files kept (0: all). Only files a snapshot covers are removed,
   * oldest first, so more remain while the snapshot has not caught up.
   */
  readonly maxWals: number;
  /** TLS on the client and peer ports (core/cli/tlsFlags.ts). */
  readonly tls: TlsFlags;
  /** --auth-token. */
  readonly authToken: AuthTokenConfig;
  /** --auth-token-ttl: seconds a simple token lives after its last use. */
  readonly authTokenTtlSeconds: number;
  /** --bcrypt-cost: the cost passwords are hashed at. */
  readonly bcryptCost: number;
}
