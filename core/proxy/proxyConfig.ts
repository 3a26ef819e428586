// `rafter grpc-proxy start` flags: etcd 3.4's `etcd grpc-proxy start` names and defaults, parsed
// as Go's pflag does (`--flag=value`, `--flag value`, bare booleans). Validation only; starting
// the proxy is grpcProxyCommand.ts's.

/** A flag problem the user can fix; printed as one line, exit code 2 (etcd prints usage too). */
export class FlagError extends Error {
  override readonly name = 'ProxyFlagError';
}

export interface ProxyConfig {
  readonly endpoints: readonly string[];
  readonly listenAddr: { readonly host: string; readonly port: number };
  readonly advertiseClientUrl: string;
  readonly resolverPrefix: string;
  readonly resolverTtlSeconds: number;
  readonly namespace: string;
  readonly metricsAddr: string;
  /** Towards the cluster. */
  readonly cert: string;
  readonly key: string;
  readonly cacert: string;
  readonly insecureSkipTlsVerify: boolean;
  /** Towards clients. */
  readonly certFile: string;
  readonly keyFile: string;
  readonly trustedCaFile: string;
  readonly maxRecvBytes: number;
  readonly maxSendBytes: number;
  readonly debug: boolean;
}

interface Spec {
  readonly kind: 'string' | 'integer' | 'boolean';
  readonly help: string;
  readonly fallback: string;
}

/** The flags, with etcd's defaults. Flags etcd has that Rafter's proxy does not are left out. */
export const proxyFlagSpecs: Readonly<Record<string, Spec>> = {
  endpoints: { kind: 'string', fallback: '127.0.0.1:2379', help: 'comma separated etcd cluster endpoints' },
  'listen-addr': { kind: 'string', fallback: '127.0.0.1:23790', help: 'listen address' },
  'advertise-client-url': { kind: 'string', fallback: '127.0.0.1:23790', help: 'advertise address to register (must be reachable by client)' },
  'resolver-prefix': { kind: 'string', fallback: '', help: 'prefix to use for registering proxy (must be shared with other grpc-proxy members)' },
  'resolver-ttl': { kind: 'integer', fallback: '0', help: 'specify TTL, in seconds, when registering proxy endpoints' },
  namespace: { kind: 'string', fallback: '', help: 'string to prefix to all keys for namespacing requests' },
  'metrics-addr': { kind: 'string', fallback: '', help: 'listen for endpoint /metrics requests on an additional interface' },
  cert: { kind: 'string', fallback: '', help: 'identify secure connections with etcd servers using this TLS certificate file' },
  key: { kind: 'string', fallback: '', help: 'identify secure connections with etcd servers using this TLS key file' },
  cacert: { kind: 'string', fallback: '', help: 'verify certificates of TLS-enabled secure etcd servers using this CA bundle' },
  'insecure-skip-tls-verify': { kind: 'boolean', fallback: 'false', help: 'skip authentication of etcd server TLS certificates (testing only)' },
  'cert-file': { kind: 'string', fallback: '', help: 'identify secure connections to the proxy using this TLS certificate file' },
  'key-file': { kind: 'string', fallback: '', help: 'identify secure connections to the proxy using this TLS key file' },
  'trusted-ca-file': { kind: 'string', fallback: '', help: 'verify certificates of TLS-enabled secure proxy using this CA bundle' },
  'max-recv-bytes': { kind: 'integer', fallback: '2147483647', help: 'message receive limits in bytes' },
  'max-send-bytes': { kind: 'integer', fallback: '1572864', help: 'message send limits in bytes' },
  'data-dir': { kind: 'string', fallback: 'default.proxy', help: 'Data directory for persistent data (unused)' },
  debug: { kind: 'boolean', fallback: 'false', help: 'Enable debug-level logging for grpc-proxy.' },
};

export function proxyHelpText(): string {
  const lines = ['start the grpc proxy', '', 'Usage:', '  rafter grpc-proxy start [flags]', '', 'Flags:'];
  for (const [name, spec] of Object.entries(proxyFlagSpecs)) {
    const kind = spec.kind === 'boolean' ? '' : ` ${spec.kind === 'integer' ? 'int' : 'string'}`;
    const fallback = spec.fallback !== '' && spec.fallback !== 'false' ? ` (default "${spec.fallback}")` : '';
    lines.push(`      --${`${name}${kind}`.padEnd(34)} ${spec.help}${fallback}`);
  }
  lines.push(`  -h, --help${' '.repeat(30)}help for start`);
  return lines.join('\n');
}

/** host:port (an http:// or https:// scheme is allowed and dropped, as etcd allows). */
export function parseHostPort(value: string, flag: string): { host: string; port: number } {
  const stripped = value.replace(/^https?:\/\//i, '').replace(/\/+$/, '');
  const match = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(stripped);
  const port = match ? Number(match[2]) : NaN;
  if (!match || !Number.isInteger(port) || port > 65_535) throw new FlagError(`invalid --${flag} ${JSON.stringify(value)}: want host:port`);
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}

function readValues(argv: readonly string[]): Map<string, string> {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new FlagError(`unknown command ${JSON.stringify(arg)} for "rafter grpc-proxy start"`);
    const equals = arg.indexOf('=');
    const name = arg.slice(2, equals < 0 ? undefined : equals);
    const spec = proxyFlagSpecs[name];
    if (!spec) throw new FlagError(`unknown flag: --${name}`);
    let value: string;
    if (equals >= 0) value = arg.slice(equals + 1);
    else if (spec.kind === 'boolean') value = 'true';
    else {
      const next = argv[i + 1];
      if (next === undefined) throw new FlagError(`flag needs an argument: --${name}`);
      value = next;
      i++;
    }
    values.set(name, value);
  }
  return values;
}

export function parseProxyConfig(argv: readonly string[]): ProxyConfig {
  const values = readValues(argv);
  const string = (name: string): string => values.get(name) ?? proxyFlagSpecs[name]!.fallback;
  const integer = (name: string): number => {
    const text = string(name);
    if (!/^-?\d+$/.test(text)) throw new FlagError(`invalid argument ${JSON.stringify(text)} for "--${name}" flag: not an integer`);
    return Number(text);
  };
  const boolean = (name: string): boolean => {
    const text = string(name);
    if (text !== 'true' && text !== 'false') throw new FlagError(`invalid argument ${JSON.stringify(text)} for "--${name}" flag: not a boolean`);
    return text === 'true';
  };
  const endpoints = string('endpoints').split(',').map((endpoint) => endpoint.trim()).filter((endpoint) => endpoint !== '');
  if (endpoints.length === 0) throw new FlagError('no endpoints given (--endpoints)');
  const resolverPrefix = string('resolver-prefix');
  const resolverTtlSeconds = integer('resolver-ttl');
  // etcd refuses a prefix without a usable TTL in the same words.
  if (resolverPrefix !== '' && resolverTtlSeconds < 1) throw new FlagError(`invalid --resolver-ttl ${resolverTtlSeconds}`);
  const certFile = string('cert-file');
  const keyFile = string('key-file');
  if ((certFile === '') !== (keyFile === '')) throw new FlagError('--cert-file and --key-file must be given together');
  const metricsAddr = string('metrics-addr');
  return {
    endpoints,
    listenAddr: parseHostPort(string('listen-addr'), 'listen-addr'),
    advertiseClientUrl: string('advertise-client-url'),
    resolverPrefix,
    resolverTtlSeconds,
    namespace: string('namespace'),
    metricsAddr,
    cert: string('cert'),
    key: string('key'),
    cacert: string('cacert'),
    insecureSkipTlsVerify: boolean('insecure-skip-tls-verify'),
    certFile,
    keyFile,
    trustedCaFile: string('trusted-ca-file'),
    maxRecvBytes: integer('max-recv-bytes'),
    maxSendBytes: integer('max-send-bytes'),
    debug: boolean('debug'),
  };
}
