// Membership changes, one server at a time (Raft thesis §4.1), taking effect when the entry is
// applied: add and remove voters, add and promote learners, and the refusals that keep changes
// safe (one pending change, no promotion of a learner far behind, changes that do not apply).

import { describe, expect, it } from 'vitest';
import { ConfChangeRefusedError, nodeId, promoteLearnerLagEntriesMax } from '../../../core/raft/index.js';
import type { ConfChange, ConfChangeType } from '../../../core/raft/index.js';
import { TestCluster, bytes } from '../support/testCluster.js';

const change = (type: ConfChangeType, id: string): ConfChange => ({
  type,
  nodeId: nodeId(id),
  context: bytes(`http://${id}:2380`),
});

function refusalOf(action: () => void): string {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfChangeRefusedError) return error.reason;
    throw error;
  }
  return 'accepted';
}

describe('membership changes', () => {
  it('adding a voter takes effect when applied, and the new member catches up (thesis §4.1)', () => {
    const cluster = new TestCluster(['a', 'b', 'c']);
    cluster.campaign('a');
    cluster.propose('a', 'before');
    cluster.addMember('d');
    cluster.changeConf('a', change('addVoter', 'd'));
    expect(cluster.get('a').conf.voters).toEqual(['a', 'b', 'c', 'd']);
    cluster.tick(3);
    expect(cluster.get('d').conf.voters).toEqual(['a', 'b', 'c', 'd']);
    cluster.propose('a', 'after');
    expect(cluster.appliedText('d')).toEqual(['before', 'after']);
    expect(cluster.node('a').status().progress?.['d']?.match).toBe(cluster.node('a').status().lastIndex);
  });

  it('the new voter counts toward the quorum once the change is applied', () => {
    const cluster = new TestCluster(['a', 'b']);
    cluster.campaign('a');
    cluster.addMember('c');
    cluster.changeConf('a', change('addVoter', 'c'));
    cluster.tick(3);
    cluster.isolate('b');
    cluster.propose('a', 'needs-c');
    expect(cluster.appliedText('a')).toEqual(['needs-c']);
  });

  it('removing a voter shrinks the quorum', () => {
    const cluster = new TestCluster(['a', 'b', 'c', 'd']);
    cluster.campaign('a');
    cluster.changeConf('a', change('removeVoter', 'd'));
    expect(cluster.get('a').conf.voters).toEqual(['a', 'b', 'c']);
    cluster.isolate('d');
    cluster.isolate('c');
    cluster.propose('a', 'two-of-three');
    expect(cluster.appliedText('b')).toEqual(['two-of-three']);
  });

  it('a removed leader steps down cleanly and the others elect a successor', () => {
    const cluster = new TestCluster(['a', 'b', 'c']);
    cluster.campaign('a');
    cluster.changeConf('a', change('removeVoter', 'a'));
    expect(cluster.node('a').softState()).toMatchObject({ role: 'follower', leader: null });
    cluster.isolate('a');
    const successor = cluster.tickUntilLeader(['b', 'c']);
    cluster.propose(successor, 'after-removal');
    expect(cluster.appliedText('b')).toEqual(['after-removal']);
    expect(cluster.get(successor).conf.voters).toEqual(['b', 'c']);
  });

  it('a learner receives the log but neither votes nor counts toward the quorum', () => {
    const cluster = new TestCluster(['a', 'b'], {}, 1, ['l']);
    cluster.campaign('a');
    cluster.propose('a', 'x');
    expect(cluster.appliedText('l')).toEqual(['x']);
    cluster.isolate('b');
    cluster.propose('a', 'needs-b');
    expect(cluster.appliedText('l')).toEqual(['x']);
    expect(cluster.node('a').status().commit).toBe(3);
    cluster.tick(100, 'l');
    expect(cluster.node('l').softState().role).toBe('follower');
    expect(cluster.traffic.some((m) => m.from === 'l' && (m.type === 'vote' || m.type === 'preVote'))).toBe(false);
  });

  it('a learner is added, catches up and is promoted to voter', () => {
    const cluster = new TestCluster(['a', 'b', 'c']);
    cluster.campaign('a');
    cluster.propose('a', 'x');
    cluster.addMember('l');
    cluster.changeConf('a', change('addLearner', 'l'));
    cluster.tick(3);
    expect(cluster.node('a').status().progress?.['l']).toMatchObject({ isLearner: true });
    cluster.changeConf('a', change('promoteLearner', 'l'));
    expect(cluster.get('a').conf).toEqual({ voters: ['a', 'b', 'c', 'l'], learners: [] });
    expect(cluster.node('a').status().progress?.['l']?.isLearner).toBe(false);
  });

  it('a second change is refused while the first is not yet applied', () => {
    const cluster = new TestCluster(['a', 'b', 'c']);
    cluster.campaign('a');
    cluster.isolate('a');
    cluster.node('a').proposeConfChange(change('addLearner', 'l'));
    expect(refusalOf(() => cluster.node('a').proposeConfChange(change('addLearner', 'm')))).toBe('changePending');
    cluster.heal();
    cluster.tick(2);
    expect(refusalOf(() => cluster.node('a').proposeConfChange(change('addLearner', 'm')))).toBe('accepted');
  });

  it(`promoting a learner more than ${promoteLearnerLagEntriesMax} entries behind is refused`, () => {
    const cluster = new TestCluster(['a', 'b', 'c'], {}, 1, ['l']);
    cluster.campaign('a');
    cluster.isolate('l');
    for (let i = 0; i <= promoteLearnerLagEntriesMax; i++) cluster.node('a').propose(bytes(`v${i}`));
    cluster.stabilize();
    expect(refusalOf(() => cluster.node('a').proposeConfChange(change('promoteLearner', 'l')))).toBe('learnerBehind');
    cluster.heal();
    cluster.tick(3);
    expect(refusalOf(() => cluster.node('a').proposeConfChange(change('promoteLearner', 'l')))).toBe('accepted');
  });

  it('changes that do not fit the configuration are refused with their reason', () => {
    const cluster = new TestCluster(['a', 'b', 'c'], {}, 1, ['l']);
    cluster.campaign('a');
    const a = cluster.node('a');
    expect(refusalOf(() => a.proposeConfChange(change('addVoter', 'b')))).toBe('alreadyVoter');
    expect(refusalOf(() => a.proposeConfChange(change('addLearner', 'l')))).toBe('alreadyLearner');
    expect(refusalOf(() => a.proposeConfChange(change('promoteLearner', 'b')))).toBe('notLearner');
    expect(refusalOf(() => a.proposeConfChange(change('removeVoter', 'z')))).toBe('notMember');
  });

  it('the member context of a change reaches every member that applies it', () => {
    const cluster = new TestCluster(['a', 'b']);
    cluster.campaign('a');
    cluster.addMember('c');
    cluster.changeConf('a', change('addLearner', 'c'));
    const entries = cluster.get('b').storage.entries(3 as never, 4 as never, Infinity);
    expect(entries[0]?.type).toBe('confChange');
    expect(new TextDecoder().decode(entries[0]!.data)).toContain('http://c:2380');
  });
});
