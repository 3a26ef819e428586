// Parses a member's configuration from etcd's flag names and ETCD_* environment variables
// (flags win over the environment, as in etcd). It owns validation and defaults only; starting
// the member is left to core/cli/main.ts.
import { parseJwtOptions, type JwtOptions } from '../auth/jwtTokens.js';

/** A configuration problem the user can fix; printed as one line, exit code 2. */
export class FlagError extends Error {
  override readonly name = 'FlagError';
}

export type ClusterState = 'new' | 'existing';
export type AuthTokenConfig = { readonly kind: 'simple' } | { readonly kind: 'jwt'; readonly jwt: JwtOptions };
export type AutoCompactionMode = 'periodic' | 'revision';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

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
  /** Enables the transport fault hooks on the client port (/rafter/v1/faults). Tests and local clusters only. */
  readonly unsafeFaultInjection: boolean;
  /** UNSAFE: no fsync of the WAL and snapshot files (etcd 3.5's --unsafe-no-fsync); fault tests only. */
  readonly unsafeNoFsync: boolean;
  /** WAL segment size; only tests set it (small segments, to damage one). */
  readonly walSegmentBytes: number;
  /** --auth-token: etcd's simple tokens, or JWTs signed with the given keys. */
  readonly authToken: AuthTokenConfig;
  /** --auth-token-ttl: seconds a simple token lives after its last use. */
  readonly authTokenTtlSeconds: number;
  /** --bcrypt-cost: the cost passwords are hashed at. */
  readonly bcryptCost: number;
}

interface FlagSpec {
  readonly kind: 'string' | 'integer' | 'boolean';
  readonly help: string;
}

/** Every flag `rafter` accepts, by etcd's name. */
export const flagSpecs: Readonly<Record<string, FlagSpec>> = {
  name: { kind: 'string', help: 'Human-readable name for this member.' },
  'data-dir': { kind: 'string', help: 'Path to the data directory (default ${name}.rafter).' },
  'listen-client-urls': { kind: 'string', help: 'URLs to listen on for client traffic.' },
  'advertise-client-urls': { kind: 'string', help: 'Client URLs advertised to the rest of the cluster.' },
  'listen-peer-urls': { kind: 'string', help: 'URLs to listen on for peer traffic.' },
  'initial-advertise-peer-urls': { kind: 'string', help: 'Peer URLs advertised to the rest of the cluster.' },
  'initial-cluster': { kind: 'string', help: 'Initial cluster configuration: name=peerURL,...' },
  'initial-cluster-state': { kind: 'string', help: "'new' for a new cluster, 'existing' to join one." },
  'initial-cluster-token': { kind: 'string', help: 'Initial cluster token; distinguishes clusters.' },
  'snapshot-count': { kind: 'integer', help: 'Applied entries between snapshots.' },
  'heartbeat-interval': { kind: 'integer', help: 'Heartbeat interval in milliseconds.' },
  'election-timeout': { kind: 'integer', help: 'Election timeout in milliseconds (randomized up to twice this).' },
  'quota-backend-bytes': { kind: 'integer', help: 'Backend size at which the NOSPACE alarm is raised.' },
  'auto-compaction-mode': { kind: 'string', help: "'periodic' or 'revision'." },
  'auto-compaction-retention': { kind: 'string', help: "History to keep: a duration ('1h', '30m', or hours) or a revision count." },
  'max-request-bytes': { kind: 'integer', help: 'Largest client request accepted, in bytes.' },
  'max-txn-ops': { kind: 'integer', help: 'Most operations in one transaction.' },
  'log-level': { kind: 'string', help: "'debug', 'info', 'warn' or 'error'." },
  'experimental-snapshot-catchup-entries': { kind: 'integer', help: 'Log entries kept after a snapshot for slow followers (etcd 3.5 name).' },
  'unsafe-fault-injection': { kind: 'boolean', help: 'Serve /rafter/v1/faults to drop or delay peer messages (local test clusters only).' },
  'unsafe-no-fsync': { kind: 'boolean', help: 'Disables fsync, unsafe, will cause data loss (tests only).' },
  'unsafe-wal-segment-bytes': { kind: 'integer', help: 'WAL segment size in bytes (default 64 MiB; tests only).' },
  'auth-token': { kind: 'string', help: "Token provider: 'simple' (default) or 'jwt,pub-key=FILE,priv-key=FILE,sign-method=ES256|RS256|PS256|…,ttl=5m'." },
  'auth-token-ttl': { kind: 'integer', help: 'Seconds a simple token lives after its last use (default 300).' },
  'bcrypt-cost': { kind: 'integer', help: 'bcrypt cost of password hashes, 4 to 31 (default 10).' },
  help: { kind: 'boolean', help: 'Print this help.' },
};

export const defaultClientUrl = 'http://localhost:2379';
export const defaultPeerUrl = 'http://localhost:2380';
const requestBytesCeiling = 64 * 1024 * 1024;
const walSegmentBytesDefault = 64 * 1024 * 1024;
/** Small enough for a test to fill several segments, large enough for any single record batch header. */
const walSegmentBytesMin = 4096;

/** The raw values given, flags over environment; `help` requested separately. */
export function collectFlags(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): Map<string, string> {
  const values = new Map<string, string>();
  for (const name of Object.keys(flagSpecs)) {
    const value = env[`ETCD_${name.toUpperCase().replaceAll('-', '_')}`];
    if (value !== undefined && value !== '') values.set(name, value);
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const match = /^--?([a-z0-9-]+)(?:=(.*))?$/s.exec(arg);
    if (!match) throw new FlagError(`unexpected argument "${arg}"`);
    const name = match[1]!;
    const spec = flagSpecs[name];
    if (!spec) throw new FlagError(`unknown flag --${name} (see --help)`);
    let value = match[2];
    if (value === undefined) {
      if (spec.kind === 'boolean') value = 'true';
      else {
        const next = argv[i + 1];
        if (next === undefined) throw new FlagError(`flag --${name} needs a value`);
        value = next;
        i++;
      }
    }
    values.set(name, value);
  }
  return values;
}

function parseInteger(name: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw.trim())) throw new FlagError(`invalid value "${raw}" for --${name}: want a whole number`);
  const value = Number(raw.trim());
  if (value < min || value > max) throw new FlagError(`invalid value ${value} for --${name}: want ${min} to ${max}`);
  return value;
}

function parseUrls(name: string, raw: string): URL[] {
  const urls = raw.split(',').map((part) => part.trim()).filter((part) => part !== '');
  if (urls.length === 0) throw new FlagError(`--${name} needs at least one URL`);
  return urls.map((text) => {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new FlagError(`invalid URL "${text}" in --${name}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new FlagError(`URL "${text}" in --${name} must start with http:// or https://`);
    }
    if (url.port === '') throw new FlagError(`URL "${text}" in --${name} must name a port`);
    if (url.pathname !== '/' && url.pathname !== '') throw new FlagError(`URL "${text}" in --${name} must not have a path`);
    return url;
  });
}

function parseInitialCluster(raw: string): Map<string, URL[]> {
  const cluster = new Map<string, URL[]>();
  for (const part of raw.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new FlagError(`invalid --initial-cluster entry "${part}": want name=URL`);
    const name = part.slice(0, eq);
    const urls = parseUrls('initial-cluster', part.slice(eq + 1));
    cluster.set(name, [...(cluster.get(name) ?? []), ...urls]);
  }
  if (cluster.size === 0) throw new FlagError('--initial-cluster is empty');
  return cluster;
}

/** Parses a retention: a Go-style duration (`1h30m`, `45s`) or, in periodic mode, a bare number of hours. */
export function parseRetention(mode: AutoCompactionMode, raw: string): number {
  const text = raw.trim();
  if (text === '' || text === '0') return 0;
  if (/^\d+$/.test(text)) return mode === 'revision' ? Number(text) : Number(text) * 3_600_000;
  if (mode === 'revision') throw new FlagError(`invalid --auto-compaction-retention "${raw}": revision mode wants a whole number`);
  const units: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let rest = text;
  while (rest !== '') {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)/.exec(rest);
    if (!m) throw new FlagError(`invalid --auto-compaction-retention "${raw}": want a duration such as 1h or 30m`);
    total += Number(m[1]) * units[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return Math.round(total);
}

function oneOf<T extends string>(name: string, raw: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw new FlagError(`invalid value "${raw}" for --${name}: want ${allowed.join(' or ')}`);
}

/** etcd's --auth-token: a provider name, then provider options after commas. */
function parseAuthToken(raw: string): AuthTokenConfig {
  const comma = raw.indexOf(',');
  const provider = (comma === -1 ? raw : raw.slice(0, comma)).trim();
  if (provider === 'simple') return { kind: 'simple' };
  if (provider !== 'jwt') throw new FlagError(`invalid value "${raw}" for --auth-token: want simple or jwt,…`);
  try {
    return { kind: 'jwt', jwt: parseJwtOptions(comma === -1 ? '' : raw.slice(comma + 1)) };
  } catch (error) {
    throw new FlagError(error instanceof Error ? error.message : String(error));
  }
}

/** Builds a validated configuration. Throws FlagError with a one-line message on any problem. */
export function parseMemberConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): MemberConfig {
  const values = collectFlags(argv, env);
  const get = (name: string, fallback: string): string => values.get(name) ?? fallback;
  const name = get('name', 'default');
  if (name === '') throw new FlagError('--name must not be empty');
  const listenPeerUrls = parseUrls('listen-peer-urls', get('listen-peer-urls', defaultPeerUrl));
  const initialAdvertisePeerUrls = parseUrls('initial-advertise-peer-urls', get('initial-advertise-peer-urls', listenPeerUrls.map(String).join(',')));
  const listenClientUrls = parseUrls('listen-client-urls', get('listen-client-urls', defaultClientUrl));
  const advertiseClientUrls = parseUrls('advertise-client-urls', get('advertise-client-urls', listenClientUrls.map(String).join(',')));
  const initialCluster = parseInitialCluster(get('initial-cluster', `${name}=${initialAdvertisePeerUrls.map((u) => u.origin).join(`,${name}=`)}`));
  if (!initialCluster.has(name)) {
    throw new FlagError(`--initial-cluster has no entry for this member's --name "${name}"`);
  }
  const heartbeatIntervalMs = parseInteger('heartbeat-interval', get('heartbeat-interval', '50'), 1, 10_000);
  const electionTimeoutMs = parseInteger('election-timeout', get('election-timeout', '150'), 1, 50_000);
  if (electionTimeoutMs < 3 * heartbeatIntervalMs) {
    throw new FlagError(`--election-timeout (${electionTimeoutMs} ms) must be at least 3 times --heartbeat-interval (${heartbeatIntervalMs} ms)`);
  }
  const autoCompactionMode = oneOf('auto-compaction-mode', get('auto-compaction-mode', 'periodic'), ['periodic', 'revision'] as const);
  const maxRequestBytes = parseInteger('max-request-bytes', get('max-request-bytes', String(1.5 * 1024 * 1024)), 1, requestBytesCeiling);
  return {
    name,
    dataDir: get('data-dir', `${name}.rafter`),
    listenClientUrls,
    advertiseClientUrls,
    listenPeerUrls,
    initialAdvertisePeerUrls,
    initialCluster,
    initialClusterState: oneOf('initial-cluster-state', get('initial-cluster-state', 'new'), ['new', 'existing'] as const),
    initialClusterToken: get('initial-cluster-token', 'rafter-cluster'),
    snapshotCount: parseInteger('snapshot-count', get('snapshot-count', '10000'), 1, 1e9),
    heartbeatIntervalMs,
    electionTimeoutMs,
    quotaBackendBytes: parseInteger('quota-backend-bytes', get('quota-backend-bytes', String(2 * 1024 ** 3)), 0, 8 * 1024 ** 4),
    autoCompactionMode,
    autoCompactionRetention: parseRetention(autoCompactionMode, get('auto-compaction-retention', '0')),
    maxRequestBytes,
    maxTxnOps: parseInteger('max-txn-ops', get('max-txn-ops', '128'), 1, 100_000),
    logLevel: oneOf('log-level', get('log-level', 'info'), ['debug', 'info', 'warn', 'error'] as const),
    snapshotCatchupEntries: parseInteger('experimental-snapshot-catchup-entries', get('experimental-snapshot-catchup-entries', '5000'), 1, 1e9),
    unsafeFaultInjection: oneOf('unsafe-fault-injection', get('unsafe-fault-injection', 'false'), ['true', 'false'] as const) === 'true',
    unsafeNoFsync: oneOf('unsafe-no-fsync', get('unsafe-no-fsync', 'false'), ['true', 'false'] as const) === 'true',
    walSegmentBytes: parseInteger('unsafe-wal-segment-bytes', get('unsafe-wal-segment-bytes', String(walSegmentBytesDefault)), walSegmentBytesMin, 1024 ** 3),
    authToken: parseAuthToken(get('auth-token', 'simple')),
    authTokenTtlSeconds: parseInteger('auth-token-ttl', get('auth-token-ttl', '300'), 1, 1e9),
    bcryptCost: parseInteger('bcrypt-cost', get('bcrypt-cost', '10'), 4, 31),
  };
}

/** The text of `rafter --help`. */
export function helpText(): string {
  const lines = ['Usage: rafter [flags]', '       rafter snapshot restore FILE --data-dir DIR --name NAME --initial-cluster ...', '       rafter snapshot status FILE', '', 'Flags (each also read from ETCD_<FLAG_NAME>):'];
  for (const [name, spec] of Object.entries(flagSpecs)) lines.push(`  --${name.padEnd(30)} ${spec.help}`);
  return lines.join('\n');
}
