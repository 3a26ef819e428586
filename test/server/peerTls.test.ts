// TLS on the peer port of real Rafter clusters: three members with --peer-auto-tls, and three with
// CA-signed peer certificates and --peer-client-cert-auth, form a cluster over https:// peer URLs
// and replicate writes; in the second, a member that fell behind the leader's log catches up by a
// snapshot streamed over TLS, and a fourth member joins through `etcdctl member add` with an
// https:// peer URL (its lookup of the cluster and its Raft traffic go over TLS too).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdClient } from '../../core/client/etcdClient.js';
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

  it('forms a 3-member cluster with peer client-certificate auth, replicates, sends a snapshot and lets a member join over https', async () => {
    const cluster = await RafterCluster.start({
      members: 3,
      peerScheme: 'https',
      snapshotCount: 50,
      snapshotCatchupEntries: 10,
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
      // A follower falls behind (stopping the leader would only test an election here).
      const leader = await cluster.leader();
      const behind = cluster.members.find((m) => m !== leader)!;
      const others = cluster.members.filter((m) => m !== behind);
      await cluster.kill(behind);
      const client = new EtcdClient({ endpoints: others.map((m) => `127.0.0.1:${m.clientPort}`) });
      try {
        for (let i = 0; i < 150; i++) await client.kv.put(`peer/behind/${i}`, `v${i}`);
      } finally {
        client.close();
      }
      await cluster.restart(behind);
      expect(await valuesEverywhere(cluster, 'peer/behind/149', [behind])).toEqual(['v149']);
      expect(behind.log.join('\n')).toMatch(/installing a snapshot at index \d+/);
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
