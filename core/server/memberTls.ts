// A member's TLS at start: both ports' certificates resolved from its flags (auto-TLS ones made
// under the data directory), and etcd's warnings for flags an http:// listener ignores. Errors
// (unreadable, mismatched or expired files) are TlsConfigError, thrown before anything else
// starts. The listeners apply the result: core/api/clientServer.ts and core/transport.
import type { MemberConfig } from './memberConfig.js';
import { resolvePortTls, type PortTls } from '../tls/portTls.js';

export interface MemberTls {
  /** For https:// client listeners; null when no certificate was given or made. */
  readonly client: PortTls | null;
  /** For https:// peer listeners and for dialling https:// peer URLs. */
  readonly peer: PortTls | null;
}

type Log = (level: 'info' | 'warn', message: string) => void;

function hosts(urls: readonly URL[]): string[] {
  return [...new Set(urls.map((url) => url.hostname.replace(/^\[|\]$/g, '')))];
}

/** Resolves the member's TLS; throws TlsConfigError naming the flag and file on a bad one. */
export function resolveMemberTls(config: MemberConfig, log: Log): MemberTls {
  const client = resolvePortTls({
    port: 'client',
    flags: config.tls,
    dataDir: config.dataDir,
    hosts: hosts([...config.listenClientUrls, ...config.advertiseClientUrls]),
    log,
  });
  const peer = resolvePortTls({
    port: 'peer',
    flags: config.tls,
    dataDir: config.dataDir,
    hosts: hosts([...config.listenPeerUrls, ...config.initialAdvertisePeerUrls]),
    log,
  });
  warnPlaintext(config.listenClientUrls, client, 'client', '', log);
  warnPlaintext(config.listenPeerUrls, peer, 'peer', 'peer-', log);
  for (const port of [client, peer]) if (port) log('info', port.summary);
  return { client, peer };
}

function warnPlaintext(urls: readonly URL[], portTls: PortTls | null, port: string, prefix: string, log: Log): void {
  if (!portTls) return;
  for (const url of urls) {
    if (url.protocol !== 'http:') continue;
    log('warn', `the ${port} URL ${url.origin} is http://: serving it without TLS, ignoring the ${port} certificate${portTls.requiresClientCertificate ? ` and --${prefix}client-cert-auth` : ''} there`);
  }
}
