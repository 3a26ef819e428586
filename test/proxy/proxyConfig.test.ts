// `rafter grpc-proxy start` flag parsing: etcd's names and defaults, pflag's forms, and errors.
import { describe, expect, it } from 'vitest';
import { parseProxyConfig, proxyHelpText } from '../../core/proxy/proxyConfig.js';

describe('parseProxyConfig', () => {
  it("has etcd grpc-proxy's defaults", () => {
    const config = parseProxyConfig([]);
    expect(config.endpoints).toEqual(['127.0.0.1:2379']);
    expect(config.listenAddr).toEqual({ host: '127.0.0.1', port: 23790 });
    expect(config.advertiseClientUrl).toBe('127.0.0.1:23790');
    expect([config.maxSendBytes, config.maxRecvBytes]).toEqual([1_572_864, 2_147_483_647]);
  });

  it('reads --flag=value, --flag value and bare booleans', () => {
    const config = parseProxyConfig(['--endpoints=a:1,b:2', '--listen-addr', 'http://0.0.0.0:3000', '--namespace=n/', '--insecure-skip-tls-verify', '--resolver-prefix=/p', '--resolver-ttl=10']);
    expect(config.endpoints).toEqual(['a:1', 'b:2']);
    expect(config.listenAddr).toEqual({ host: '0.0.0.0', port: 3000 });
    expect([config.namespace, config.insecureSkipTlsVerify, config.resolverPrefix, config.resolverTtlSeconds]).toEqual(['n/', true, '/p', 10]);
  });

  it('refuses unknown flags, missing values, bad numbers and half a certificate', () => {
    expect(() => parseProxyConfig(['--nope'])).toThrow('unknown flag: --nope');
    expect(() => parseProxyConfig(['--namespace'])).toThrow('flag needs an argument: --namespace');
    expect(() => parseProxyConfig(['--resolver-ttl=x'])).toThrow('invalid argument "x" for "--resolver-ttl" flag: not an integer');
    expect(() => parseProxyConfig(['--cert-file=a.crt'])).toThrow('--cert-file and --key-file must be given together');
  });

  it('lists every flag in its help', () => {
    expect(proxyHelpText()).toContain('--resolver-ttl int');
    expect(proxyHelpText()).toContain('(default "127.0.0.1:23790")');
  });
});
