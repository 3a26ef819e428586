// With --client-cert-auth and auth enabled, a call that carries no token is made as the user its
// verified client certificate names (the common name), as etcd does: etcdctl with a certificate
// for "alice" and no --user reads what alice may read and is refused what she may not, against a
// Rafter member and an etcd 3.4 given the same certificates and flags; outputs must be equal.
import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdTestCluster } from '../support/etcd.js';
import { etcdctl, RafterCluster } from '../support/rafterCluster.js';
import { generateCertificates, type TestCertificates } from '../support/tls.js';

let certificates: TestCertificates;
let rafter: RafterCluster;
let etcd: EtcdTestCluster;

beforeAll(async () => {
  certificates = await generateCertificates('alice');
  rafter = await RafterCluster.start({
    members: 1,
    clientScheme: 'https',
    clientTls: {
      ca: await fs.readFile(certificates.caFile),
      cert: await fs.readFile(certificates.clientCertFile),
      key: await fs.readFile(certificates.clientKeyFile),
    },
    extraArgs: [
      `--cert-file=${certificates.serverCertFile}`,
      `--key-file=${certificates.serverKeyFile}`,
      `--trusted-ca-file=${certificates.caFile}`,
      '--client-cert-auth',
    ],
  });
  etcd = await EtcdTestCluster.start({ tls: { certificates, clientCertAuth: true } });
}, 120_000);

afterAll(async () => {
  await rafter?.stop();
  await etcd?.stop();
  await certificates?.cleanup();
});

const script: string[][] = [
  ['user', 'add', 'root:rootpw'],
  ['user', 'grant-role', 'root', 'root'],
  ['role', 'add', 'reader'],
  ['role', 'grant-permission', 'reader', 'read', '/app/', '--prefix'],
  ['user', 'add', 'alice:alicepw'],
  ['user', 'grant-role', 'alice', 'reader'],
  ['--user', 'root:rootpw', 'put', '/app/x', '1'],
  ['auth', 'enable'],
  ['get', '/app/x'],
  ['put', '/app/x', '2'],
  ['get', '/other'],
  ['user', 'list'],
  ['--user', 'root:rootpw', 'put', '/app/x', '3'],
  ['get', '/app/x', '--print-value-only'],
  ['--user', 'root:rootpw', 'auth', 'disable'],
];

async function run(endpoint: string): Promise<string[]> {
  const tlsFlags = [`--cacert=${certificates.caFile}`, `--cert=${certificates.clientCertFile}`, `--key=${certificates.clientKeyFile}`];
  const outputs: string[] = [];
  for (const args of script) {
    const result = await etcdctl([endpoint], [...tlsFlags, ...args]);
    const text = `${result.stdout}${result.stderr}`.replace(/\{"level":"warn".*\n?/g, '').trimEnd();
    outputs.push(`$ etcdctl ${args.join(' ')}\n${text}\nexit ${result.code === 0 ? 0 : 'non-zero'}`);
  }
  return outputs;
}

describe('the client certificate names the user', () => {
  it("under --client-cert-auth with auth enabled, as etcd 3.4's does", async () => {
    const fromEtcd = await run(etcd.members[0]!.clientUrl);
    const fromRafter = await run(rafter.members[0]!.clientUrl);
    expect(fromRafter.join('\n\n')).toBe(fromEtcd.join('\n\n'));
    expect(fromRafter[9]).toContain('etcdserver: permission denied');
    expect(fromRafter[8]).toContain('/app/x');
  });
});
