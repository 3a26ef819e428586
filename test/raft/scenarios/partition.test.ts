// The network-partition story: a 5-member cluster split 3/2 with the old leader in the minority.
// The minority cannot commit (§5.3: commitment needs a majority); the majority elects a leader and
// carries on; when the partition heals the minority's uncommitted entries are replaced (§5.3).

import { describe, expect, it } from 'vitest';
import { TestCluster } from '../support/testCluster.js';

describe('a 3/2 partition with the old leader in the minority', () => {
  it('the minority cannot commit, and after healing its uncommitted entries are replaced by the majority log', () => {
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const cluster = new TestCluster(ids, { preVote: true, checkQuorum: true });
    cluster.campaign('a');
    cluster.propose('a', 'before');
    cluster.partition(['a', 'b'], ['c', 'd', 'e']);
    const commitBefore = cluster.node('a').status().commit;
    cluster.node('a').propose(new TextEncoder().encode('minority-1'));
    cluster.node('b').propose(new TextEncoder().encode('minority-2'));
    cluster.stabilize();
    expect(cluster.node('a').status().lastIndex).toBe(commitBefore + 2);
    expect(cluster.node('a').status().commit).toBe(commitBefore);

    const newLeader = cluster.tickUntilLeader(['c', 'd', 'e']);
    cluster.propose(newLeader, 'majority-1');
    cluster.propose(newLeader, 'majority-2');
    cluster.propose(newLeader, 'majority-3');
    expect(cluster.appliedText(newLeader)).toEqual(['before', 'majority-1', 'majority-2', 'majority-3']);
    // With check-quorum the isolated leader steps down within two election timeouts.
    cluster.tick(20);
    expect(cluster.node('a').softState().role).toBe('follower');
    expect(cluster.node('a').status().commit).toBe(commitBefore);

    cluster.heal();
    cluster.tick(5);
    for (const id of ids) {
      expect(cluster.appliedText(id)).toEqual(['before', 'majority-1', 'majority-2', 'majority-3']);
      expect(cluster.logTerms(id)).toEqual(cluster.logTerms(newLeader));
      expect(cluster.node(id).softState().leader).toBe(newLeader);
    }
  });
});
