// TLS on the peer port of real Rafter clusters: three members with --peer-auto-tls, and three with
// CA-signed peer certificates and --peer-client-cert-auth, form a cluster over https:// peer URLs
// and replicate writes; a fourth member joins the second through `etcdctl member add` with an
// https:// peer URL (its lookup of the cluster and its Raft traffic go over TLS too).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RafterCluster, type RafterMember } from '../support/rafterCluster.js';
import { generateCertificates, type TestCertificates } from '../support/tls.js';

let certificates: TestCertificates;

beforeAll(async () => {
  certificates = await generateCertificates();
});

afterAll(async () => {
  await certificates?.cleanup();
});

/** Reads `key` from every member alone (a serializable read: what that member has applied). */
async function valuesEverywhere(cluster: RafterCluster, key: string, members: readonly RafterMember[] = cluster.members): Promise<string[]> {
  const values: string[] = [];
  for (const member of members) {
    // A follower may not have applied the write yet: read again until it has (bounded by etcdctl's own timeouts).
    let value = '';
    for (let attempt = 0; attempt < 100 && value === ''; attempt++) {
      value = (await cluster.etcdctl(['get', key, '--print-value-only', '--consistency=s'], undefined, [`127.0.0.1:${member.clientPort}`])).stdout.trim();
    }
    values.push(value);
  }
  return values;
}

describe('peer TLS', () => {
  it('forms a 3-member cluster with --peer-auto-tls over https:// peer URLs and replicates', async () => {
    const cluster = await RafterCluster.start({ members: 3, peerScheme: 'https', extraArgs: ['--peer-auto-tls'] });
    try {
      expect((await cluster.etcdctl(['put', 'peer/auto', 'replicated'])).stdout).toBe('OK\n');
      expect(await valuesEverywhere(cluster, 'peer/auto')).toEqual(['replicated', 'replicated', 'replicated']);
      const list = (await cluster.etcdctl(['member', 'list'])).stdout;
      for (const member of cluster.members) expect(list).toContain(`, ${member.name}, https://127.0.0.1:${member.peerPort}, `);
      for (const member of cluster.members) expect(fs.existsSync(path.join(member.dataDir, 'fixtures', 'peer', 'cert.pem'))).toBe(true);
    } finally {
      await cluster.stop();
    }
  }, 90_000);

  it('forms a 3-member cluster with peer client-certificate auth, replicates, and lets a member join over https', async () => {
    const cluster = await RafterCluster.start({
      members: 3,
      peerScheme: 'https',
      extraArgs: [
        `--peer-cert-file=${certificates.serverCertFile}`,
        `--peer-key-file=${certificates.serverKeyFile}`,
        `--peer-trusted-ca-file=${certificates.caFile}`,
        '--peer-client-cert-auth',
      ],
    });
    try {
      expect((await cluster.etcdctl(['put', 'peer/mutual', 'replicated'])).stdout).toBe('OK\n');
      expect(await valuesEverywhere(cluster, 'peer/mutual')).toEqual(['replicated', 'replicated', 'replicated']);
      const joining = await cluster.reserveMember('m4');
      const added = await cluster.etcdctl(['member', 'add', 'm4', `--peer-urls=${joining.peerUrl}`]);
      expect(added.stdout).toContain(`ETCD_INITIAL_CLUSTER="`);
      expect(added.stdout).toContain(`m4=https://127.0.0.1:${joining.peerPort}`);
      await cluster.startJoining(joining);
      expect((await cluster.etcdctl(['put', 'peer/after-join', 'four'])).stdout).toBe('OK\n');
      expect(await valuesEverywhere(cluster, 'peer/after-join')).toEqual(['four', 'four', 'four', 'four']);
      expect(await valuesEverywhere(cluster, 'peer/mutual', [joining])).toEqual(['replicated']);
    } finally {
      await cluster.stop();
    }
  }, 120_000);
});
