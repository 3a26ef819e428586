// The configuration changes --force-new-cluster appends (forceNewCluster.ts); the end-to-end run
// against etcd is forceNewCluster.test.ts.
import { describe, expect, it } from 'vitest';
import { applyChange } from '../../core/raft/confChange.js';
import type { ConfState, NodeId } from '../../core/raft/types.js';
import { standaloneChanges } from '../../core/server/forceNewCluster.js';

const id = (text: string): NodeId => text as NodeId;

function after(conf: ConfState, self: NodeId): ConfState {
  return standaloneChanges(conf, self).reduce(applyChange, conf);
}

describe('force-new-cluster changes', () => {
  it('remove every other voter and learner, leaving this member the only voter', () => {
    expect(after({ voters: [id('a'), id('b'), id('c')], learners: [id('d')] }, id('b'))).toEqual({ voters: [id('b')], learners: [] });
  });

  it('promote this member first when it is a learner, so the last voter is never removed', () => {
    const conf = { voters: [id('a')], learners: [id('l')] };
    expect(standaloneChanges(conf, id('l')).map((c) => c.type)).toEqual(['promoteLearner', 'removeVoter']);
    expect(after(conf, id('l'))).toEqual({ voters: [id('l')], learners: [] });
  });

  it('change nothing for a member already alone', () => {
    expect(standaloneChanges({ voters: [id('a')], learners: [] }, id('a'))).toEqual([]);
  });
});
