// rafter grpc-proxy between TLS on both sides and in front of a cluster with authentication, with
// real etcd 3.4 members: the proxy verifies the cluster with --cacert and presents --cert/--key to
// it; it serves TLS with --cert-file/--key-file and requires client certificates signed by
// --trusted-ca-file; callers' tokens pass through, so etcd's users and permissions hold through it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdClient } from '../../core/client/etcdClient.js';
import { EtcdTestCluster } from '../support/etcd.js';
import { ProxyProcess } from '../support/proxyProcess.js';
import { etcdctl, etcdctlUntil } from '../support/rafterCluster.js';
import { generateCertificates, type TestCertificates } from '../support/tls.js';

const pollTimeoutMs = 20_000;

let certificates: TestCertificates;
const proxies: ProxyProcess[] = [];
const clients: EtcdClient[] = [];
const clusters: EtcdTestCluster[] = [];

beforeAll(async () => {
  certificates = await generateCertificates();
}, 60_000);

afterAll(async () => {
  for (const client of clients) client.close();
  await Promise.all(proxies.map((proxy) => proxy.stop()));
  await Promise.all(clusters.map((cluster) => cluster.stop()));
  await certificates?.cleanup();
});

function client(options: ConstructorParameters<typeof EtcdClient>[0]): EtcdClient {
  const created = new EtcdClient({ callTimeoutMs: 5_000, ...options });
  clients.push(created);
  return created;
}

describe('rafter grpc-proxy security', () => {
  it('speaks TLS to a cluster requiring client certificates and to its own clients, refusing clients without one', async () => {
    const etcd = await EtcdTestCluster.start({ tls: { certificates, clientCertAuth: true } });
    clusters.push(etcd);
    const proxy = await ProxyProcess.start({
      endpoints: etcd.endpoints, tls: true, waitHealthy: false,
      extraArgs: [
        `--cacert=${certificates.caFile}`, `--cert=${certificates.clientCertFile}`, `--key=${certificates.clientKeyFile}`,
        `--cert-file=${certificates.serverCertFile}`, `--key-file=${certificates.serverKeyFile}`, `--trusted-ca-file=${certificates.caFile}`,
      ],
    });
    proxies.push(proxy);
    const tls = { caFile: certificates.caFile, certFile: certificates.clientCertFile, keyFile: certificates.clientKeyFile };
    const proxied = client({ endpoints: [proxy.url], tls });
    await expect.poll(() => proxied.kv.put('/tls/k', 'v').then(() => 'ok', (e: unknown) => String(e)), { timeout: pollTimeoutMs }).toBe('ok');
    expect((await proxied.kv.getOne('/tls/k'))?.valueString).toBe('v');
    const ctl = await etcdctl([proxy.url], ['--cacert', certificates.caFile, '--cert', certificates.clientCertFile, '--key', certificates.clientKeyFile, 'get', '/tls/k', '--print-value-only']);
    expect(ctl.stdout).toBe('v\n');
    const noCertificate = client({ endpoints: [proxy.url], tls: { caFile: certificates.caFile }, callTimeoutMs: 2_000 });
    await expect(noCertificate.kv.getOne('/tls/k')).rejects.toThrow();
    const plaintext = client({ endpoints: [`http://${proxy.endpoint}`], callTimeoutMs: 2_000 });
    await expect(plaintext.kv.getOne('/tls/k')).rejects.toThrow();
  }, 60_000);

  it('passes callers tokens through: users, permissions and watches hold as directly', async () => {
    const etcd = await EtcdTestCluster.start();
    clusters.push(etcd);
    const endpoint = etcd.endpoints[0]!.replace(/^https?:\/\//, '');
    const setup = [
      ['user', 'add', 'root:rootpw'], ['user', 'add', 'alice:alicepw'], ['role', 'add', 'reader'],
      ['role', 'grant-permission', 'reader', 'readwrite', '/alice/', '--prefix'], ['user', 'grant-role', 'alice', 'reader'], ['auth', 'enable'],
    ];
    for (const args of setup) expect((await etcdctl([endpoint], args)).code, args.join(' ')).toBe(0);
    const proxy = await ProxyProcess.start({ endpoints: [endpoint] });
    proxies.push(proxy);
    const both = async (args: string[]): Promise<[string, string]> => {
      const output = async (at: string): Promise<string> => {
        const result = await etcdctl([at], args);
        return `${result.stdout}${result.stderr.replace(/\{"level":"warn".*\n?/g, '')}`.trim();
      };
      return [await output(proxy.endpoint), await output(endpoint)];
    };
    for (const args of [
      ['--user=alice:alicepw', 'put', '/alice/a', '1'],
      ['--user=alice:alicepw', 'get', '/alice/a'],
      ['--user=alice:alicepw', 'get', '/bob/b'],
      ['--user=alice:wrong', 'get', '/alice/a'],
      ['get', '/alice/a'],
      ['--user=root:rootpw', 'get', '/alice/a', '--print-value-only'],
    ]) {
      const [proxied, direct] = await both(args);
      expect(proxied, args.join(' ')).toBe(direct);
    }
    // The JSON gateway: etcd's reads the token from the Authorization header.
    const gateway = async (at: string, route: string, body: object, token?: string): Promise<string> => {
      const headers: Record<string, string> = token === undefined ? {} : { authorization: token };
      const response = await fetch(`http://${at}${route}`, { method: 'POST', body: JSON.stringify(body), headers });
      const text = (await response.text()).replace(/"(cluster_id|member_id|raft_term|revision)":"\d+"/g, '"$1":"<n>"').replace(/"token":"[^"]+"/, '"token":"<t>"');
      return `${response.status} ${text}`;
    };
    const tokenAt = async (at: string): Promise<string> => {
      const response = await fetch(`http://${at}/v3/auth/authenticate`, { method: 'POST', body: JSON.stringify({ name: 'alice', password: 'alicepw' }) });
      return ((await response.json()) as { token: string }).token;
    };
    const proxyToken = await tokenAt(proxy.endpoint);
    const directToken = await tokenAt(endpoint);
    const key = (text: string): string => Buffer.from(text).toString('base64');
    for (const [route, body] of [['/v3/kv/range', { key: key('/alice/a') }], ['/v3/kv/range', { key: key('/bob/b') }], ['/v3/kv/put', { key: key('/alice/g'), value: key('v') }]] as const) {
      expect(await gateway(proxy.endpoint, route, body, proxyToken), route).toBe(await gateway(endpoint, route, body, directToken));
      expect(await gateway(proxy.endpoint, route, body), route).toBe(await gateway(endpoint, route, body));
    }
    expect(await gateway(proxy.endpoint, '/v3/kv/range', { key: key('/alice/g') }, proxyToken)).toContain(`"value":"${key('v')}"`);

    const watched = etcdctlUntil([proxy.endpoint], ['--user=alice:alicepw', 'watch', '/alice/', '--prefix'], (out) => out.includes('after-watch'));
    let printed = '';
    void watched.then((out) => (printed = out), (error: unknown) => (printed = String(error)));
    const writer = client({ endpoints: [endpoint], auth: { username: 'alice', password: 'alicepw' } });
    // Written until the watch (which etcdctl creates on its own time) prints it.
    await expect.poll(async () => {
      if (printed === '') await writer.kv.put('/alice/w', 'after-watch');
      return printed;
    }, { timeout: pollTimeoutMs }).toContain('/alice/w\nafter-watch');
    const denied = await etcdctl([proxy.endpoint], ['--user=alice:alicepw', 'watch', '/bob/', '--prefix']);
    const deniedDirect = await etcdctl([endpoint], ['--user=alice:alicepw', 'watch', '/bob/', '--prefix']);
    expect(denied.stdout + denied.stderr.replace(/\{"level":"warn".*\n?/g, '')).toBe(deniedDirect.stdout + deniedDirect.stderr.replace(/\{"level":"warn".*\n?/g, ''));
  }, 60_000);
});
