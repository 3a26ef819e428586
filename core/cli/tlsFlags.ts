// etcd's TLS flags for both ports (--cert-file ... --peer-auto-tls, --cipher-suites,
// --tls-min-version, --tls-max-version): their specs for `rafter --help` and their parsing into
// TlsFlags. Kept apart from flags.ts so the security flags live in one place; reading the files
// they name is core/tls's business, at member start.
import type { PortTlsFlags, TlsFlags, TlsVersion } from '../tls/portTls.js';

/** A TLS flag value an operator can fix (thrown as flags.ts's FlagError by the caller). */
export class TlsFlagError extends Error {
  override readonly name = 'TlsFlagError';
}

interface Spec {
  readonly kind: 'string' | 'boolean';
  readonly help: string;
}

/** The TLS flags, by etcd's names and with etcd's help text. */
export const tlsFlagSpecs: Readonly<Record<string, Spec>> = {
  'cert-file': { kind: 'string', help: 'Path to the client server TLS cert file.' },
  'key-file': { kind: 'string', help: 'Path to the client server TLS key file.' },
  'client-cert-auth': { kind: 'boolean', help: 'Enable client cert authentication.' },
  'trusted-ca-file': { kind: 'string', help: 'Path to the client server TLS trusted CA cert file (clients must then present a certificate it signed).' },
  'auto-tls': { kind: 'boolean', help: 'Client TLS using generated certificates (kept in <data-dir>/fixtures/client).' },
  'peer-cert-file': { kind: 'string', help: 'Path to the peer server TLS cert file.' },
  'peer-key-file': { kind: 'string', help: 'Path to the peer server TLS key file.' },
  'peer-client-cert-auth': { kind: 'boolean', help: 'Enable peer client cert authentication.' },
  'peer-trusted-ca-file': { kind: 'string', help: 'Path to the peer server TLS trusted CA file.' },
  'peer-auto-tls': { kind: 'boolean', help: 'Peer TLS using self-generated certificates if --peer-key-file and --peer-cert-file are not provided.' },
  'client-crl-file': { kind: 'string', help: 'Path to the client certificate revocation list file.' },
  'client-cert-allowed-hostname': { kind: 'string', help: 'Allowed TLS hostname for client cert authentication.' },
  'peer-crl-file': { kind: 'string', help: 'Path to the peer certificate revocation list file.' },
  'peer-cert-allowed-cn': { kind: 'string', help: 'Required CN for client certs connecting to the peer endpoint.' },
  'peer-cert-allowed-hostname': { kind: 'string', help: 'Allowed TLS hostname for inter peer authentication.' },
  'peer-client-cert-file': { kind: 'string', help: 'Path to an explicit peer client TLS cert file, presented when dialling peers (otherwise the peer cert file).' },
  'peer-client-key-file': { kind: 'string', help: 'Path to an explicit peer client TLS key file, used when dialling peers (otherwise the peer key file).' },
  'cipher-suites': { kind: 'string', help: 'Comma-separated list of supported TLS 1.2 cipher suites between client/server and peers, by Go name (empty: Node decides).' },
  'tls-min-version': { kind: 'string', help: 'Minimum TLS version supported. Possible values: TLS1.2, TLS1.3.' },
  'tls-max-version': { kind: 'string', help: 'Maximum TLS version supported. Possible values: TLS1.2, TLS1.3 (empty: the highest Node supports).' },
};

const versionRank: Record<TlsVersion, number> = { 'TLS1.2': 2, 'TLS1.3': 3 };

function version(raw: string): TlsVersion | '' {
  if (raw === '' || raw === 'TLS1.2' || raw === 'TLS1.3') return raw;
  throw new TlsFlagError(`unexpected TLS version "${raw}" (must be one of: TLS1.2, TLS1.3)`);
}

function flag(get: (name: string) => string | undefined, name: string): boolean {
  const raw = get(name) ?? 'false';
  if (raw === 'true' || raw === 'false') return raw === 'true';
  throw new TlsFlagError(`invalid value "${raw}" for --${name}: want true or false`);
}

/** Parses the TLS flags from the raw values (see flags.ts collectFlags); checks only the values. */
export function parseTlsFlags(get: (name: string) => string | undefined): TlsFlags {
  const port = (prefix: '' | 'peer-'): PortTlsFlags => ({
    certFile: get(`${prefix}cert-file`) ?? '',
    keyFile: get(`${prefix}key-file`) ?? '',
    trustedCaFile: get(`${prefix}trusted-ca-file`) ?? '',
    clientCertAuth: flag(get, `${prefix}client-cert-auth`),
    autoTls: flag(get, `${prefix}auto-tls`),
    crlFile: get(prefix === 'peer-' ? 'peer-crl-file' : 'client-crl-file') ?? '',
    // etcd has --peer-cert-allowed-cn only; the client port's allowed host name is --client-cert-allowed-hostname.
    allowedCn: prefix === 'peer-' ? get('peer-cert-allowed-cn') ?? '' : '',
    allowedHostname: get(prefix === 'peer-' ? 'peer-cert-allowed-hostname' : 'client-cert-allowed-hostname') ?? '',
    dialCertFile: prefix === 'peer-' ? get('peer-client-cert-file') ?? '' : '',
    dialKeyFile: prefix === 'peer-' ? get('peer-client-key-file') ?? '' : '',
  });
  const minVersion = version(get('tls-min-version') ?? 'TLS1.2') || 'TLS1.2';
  const maxVersion = version(get('tls-max-version') ?? '');
  if (maxVersion !== '' && versionRank[minVersion] > versionRank[maxVersion]) {
    throw new TlsFlagError(`min version (${minVersion}) is greater than max version (${maxVersion})`);
  }
  const cipherSuites = (get('cipher-suites') ?? '').split(',').map((name) => name.trim()).filter((name) => name !== '');
  if (minVersion === 'TLS1.3' && cipherSuites.length > 0) {
    throw new TlsFlagError('cipher suites cannot be configured when only TLS1.3 is enabled');
  }
  return { client: port(''), peer: port('peer-'), minVersion, maxVersion, cipherSuites };
}

/**
 * Throws, with etcd's messages, when a listener is https:// but its port has neither certificate
 * files nor auto TLS. (http:// listeners with certificates given are served in the clear and the
 * member warns at start, as etcd does.)
 */
export function checkTlsListeners(tls: TlsFlags, listenClientUrls: readonly URL[], listenPeerUrls: readonly URL[]): void {
  const hasTls = (port: PortTlsFlags): boolean => port.certFile !== '' || port.autoTls;
  for (const url of listenClientUrls) {
    if (url.protocol === 'https:' && !hasTls(tls.client)) {
      throw new TlsFlagError(`TLS key/cert (--cert-file, --key-file) must be provided for client url ${url.origin} with HTTPS scheme`);
    }
  }
  for (const url of listenPeerUrls) {
    if (url.protocol === 'https:' && !hasTls(tls.peer)) {
      throw new TlsFlagError(`cannot listen on TLS for ${url.host}: KeyFile and CertFile are not presented`);
    }
  }
}
