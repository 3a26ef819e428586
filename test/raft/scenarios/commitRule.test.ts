// The commit rule of §5.4.2 (Figure 8 of the Raft paper): a leader never commits an entry from
// an earlier term by counting replicas, because a later leader may still overwrite it; such
// entries commit only together with an entry of the leader's own term.

import { describe, expect, it } from 'vitest';
import { TestCluster } from '../support/testCluster.js';

describe('the commit rule', () => {
  it('a leader does not commit an earlier-term entry held by a majority until its own entry is (§5.4.2, Figure 8)', () => {
    const ids = ['s1', 's2', 's3', 's4', 's5'];
    // One entry per append, so replication of old entries and the new no-op can be separated.
    const cluster = new TestCluster(ids, { maxSizePerMsgBytes: 1 });
    // (a) s1 leads term 2 and replicates index 3 only to s2.
    cluster.campaign('s1');
    cluster.partition(['s1', 's2'], ['s3', 's4', 's5']);
    cluster.propose('s1', 'old');
    expect(cluster.logTerms('s2').at(-1)).toBe(2);
    // (b) s5 leads term 3 with s3 and s4, but its own entry at index 3 reaches nobody.
    cluster.isolate('s1');
    cluster.node('s5').campaign();
    cluster.stabilize((m) => !(m.from === 's5' && m.type === 'app'));
    expect(cluster.node('s5').softState()).toMatchObject({ role: 'leader', term: 3 });
    cluster.heal();
    cluster.isolate('s5');
    // (c) s1 restarts, leads term 4 and brings s3 and s4 up to index 3, but not to its no-op.
    cluster.restart('s1');
    let term = 0;
    while (cluster.node('s1').softState().role !== 'leader') {
      cluster.node('s1').campaign();
      // Appends of the no-op reach only followers still missing index 3 (which reject them).
      cluster.stabilize(
        (m) => !(m.type === 'app' && m.entries.some((e) => e.term === 4) && cluster.logTerms(m.to).length >= 2),
      );
      term = cluster.node('s1').softState().term;
    }
    expect(term).toBe(4);
    expect(cluster.logTerms('s3')).toEqual([2, 2]);
    expect(cluster.logTerms('s4')).toEqual([2, 2]);
    const s1 = cluster.node('s1').status();
    expect(s1.progress?.['s3']?.match).toBe(3);
    expect(s1.progress?.['s4']?.match).toBe(3);
    // A majority (s1, s3, s4) is known to hold index 3, yet it is not committed: its term is 2.
    expect(s1.commit).toBe(2);
    // (d) s1 fails; s5 wins term 5 (its last term 3 beats their 2) and overwrites index 3.
    cluster.heal();
    cluster.isolate('s1');
    cluster.restart('s5');
    while (cluster.node('s5').softState().role !== 'leader') cluster.campaign('s5');
    cluster.stabilize();
    for (const id of ['s2', 's3', 's4', 's5']) expect(cluster.logTerms(id).slice(0, 2)).toEqual([2, 3]);
    for (const id of ids) expect(cluster.appliedText(id)).not.toContain('old');
  });

  it('an earlier-term entry commits once an entry of the current term is replicated on a majority (§5.4.2)', () => {
    const cluster = new TestCluster(['a', 'b', 'c']);
    cluster.campaign('a');
    cluster.partition(['a', 'b'], ['c']);
    cluster.stabilize();
    cluster.isolate('b');
    cluster.propose('a', 'old');
    expect(cluster.node('a').status().commit).toBe(2);
    cluster.restart('a');
    cluster.heal();
    cluster.isolate('c');
    cluster.campaign('a');
    expect(cluster.node('a').softState().role).toBe('leader');
    expect(cluster.appliedText('b')).toEqual(['old']);
    expect(cluster.node('a').status().commit).toBe(4);
  });
});
