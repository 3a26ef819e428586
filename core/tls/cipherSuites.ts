// etcd's --cipher-suites names (Go's crypto/tls names) translated to OpenSSL's, for Node. Only
// TLS 1.2 suites can be chosen, as in etcd: Go (and so etcd) always offers its TLS 1.3 suites, so
// Rafter keeps OpenSSL's TLS 1.3 suites whatever the list says.

/** A --cipher-suites value etcd would refuse, or one this Node's OpenSSL cannot provide. */
export class CipherSuiteError extends Error {
  override readonly name = 'CipherSuiteError';
}

const goToOpenSsl: Readonly<Record<string, string>> = {
  TLS_RSA_WITH_RC4_128_SHA: 'RC4-SHA',
  TLS_RSA_WITH_3DES_EDE_CBC_SHA: 'DES-CBC3-SHA',
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_CBC_SHA256: 'AES128-SHA256',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_RC4_128_SHA: 'ECDHE-ECDSA-RC4-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_RC4_128_SHA: 'ECDHE-RSA-RC4-SHA',
  TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA: 'ECDHE-RSA-DES-CBC3-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: 'ECDHE-ECDSA-AES128-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: 'ECDHE-RSA-AES128-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
};

/** OpenSSL's TLS 1.3 suites, kept in every list (see the header). */
const tls13Suites = ['TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_GCM_SHA256'];

/**
 * The `ciphers` string for Node's TLS options from etcd's suite names, or undefined for Node's
 * defaults when none are given. `available` lists the names this OpenSSL knows (tls.getCiphers()).
 * Throws CipherSuiteError for a name etcd does not know (etcd's message) or one OpenSSL lacks.
 */
export function opensslCiphers(goNames: readonly string[], available: readonly string[]): string | undefined {
  if (goNames.length === 0) return undefined;
  const known = new Set(available.map((name) => name.toLowerCase()));
  const chosen: string[] = [];
  for (const goName of goNames) {
    const openssl = goToOpenSsl[goName];
    if (openssl === undefined) throw new CipherSuiteError(`unexpected TLS cipher suite "${goName}"`);
    if (!known.has(openssl.toLowerCase())) {
      throw new CipherSuiteError(`TLS cipher suite "${goName}" (OpenSSL ${openssl}) is not available in this Node.js build`);
    }
    if (!chosen.includes(openssl)) chosen.push(openssl);
  }
  return [...tls13Suites, ...chosen].join(':');
}
