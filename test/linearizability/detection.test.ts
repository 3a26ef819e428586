// The whole pipeline can fail: a real history with a real anomaly in it is rejected. A stale
// read is produced on purpose by reading serializably from an isolated follower after the
// majority acknowledged a newer write; recorded as if it were a linearizable read, the checkers
// must reject it, naming that read.
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { EtcdClient } from '../../core/client/etcdClient.js';
import { RafterCluster } from '../support/rafterCluster.js';
import type { KvOperation } from './history.js';
import { checkLinearizability } from './linearizabilityChecker.js';
import { lostWrites } from './lostWrites.js';

let cluster: RafterCluster | undefined;
const clients: EtcdClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await cluster?.stop();
  cluster = undefined;
});

function clientOf(endpoints: readonly string[]): EtcdClient {
  const client = new EtcdClient({ endpoints });
  clients.push(client);
  return client;
}

describe('detecting a real anomaly', () => {
  it('rejects a real history in which a stale serializable read from an isolated follower poses as linearizable', async () => {
    cluster = await RafterCluster.start({ members: 3 });
    const c = cluster;
    const leader = await c.leader();
    const isolated = c.members.find((m) => m !== leader)!;
    const majority = clientOf(c.members.filter((m) => m !== isolated).map((m) => `127.0.0.1:${m.clientPort}`));
    const history: KvOperation[] = [];
    const record = async (input: KvOperation['input'], run: () => Promise<KvOperation['output']>): Promise<KvOperation> => {
      const callMs = performance.now();
      const output = await run();
      const operation: KvOperation = { id: history.length, clientId: 1, input, output, callMs, returnMs: performance.now() };
      history.push(operation);
      return operation;
    };
    const put = async (value: string): Promise<void> => {
      await record({ kind: 'put', key: '/d/k', value }, async () => ({ kind: 'put', revision: (await majority.kv.put('/d/k', value)).header.revision }));
    };
    await put('old');
    // The follower has applied 'old' before it is cut off.
    const follower = clientOf([`127.0.0.1:${isolated.clientPort}`]);
    for (let poll = 0; (await follower.kv.get('/d/k', { serializable: true })).kvs.length === 0; poll++) {
      expect(poll).toBeLessThan(200);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const ids = await Promise.all(c.members.map(async (m) => (await c.raftStatus(m)).memberId));
    const isolatedId = (await c.raftStatus(isolated)).memberId;
    const others = ids.filter((id) => id !== isolatedId);
    await c.setFaults(isolated, { dropTo: others, dropFrom: others });
    await put('new');
    const stale = await record({ kind: 'get', key: '/d/k' }, async () => {
      const result = await follower.kv.get('/d/k', { serializable: true });
      const kv = result.kvs[0];
      return { kind: 'get', found: kv ? { value: kv.valueString, modRevision: kv.modRevision } : null, revision: result.header.revision };
    });
    expect(stale.output.kind === 'get' && stale.output.found?.value).toBe('old');
    const result = checkLinearizability(history);
    expect(result.ok).toBe(false);
    expect(result.violations[0]!.culprit.id).toBe(stale.id);
    expect(lostWrites(history)).toHaveLength(1);
  }, 60_000);
});
