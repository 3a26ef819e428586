// Parses a member's configuration from etcd's flag names and ETCD_* environment variables
// (flags win over the environment, as in etcd), or from etcd's YAML config file alone when
// --config-file is given (etcd then ignores other flags and the environment too). It owns
// validation and defaults only; etcd flags Rafter does not implement are described in
// etcdFlags.ts, and starting the member is left to core/cli/main.ts.
import type { AuthTokenConfig, AutoCompactionMode, MemberConfig } from '../server/memberConfig.js';
import { parseJwtOptions } from '../auth/jwtTokens.js';
import { ConfigFileError, readConfigFile } from './configFile.js';
import { etcdFlagGroups, etcdFlags, etcdFlagsByName } from './etcdFlags.js';
import { checkTlsListeners, parseTlsFlags, tlsFlagSpecs, TlsFlagError } from './tlsFlags.js';
import type { TlsFlags } from '../tls/portTls.js';
import { durationMs } from '../util/duration.js';

/** A configuration problem the user can fix; printed as one line, exit code 2. */
export class FlagError extends Error {
  override readonly name = 'FlagError';
}

interface FlagSpec {
  readonly kind: 'string' | 'integer' | 'boolean';
  readonly help: string;
  /** The default as `--help` shows it, when there is one worth showing. */
  readonly defaultText?: string;
}

/** Every flag `rafter` accepts, by etcd's name. */
export const flagSpecs: Readonly<Record<string, FlagSpec>> = {
  name: { kind: 'string', help: 'Human-readable name for this member.', defaultText: 'default' },
  'data-dir': { kind: 'string', help: 'Path to the data directory.', defaultText: '${name}.rafter' },
  'listen-client-urls': { kind: 'string', help: 'URLs to listen on for client traffic (gRPC and HTTP).', defaultText: 'http://localhost:2379' },
  'advertise-client-urls': { kind: 'string', help: 'Client URLs advertised to the rest of the cluster.', defaultText: 'http://localhost:2379' },
  'listen-peer-urls': { kind: 'string', help: 'URLs to listen on for peer traffic.', defaultText: 'http://localhost:2380' },
  'initial-advertise-peer-urls': { kind: 'string', help: 'Peer URLs advertised to the rest of the cluster.', defaultText: 'http://localhost:2380' },
  'initial-cluster': { kind: 'string', help: 'Initial cluster configuration: name=peerURL,...', defaultText: 'default=http://localhost:2380' },
  'initial-cluster-state': { kind: 'string', help: "'new' for a new cluster, 'existing' to join one.", defaultText: 'new' },
  'initial-cluster-token': { kind: 'string', help: 'Initial cluster token; distinguishes clusters.', defaultText: 'rafter-cluster' },
  'strict-reconfig-check': { kind: 'boolean', help: 'Reject reconfiguration requests that would cause quorum loss.', defaultText: 'true' },
  'force-new-cluster': { kind: 'boolean', help: 'Force to create a new one member cluster from the existing data (the other members are removed for good).', defaultText: 'false' },
  'snapshot-count': { kind: 'integer', help: 'Applied entries between snapshots.', defaultText: '10000' },
  'heartbeat-interval': { kind: 'integer', help: 'Heartbeat interval in milliseconds.', defaultText: '50' },
  'election-timeout': { kind: 'integer', help: 'Election timeout in milliseconds (randomized up to twice this).', defaultText: '150' },
  'quota-backend-bytes': { kind: 'integer', help: 'Backend size at which the NOSPACE alarm is raised.', defaultText: '2147483648' },
  'auto-compaction-mode': { kind: 'string', help: "'periodic' or 'revision'.", defaultText: 'periodic' },
  'auto-compaction-retention': { kind: 'string', help: "History to keep: a duration ('1h', '30m', or hours) or a revision count; 0 disables.", defaultText: '0' },
  'max-request-bytes': { kind: 'integer', help: 'Largest client request accepted, in bytes.', defaultText: '1572864' },
  'backend-batch-interval': { kind: 'string', help: "Longest time the store's open write transaction waits for its commit (a duration; empty or 0 means 100ms).", defaultText: '' },
  'backend-batch-limit': { kind: 'integer', help: "Store writes (applied batches, compaction steps) after which the open write transaction commits; 0 means 10000.", defaultText: '0' },
  'max-txn-ops': { kind: 'integer', help: 'Most operations in one transaction.', defaultText: '128' },
  'log-level': { kind: 'string', help: "'debug', 'info', 'warn' or 'error' (etcd's 'panic' and 'fatal' mean 'error').", defaultText: 'info' },
  'experimental-snapshot-catchup-entries': { kind: 'integer', help: 'Log entries kept after a snapshot for slow followers (etcd 3.5 name).', defaultText: '5000' },
  'unsafe-fault-injection': { kind: 'boolean', help: 'Serve /rafter/v1/faults to drop or delay peer messages (local test clusters only).' },
  'unsafe-no-fsync': { kind: 'boolean', help: 'Disables fsync, unsafe, will cause data loss (tests only).', defaultText: 'false' },
  'unsafe-wal-segment-bytes': { kind: 'integer', help: 'WAL segment size in bytes (default 64 MiB; tests only).' },
  ...tlsFlagSpecs,
  'auth-token': { kind: 'string', help: "Token provider: 'simple', or 'jwt,pub-key=FILE,priv-key=FILE,sign-method=ES256|RS256|PS256|…,ttl=5m'.", defaultText: 'simple' },
  'auth-token-ttl': { kind: 'integer', help: 'Seconds a simple token lives after its last use.', defaultText: '300' },
  'bcrypt-cost': { kind: 'integer', help: 'bcrypt cost of password hashes, 4 to 31.', defaultText: '10' },
  help: { kind: 'boolean', help: 'Print this help.' },
  // Command, files and retention.
  version: { kind: 'boolean', help: 'Print the version and exit.' },
  'config-file': { kind: 'string', help: "Path to etcd's YAML configuration file; other flags and ETCD_* variables are then ignored." },
  'wal-dir': { kind: 'string', help: 'Path to a dedicated WAL directory (default ${data-dir}/member/wal).' },
  'max-snapshots': { kind: 'integer', help: 'Maximum number of snapshot files to retain (0 is unlimited).', defaultText: '5' },
  'max-wals': { kind: 'integer', help: 'Maximum number of WAL files to retain (0 is unlimited); a file still needed after the last snapshot is never removed.', defaultText: '5' },
  // Monitoring and logging.
  'listen-metrics-urls': { kind: 'string', help: 'URLs to also serve /metrics and /health on (http only).' },
  'enable-pprof': { kind: 'boolean', help: "Open Node's inspector on 127.0.0.1 (CPU and heap profiles with Chrome DevTools); its URL is logged.", defaultText: 'false' },
  logger: { kind: 'string', help: "'zap' for JSON lines with etcd's fields (level, ts, caller, msg), or 'capnslog' for text lines.", defaultText: 'capnslog' },
  'log-outputs': { kind: 'string', help: "Where logs go: 'default' (stderr), 'stderr', 'stdout', 'systemd/journal' (stderr) or file paths, comma-separated.", defaultText: 'default' },
  debug: { kind: 'boolean', help: "Enable debug-level logging (etcd 3.4's; same as --log-level=debug).", defaultText: 'false' },
};

export const defaultClientUrl = 'http://localhost:2379';
export const defaultPeerUrl = 'http://localhost:2380';
const requestBytesCeiling = 64 * 1024 * 1024;
const walSegmentBytesDefault = 64 * 1024 * 1024;
/** Small enough for a test to fill several segments, large enough for any single record batch header. */
const walSegmentBytesMin = 4096;

/** Whether `name` is a flag `rafter` accepts: one it implements, or one of etcd's it describes. */
export function isKnownFlag(name: string): boolean {
  return Object.hasOwn(flagSpecs, name) || etcdFlagsByName.has(name);
}

/** Whether a flag may be given without a value. */
function isBooleanFlag(name: string): boolean {
  const spec = flagSpecs[name];
  if (spec) return spec.kind === 'boolean';
  return etcdFlagsByName.get(name)?.unimplemented?.boolean ?? false;
}

/** The environment variable etcd reads a flag from: ETCD_ and the name in capitals, `-` as `_`. */
export function environmentName(flag: string): string {
  return `ETCD_${flag.toUpperCase().replaceAll('-', '_')}`;
}

function flagsFromArgv(argv: readonly string[], values: Map<string, string>): void {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const match = /^--?([a-z0-9-]+)(?:=(.*))?$/s.exec(arg);
    if (!match) throw new FlagError(`unexpected argument "${arg}"`);
    const name = match[1]!;
    if (!isKnownFlag(name)) throw new FlagError(`unknown flag --${name} (see --help)`);
    let value = match[2];
    if (value === undefined) {
      if (isBooleanFlag(name)) value = 'true';
      else {
        const next = argv[i + 1];
        if (next === undefined) throw new FlagError(`flag --${name} needs a value`);
        value = next;
        i++;
      }
    }
    values.set(name, value);
  }
}

/**
 * The raw values given: flags over the environment, or, when --config-file (or ETCD_CONFIG_FILE)
 * names a file, that file's values alone, as etcd does. Keys of the file that are no flag are
 * listed in `ignoredConfigKeys`.
 */
export function collectFlagValues(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): { values: Map<string, string>; ignoredConfigKeys: string[] } {
  const values = new Map<string, string>();
  for (const name of [...Object.keys(flagSpecs), ...etcdFlagsByName.keys()]) {
    const value = env[environmentName(name)];
    if (value !== undefined && value !== '') values.set(name, value);
  }
  flagsFromArgv(argv, values);
  const configFile = values.get('config-file');
  if (configFile === undefined || configFile === '') return { values, ignoredConfigKeys: [] };
  try {
    const loaded = readConfigFile(configFile, isKnownFlag);
    loaded.values.set('config-file', configFile);
    for (const name of ['help', 'version']) if (values.has(name)) loaded.values.set(name, values.get(name)!);
    return { values: loaded.values, ignoredConfigKeys: loaded.unknownKeys };
  } catch (error) {
    if (error instanceof ConfigFileError) throw new FlagError(error.message);
    throw error;
  }
}

/** ETCD_* variables that name no flag (etcd warns about them too; a typo would otherwise go unseen). */
export function unknownEnvironmentVariables(env: Readonly<Record<string, string | undefined>>): string[] {
  const known = new Set([...Object.keys(flagSpecs), ...etcdFlagsByName.keys()].map(environmentName));
  return Object.keys(env).filter((name) => name.startsWith('ETCD_') && !known.has(name)).sort();
}

/** The raw values given (see collectFlagValues). */
export function collectFlags(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): Map<string, string> {
  return collectFlagValues(argv, env).values;
}

/**
 * Checks the etcd flags Rafter does not implement: returns a one-line warning for each given a
 * value that Rafter ignores, and throws FlagError for one it refuses (see etcdFlags.ts).
 */
export function unimplementedFlagWarnings(values: ReadonlyMap<string, string>): string[] {
  const warnings: string[] = [];
  for (const [name, value] of values) {
    if (Object.hasOwn(flagSpecs, name)) continue;
    const unimplemented = etcdFlagsByName.get(name)?.unimplemented;
    if (!unimplemented || value === '' || unimplemented.harmless.includes(value)) continue;
    if (unimplemented.effect === 'refuse') throw new FlagError(`--${name}=${value} is not supported: ${unimplemented.reason}`);
    warnings.push(`--${name}=${value} is ignored: ${unimplemented.reason}`);
  }
  return warnings;
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
  const total = durationMs(text);
  if (total === null) throw new FlagError(`invalid --auto-compaction-retention "${raw}": want a duration such as 1h or 30m`);
  return Math.round(total);
}

/** etcd's default --backend-batch-interval and --backend-batch-limit. */
export const backendBatchIntervalMsDefault = 100;
export const backendBatchLimitDefault = 10_000;

/** --backend-batch-interval: a Go duration; empty or 0 means etcd's default, 100ms. */
export function parseBatchInterval(raw: string): number {
  const text = raw.trim();
  if (text === '' || text === '0') return backendBatchIntervalMsDefault;
  const ms = durationMs(text);
  if (ms === null) throw new FlagError(`invalid --backend-batch-interval "${raw}": want a duration such as 100ms or 1s`);
  return ms === 0 ? backendBatchIntervalMsDefault : Math.max(1, Math.round(ms));
}

function oneOf<T extends string>(name: string, raw: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw new FlagError(`invalid value "${raw}" for --${name}: want ${allowed.join(' or ')}`);
}

function parseMetricsUrls(raw: string): URL[] {
  if (raw.trim() === '') return [];
  const urls = parseUrls('listen-metrics-urls', raw);
  const secure = urls.find((url) => url.protocol !== 'http:');
  if (secure) throw new FlagError(`URL "${secure.origin}" in --listen-metrics-urls: only http:// is supported`);
  return urls;
}

/** etcd's levels; panic and fatal (which etcd also accepts) log as error. --debug means debug. */
function parseLogLevel(values: ReadonlyMap<string, string>): MemberConfig['logLevel'] {
  if (parseBoolean('debug', values.get('debug') ?? 'false')) return 'debug';
  const level = oneOf('log-level', values.get('log-level') ?? 'info', ['debug', 'info', 'warn', 'error', 'dpanic', 'panic', 'fatal'] as const);
  return level === 'dpanic' || level === 'panic' || level === 'fatal' ? 'error' : level;
}

/** A boolean flag's value: etcd (Go's strconv.ParseBool) takes true/false, 1/0, t/f in any case. */
export function parseBoolean(name: string, raw: string): boolean {
  const text = raw.trim().toLowerCase();
  if (['true', '1', 't'].includes(text)) return true;
  if (['false', '0', 'f'].includes(text)) return false;
  throw new FlagError(`invalid value "${raw}" for --${name}: want true or false`);
}

/** Builds a validated configuration. Throws FlagError with a one-line message on any problem. */
export function parseMemberConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): MemberConfig {
  const values = collectFlags(argv, env);
  unimplementedFlagWarnings(values);
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
  const tls = parseTls(values, listenClientUrls, listenPeerUrls);
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
    strictReconfigCheck: parseBoolean('strict-reconfig-check', get('strict-reconfig-check', 'true')),
    forceNewCluster: parseBoolean('force-new-cluster', get('force-new-cluster', 'false')),
    snapshotCount: parseInteger('snapshot-count', get('snapshot-count', '10000'), 1, 1e9),
    heartbeatIntervalMs,
    electionTimeoutMs,
    quotaBackendBytes: parseInteger('quota-backend-bytes', get('quota-backend-bytes', String(2 * 1024 ** 3)), 0, 8 * 1024 ** 4),
    autoCompactionMode,
    autoCompactionRetention: parseRetention(autoCompactionMode, get('auto-compaction-retention', '0')),
    maxRequestBytes,
    maxTxnOps: parseInteger('max-txn-ops', get('max-txn-ops', '128'), 1, 100_000),
    backendBatchIntervalMs: parseBatchInterval(get('backend-batch-interval', '')),
    backendBatchLimit: parseInteger('backend-batch-limit', get('backend-batch-limit', '0'), 0, 1e9) || backendBatchLimitDefault,
    logLevel: parseLogLevel(values),
    snapshotCatchupEntries: parseInteger('experimental-snapshot-catchup-entries', get('experimental-snapshot-catchup-entries', '5000'), 1, 1e9),
    unsafeFaultInjection: parseBoolean('unsafe-fault-injection', get('unsafe-fault-injection', 'false')),
    unsafeNoFsync: parseBoolean('unsafe-no-fsync', get('unsafe-no-fsync', 'false')),
    walSegmentBytes: parseInteger('unsafe-wal-segment-bytes', get('unsafe-wal-segment-bytes', String(walSegmentBytesDefault)), walSegmentBytesMin, 1024 ** 3),
    walDir: get('wal-dir', ''),
    listenMetricsUrls: parseMetricsUrls(get('listen-metrics-urls', '')),
    maxSnapshots: parseInteger('max-snapshots', get('max-snapshots', '5'), 0, 1e6),
    maxWals: parseInteger('max-wals', get('max-wals', '5'), 0, 1e6),
    tls,
    authToken: parseAuthToken(get('auth-token', 'simple')),
    authTokenTtlSeconds: parseInteger('auth-token-ttl', get('auth-token-ttl', '300'), 1, 1e9),
    bcryptCost: parseInteger('bcrypt-cost', get('bcrypt-cost', '10'), 4, 31),
  };
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

function parseTls(values: ReadonlyMap<string, string>, listenClientUrls: readonly URL[], listenPeerUrls: readonly URL[]): TlsFlags {
  try {
    const tls = parseTlsFlags((name) => values.get(name));
    checkTlsListeners(tls, listenClientUrls, listenPeerUrls);
    return tls;
  } catch (error) {
    if (error instanceof TlsFlagError) throw new FlagError(error.message);
    throw error;
  }
}

/** The text of `rafter --help`: etcd's layout and groups, then the flags only Rafter has. */
export function helpText(): string {
  const lines = [
    'Usage:',
    '',
    '  rafter [flags]',
    '    Start a Rafter member (an etcd v3 API server).',
    '',
    '  rafter --version',
    '    Show the version of Rafter.',
    '',
    '  rafter -h | --help',
    '    Show the help information about Rafter.',
    '',
    '  rafter --config-file',
    "    Path to etcd's YAML configuration file. Note that if a configuration file is provided, other command line flags and environment variables will be ignored.",
    '',
    '  rafter snapshot restore FILE --data-dir DIR --name NAME --initial-cluster ...',
    '    Restore a snapshot saved with `etcdctl snapshot save` into a new data directory.',
    '',
    '  rafter snapshot status FILE',
    "    Show a snapshot file's hash, revision, key count and size.",
    '',
    'Every flag can also be given as an environment variable: ETCD_ and the flag name in capitals, with _ for -',
    '(--initial-cluster-state is ETCD_INITIAL_CLUSTER_STATE). Flags win over the environment.',
  ];
  const shown = new Set<string>();
  const describe = (name: string, defaultText: string | undefined, help: string): void => {
    lines.push(`  --${name} '${defaultText ?? ''}'`, `    ${help}`);
    shown.add(name);
  };
  for (const group of etcdFlagGroups) {
    lines.push('', `${group}:`);
    for (const flag of etcdFlags.filter((f) => f.group === group)) {
      const spec = flagSpecs[flag.name];
      if (spec) describe(flag.name, spec.defaultText, spec.help);
      else if (flag.unimplemented) {
        const { effect, harmless, reason } = flag.unimplemented;
        const accepted = harmless.filter((value) => value !== '').map((value) => `'${value}'`);
        const when = accepted.length === 0 ? 'if set' : `unless ${accepted.join(' or ')}`;
        describe(flag.name, flag.etcdDefault, effect === 'warn' ? `Ignored (warns ${when}): ${reason}.` : `Refused ${when}: ${reason}.`);
      }
    }
  }
  lines.push('', 'Rafter:');
  for (const [name, spec] of Object.entries(flagSpecs)) {
    if (!shown.has(name) && name !== 'help' && name !== 'version' && name !== 'config-file') describe(name, spec.defaultText, spec.help);
  }
  return lines.join('\n');
}
