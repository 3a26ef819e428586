// TLS for one port of a member (the client port or the peer port), from etcd's flags: the
// member's certificate and key (given, or made by --auto-tls / --peer-auto-tls under
// <data-dir>/fixtures/), the CA that client certificates must chain to, and the protocol versions
// and cipher suites. It yields Node's server options (and, for the peer port, the options this
// member dials its peers with). Which listeners use TLS is decided by their URL scheme, by the
// caller; the flags themselves are parsed in core/cli/tlsFlags.ts.
import fs from 'node:fs';
import tls from 'node:tls';
import path from 'node:path';
import { opensslCiphers, CipherSuiteError } from './cipherSuites.js';
import { loadCaFile, loadKeyPair, TlsConfigError } from './certificateFiles.js';
import { ensureSelfSigned } from './selfSignedCertificate.js';

export type TlsVersion = 'TLS1.2' | 'TLS1.3';

/** The TLS flags of one port, as given. */
export interface PortTlsFlags {
  readonly certFile: string;
  readonly keyFile: string;
  readonly trustedCaFile: string;
  readonly clientCertAuth: boolean;
  readonly autoTls: boolean;
  /** A PEM certificate revocation list: a client certificate it revokes is refused (--client-crl-file, --peer-crl-file). */
  readonly crlFile: string;
  /** A client certificate must carry this common name (--peer-cert-allowed-cn); '' for any. */
  readonly allowedCn: string;
  /** A client certificate must be valid for this host name (--client-cert-allowed-hostname, --peer-cert-allowed-hostname); '' for any. */
  readonly allowedHostname: string;
  /** The certificate this member presents when it dials (--peer-client-cert-file / --peer-client-key-file); '' for its server certificate. */
  readonly dialCertFile: string;
  readonly dialKeyFile: string;
}

/** Every TLS flag of a member. */
export interface TlsFlags {
  readonly client: PortTlsFlags;
  readonly peer: PortTlsFlags;
  readonly minVersion: TlsVersion;
  /** '' leaves the highest version to Node (TLS 1.3). */
  readonly maxVersion: TlsVersion | '';
  /** etcd's (Go's) names; empty for Node's defaults. */
  readonly cipherSuites: readonly string[];
}

/** Resolved TLS of one port. */
export interface PortTls {
  /** For a server on this port: certificate, key, CA, client-certificate policy, versions. */
  readonly server: tls.TlsOptions;
  /** For connections this member opens towards the same kind of port (peers dialling peers). */
  readonly client: tls.ConnectionOptions;
  /** Whether the certificate was made by auto TLS (then peers do not verify it, as in etcd). */
  readonly selfSigned: boolean;
  /** Whether a client must present a certificate signed by the trusted CA. */
  readonly requiresClientCertificate: boolean;
  /**
   * Why a connection whose handshake Node accepted is still refused (a common name or host name
   * the flags do not allow), or null to accept it. The listener calls it before reading anything.
   */
  readonly refusal: (socket: tls.TLSSocket) => string | null;
  /** One line for the log. */
  readonly summary: string;
}

export const noPortTls: PortTlsFlags = {
  certFile: '', keyFile: '', trustedCaFile: '', clientCertAuth: false, autoTls: false, crlFile: '', allowedCn: '', allowedHostname: '', dialCertFile: '', dialKeyFile: '',
};

const nodeVersion: Record<TlsVersion, tls.SecureVersion> = { 'TLS1.2': 'TLSv1.2', 'TLS1.3': 'TLSv1.3' };

export interface ResolveOptions {
  /** 'client' for the flags without prefix, 'peer' for the --peer-* flags. */
  readonly port: 'client' | 'peer';
  readonly flags: TlsFlags;
  readonly dataDir: string;
  /** Hosts of this port's listen URLs (names in an auto-TLS certificate). */
  readonly hosts: readonly string[];
  readonly log: (level: 'info' | 'warn', message: string) => void;
  readonly now?: Date;
}

/**
 * The port's TLS, or null when neither certificate files nor auto TLS are given. Throws
 * TlsConfigError naming the flag and file for anything an operator must fix.
 */
export function resolvePortTls(options: ResolveOptions): PortTls | null {
  const { port, flags, log } = options;
  const own = flags[port];
  const prefix = port === 'peer' ? 'peer-' : '';
  if ((own.certFile === '') !== (own.keyFile === '')) {
    throw new TlsConfigError(`--${prefix}cert-file and --${prefix}key-file must be given together`);
  }
  let certFile = own.certFile;
  let keyFile = own.keyFile;
  let selfSigned = false;
  let trustedCaFile = own.trustedCaFile;
  let clientCertAuth = own.clientCertAuth;
  if (own.autoTls && certFile !== '') log('warn', `ignoring --${prefix}auto-tls since --${prefix}cert-file and --${prefix}key-file are given`);
  if (own.autoTls && certFile === '') {
    const dir = path.join(options.dataDir, 'fixtures', port);
    const made = ensureSelfSigned(dir, { hosts: options.hosts, clientAuth: port === 'peer', ...(options.now ? { now: options.now } : {}) });
    log('info', `${made.created ? 'made' : 'reusing'} the self-signed ${port} certificate ${made.certFile}`);
    certFile = made.certFile;
    keyFile = made.keyFile;
    selfSigned = true;
    // etcd's auto TLS replaces the port's TLS settings with the self-signed pair alone.
    if (trustedCaFile !== '' || clientCertAuth) {
      log('warn', `--${prefix}auto-tls makes its own certificate: --${prefix}trusted-ca-file and --${prefix}client-cert-auth are ignored, as etcd does`);
    }
    trustedCaFile = '';
    clientCertAuth = false;
  }
  if (certFile === '') {
    if (trustedCaFile !== '' || clientCertAuth) {
      throw new TlsConfigError(`--${prefix}trusted-ca-file and --${prefix}client-cert-auth need --${prefix}cert-file and --${prefix}key-file (or --${prefix}auto-tls)`);
    }
    return null;
  }
  const now = options.now ?? new Date();
  const pair = loadKeyPair({ flag: `${prefix}cert-file`, file: certFile }, { flag: `${prefix}key-file`, file: keyFile }, now);
  const ca = trustedCaFile === '' ? undefined : loadCaFile({ flag: `${prefix}trusted-ca-file`, file: trustedCaFile }, now);
  // etcd 3.4 asks for client certificates as soon as a trusted CA is given, not only with
  // --client-cert-auth (pkg/transport TLSInfo.ServerConfig).
  const requiresClientCertificate = trustedCaFile !== '' || clientCertAuth;
  const crlFlag = port === 'peer' ? 'peer-crl-file' : 'client-crl-file';
  const crl = own.crlFile === '' ? undefined : loadCrlFile({ flag: crlFlag, file: own.crlFile });
  if ((own.dialCertFile === '') !== (own.dialKeyFile === '')) {
    throw new TlsConfigError(`--${prefix}client-cert-file and --${prefix}client-key-file must be given together`);
  }
  const dialPair = own.dialCertFile === ''
    ? pair
    : loadKeyPair({ flag: `${prefix}client-cert-file`, file: own.dialCertFile }, { flag: `${prefix}client-key-file`, file: own.dialKeyFile }, now);
  const common = commonOptions(flags);
  const server: tls.TlsOptions = {
    ...common,
    cert: pair.cert,
    key: pair.key,
    ...(ca ? { ca } : {}),
    ...(crl ? { crl } : {}),
    requestCert: requiresClientCertificate,
    rejectUnauthorized: requiresClientCertificate,
  };
  const client: tls.ConnectionOptions = {
    ...common,
    cert: dialPair.cert,
    key: dialPair.key,
    ...(ca ? { ca } : {}),
    // etcd's peers do not verify a self-signed peer certificate: there is no CA to check it by.
    rejectUnauthorized: !selfSigned,
  };
  try {
    tls.createSecureContext(server);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (crl) throw new TlsConfigError(`cannot use --${crlFlag} ${own.crlFile} with --${prefix}cert-file ${certFile}: ${reason}`);
    throw new TlsConfigError(`cannot use --${prefix}cert-file ${certFile} with --${prefix}key-file ${keyFile}: ${reason}`);
  }
  if ((own.allowedCn !== '' || own.allowedHostname !== '') && !requiresClientCertificate) {
    log('warn', `--${port === 'peer' ? 'peer' : 'client'}-cert-allowed-${own.allowedCn !== '' ? 'cn' : 'hostname'} has no effect without --${prefix}trusted-ca-file or --${prefix}client-cert-auth`);
  }
  const summary = `${port} TLS: cert ${certFile}${selfSigned ? ' (self-signed)' : ''}${trustedCaFile !== '' ? `, trusted CA ${trustedCaFile}` : ''}, client certificates ${requiresClientCertificate ? 'required' : 'not asked for'}`
    + `${crl ? `, revocations from ${own.crlFile}` : ''}${own.allowedCn !== '' ? `, common name ${own.allowedCn} only` : ''}${own.allowedHostname !== '' ? `, host name ${own.allowedHostname} only` : ''}`;
  const refusal = requiresClientCertificate ? identityCheck(own.allowedCn, own.allowedHostname) : (): null => null;
  return { server, client, selfSigned, requiresClientCertificate, refusal, summary };
}

/** Reads a certificate revocation list (PEM); throws TlsConfigError naming the flag and file. */
function loadCrlFile(named: { flag: string; file: string }): Buffer {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(named.file);
  } catch (error) {
    throw new TlsConfigError(`cannot read --${named.flag} ${named.file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  if (!bytes.toString('latin1').includes('-----BEGIN X509 CRL-----')) throw new TlsConfigError(`--${named.flag} ${named.file} holds no PEM certificate revocation list`);
  return bytes;
}

/**
 * etcd's checks of a client certificate's identity (pkg/transport TLSInfo): the leaf's common
 * name must equal `allowedCn`, and the leaf must be valid for `allowedHostname` (its DNS or IP
 * names, as a server certificate is checked).
 */
function identityCheck(allowedCn: string, allowedHostname: string): (socket: tls.TLSSocket) => string | null {
  if (allowedCn === '' && allowedHostname === '') return () => null;
  return (socket) => {
    const certificate = socket.getPeerCertificate();
    if (allowedCn !== '') {
      const cn = certificate.subject?.CN;
      const names = Array.isArray(cn) ? cn : cn === undefined ? [] : [cn];
      if (!names.includes(allowedCn)) return `CommonName authentication failed (got ${names.join(', ') || 'none'}, want ${allowedCn})`;
    }
    if (allowedHostname !== '' && tls.checkServerIdentity(allowedHostname, certificate) !== undefined) {
      return `hostname authentication failed (the certificate is not valid for ${allowedHostname})`;
    }
    return null;
  };
}

/** Versions and cipher suites shared by both ports; throws TlsConfigError with etcd's messages. */
function commonOptions(flags: TlsFlags): Pick<tls.TlsOptions, 'minVersion' | 'maxVersion' | 'ciphers'> {
  let ciphers: string | undefined;
  try {
    ciphers = opensslCiphers(flags.cipherSuites, tls.getCiphers());
  } catch (error) {
    if (error instanceof CipherSuiteError) throw new TlsConfigError(error.message);
    throw error;
  }
  return {
    minVersion: nodeVersion[flags.minVersion],
    ...(flags.maxVersion === '' ? {} : { maxVersion: nodeVersion[flags.maxVersion] }),
    ...(ciphers === undefined ? {} : { ciphers }),
  };
}
