// etcd's periodic auto-compaction: the leader compacts history older than the retention.
import { afterAll, describe, expect, it } from 'vitest';
import { RafterCluster } from '../support/rafterCluster.js';

let cluster: RafterCluster | undefined;

afterAll(async () => {
  await cluster?.stop();
});

describe('auto-compaction', () => {
  it('compacts history older than a periodic retention, through Raft on every member', async () => {
    cluster = await RafterCluster.start({ members: 3, extraArgs: ['--auto-compaction-mode=periodic', '--auto-compaction-retention=1s'] });
    const c = cluster;
    expect((await c.etcdctl(['put', '/auto/k', 'old'])).code).toBe(0);
    const first = JSON.parse((await c.etcdctl(['get', '/auto/k', '-w', 'json'])).stdout) as { header: { revision: number } };
    let compacted = false;
    // Keep writing until every member refuses the first revision as compacted (bounded).
    for (let i = 0; i < 400 && !compacted; i++) {
      await c.etcdctl(['put', '/auto/k', `new-${i}`]);
      const reads = await Promise.all(c.endpoints.map((endpoint) => c.etcdctl(['get', '/auto/k', '--rev', String(first.header.revision), '--consistency=s'], undefined, [endpoint])));
      compacted = reads.every((r) => r.code !== 0 && r.stderr.includes('required revision has been compacted'));
    }
    expect(compacted).toBe(true);
    expect((await c.etcdctl(['get', '/auto/k', '--print-value-only'])).stdout).toMatch(/^new-\d+\n$/);
  });
});
