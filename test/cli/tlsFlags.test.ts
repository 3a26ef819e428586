// etcd's TLS flags in `rafter`: parsed for both ports (also from ETCD_* variables), listed by
// --help, with etcd's messages for bad versions, TLS 1.3-only cipher suites, and https:// listeners
// without certificates.
import { describe, expect, it } from 'vitest';
import { FlagError, helpText, parseMemberConfig } from '../../core/cli/flags.js';

function flagFailure(argv: string[]): string {
  try {
    parseMemberConfig(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(FlagError);
    return (error as Error).message;
  }
  throw new Error('expected a FlagError');
}

describe('TLS flags', () => {
  it('parses both ports\' flags, the versions and the cipher suites', () => {
    const config = parseMemberConfig(
      [
        '--cert-file=/c.crt', '--key-file=/c.key', '--trusted-ca-file=/ca.crt', '--client-cert-auth',
        '--peer-auto-tls', '--peer-client-cert-auth=false', '--tls-max-version=TLS1.2',
        '--cipher-suites', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
        '--client-crl-file=/c.crl', '--client-cert-allowed-hostname=client.example', '--peer-crl-file=/p.crl',
        '--peer-cert-allowed-cn=member', '--peer-cert-allowed-hostname=peer.example', '--peer-client-cert-file=/pc.crt', '--peer-client-key-file=/pc.key',
      ],
      { ETCD_PEER_TRUSTED_CA_FILE: '/peer-ca.crt' },
    );
    expect(config.tls).toEqual({
      client: {
        certFile: '/c.crt', keyFile: '/c.key', trustedCaFile: '/ca.crt', clientCertAuth: true, autoTls: false,
        crlFile: '/c.crl', allowedCn: '', allowedHostname: 'client.example', dialCertFile: '', dialKeyFile: '',
      },
      peer: {
        certFile: '', keyFile: '', trustedCaFile: '/peer-ca.crt', clientCertAuth: false, autoTls: true,
        crlFile: '/p.crl', allowedCn: 'member', allowedHostname: 'peer.example', dialCertFile: '/pc.crt', dialKeyFile: '/pc.key',
      },
      minVersion: 'TLS1.2',
      maxVersion: 'TLS1.2',
      cipherSuites: ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384'],
    });
  });

  it('defaults to no TLS, at least TLS 1.2 when on', () => {
    expect(parseMemberConfig([]).tls).toMatchObject({ minVersion: 'TLS1.2', maxVersion: '', cipherSuites: [], client: { certFile: '', autoTls: false } });
  });

  it('answers bad versions and TLS 1.3-only cipher suites with etcd\'s messages', () => {
    expect(flagFailure(['--tls-min-version=TLS1.1'])).toBe('unexpected TLS version "TLS1.1" (must be one of: TLS1.2, TLS1.3)');
    expect(flagFailure(['--tls-min-version=TLS1.3', '--tls-max-version=TLS1.2'])).toBe('min version (TLS1.3) is greater than max version (TLS1.2)');
    expect(flagFailure(['--tls-min-version=TLS1.3', '--cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'])).toBe('cipher suites cannot be configured when only TLS1.3 is enabled');
    expect(flagFailure(['--client-cert-auth=maybe'])).toBe('invalid value "maybe" for --client-cert-auth: want true or false');
  });

  it('refuses https:// listeners without certificates or auto TLS, with etcd\'s messages', () => {
    expect(flagFailure(['--listen-client-urls=https://127.0.0.1:2379'])).toBe(
      'TLS key/cert (--cert-file, --key-file) must be provided for client url https://127.0.0.1:2379 with HTTPS scheme',
    );
    expect(flagFailure(['--listen-peer-urls=https://127.0.0.1:2380'])).toBe('cannot listen on TLS for 127.0.0.1:2380: KeyFile and CertFile are not presented');
    expect(parseMemberConfig(['--listen-client-urls=https://127.0.0.1:2379', '--auto-tls']).listenClientUrls[0]?.protocol).toBe('https:');
  });

  it('lists every TLS flag in --help', () => {
    const help = helpText();
    for (const name of ['cert-file', 'key-file', 'trusted-ca-file', 'client-cert-auth', 'auto-tls', 'peer-cert-file', 'peer-key-file', 'peer-trusted-ca-file', 'peer-client-cert-auth', 'peer-auto-tls', 'cipher-suites', 'tls-min-version', 'tls-max-version']) {
      expect(help).toContain(`--${name} `);
    }
  });
});
