// TLS through the etcd client against real etcd members serving TLS: CA verification, client
// certificates, insecureSkipVerify, and a clear error when the CA is wrong.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdClient, EtcdError } from '../../core/client/index.js';
import { EtcdTestCluster } from '../support/etcd.js';
import { generateCertificates } from '../support/tls.js';
import type { TestCertificates } from '../support/tls.js';

let certificates: TestCertificates;
let serverTls: EtcdTestCluster;
let mutualTls: EtcdTestCluster;
const clients: EtcdClient[] = [];

function connect(cluster: EtcdTestCluster, options: Omit<ConstructorParameters<typeof EtcdClient>[0], 'endpoints'>): EtcdClient {
  const client = new EtcdClient({ endpoints: cluster.endpoints, callTimeoutMs: 3_000, ...options });
  clients.push(client);
  return client;
}

beforeAll(async () => {
  certificates = await generateCertificates();
  serverTls = await EtcdTestCluster.start({ tls: { certificates } });
  mutualTls = await EtcdTestCluster.start({ tls: { certificates, clientCertAuth: true } });
});

afterAll(async () => {
  for (const client of clients) client.close();
  await serverTls?.stop();
  await mutualTls?.stop();
  await certificates?.cleanup();
});

describe('TLS against real etcd', () => {
  it('connects over https when the server certificate is signed by the given CA file', async () => {
    const client = connect(serverTls, { tls: { caFile: certificates.caFile } });
    await client.kv.put('tls/a', 'secure');
    expect((await client.kv.getOne('tls/a'))?.valueString).toBe('secure');
  });

  it('accepts the CA as PEM text', async () => {
    const client = connect(serverTls, { tls: { caPem: certificates.caPem } });
    expect((await client.maintenance.status()).version).toBe('3.4.23');
  });

  it('fails with a clear TLS error when the CA did not sign the server certificate', async () => {
    const client = connect(serverTls, { tls: { caFile: certificates.otherCaFile } });
    const failure = await client.kv.get('tls/a').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(EtcdError);
    expect((failure as EtcdError).codeName).toBe('UNAVAILABLE');
    expect((failure as EtcdError).message).toMatch(/^TLS connection to 127\.0\.0\.1:\d+ failed: .*certificate/);
  });

  it('connects without verification only when insecureSkipVerify is set', async () => {
    const unverified = connect(serverTls, { tls: { insecureSkipVerify: true } });
    expect((await unverified.kv.getOne('tls/a'))?.valueString).toBe('secure');
    const verified = connect(serverTls, { tls: {} });
    const failure = await verified.kv.get('tls/a').catch((error: unknown) => error);
    expect((failure as EtcdError).message).toMatch(/^TLS connection to .* failed/);
  });

  it('presents a client certificate to a server that requires one', async () => {
    const client = connect(mutualTls, {
      tls: { caFile: certificates.caFile, certFile: certificates.clientCertFile, keyFile: certificates.clientKeyFile },
    });
    await client.kv.put('mtls/a', 'mutual');
    expect((await client.kv.getOne('mtls/a'))?.valueString).toBe('mutual');
  });

  it('is refused by a server that requires a client certificate when it presents none', async () => {
    const client = connect(mutualTls, { tls: { caFile: certificates.caFile } });
    const failure = await client.kv.get('mtls/a').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(EtcdError);
    expect((failure as EtcdError).codeName).toBe('UNAVAILABLE');
  });
});
