// The quorum rules of --strict-reconfig-check (etcd's mayAddMember, mayRemoveMember and
// mayPromoteMember) over small clusters; the end-to-end comparison with etcd is in
// strictReconfigCheck.test.ts.
import { describe, expect, it } from 'vitest';
import type { NodeId } from '../../core/raft/types.js';
import { checkAddMember, checkPromoteMember, checkRemoveMember, type ReconfigurationView } from '../../core/server/reconfigurationCheck.js';

function view(voters: readonly { id: string; started?: boolean; active?: boolean }[]): ReconfigurationView {
  return {
    self: 'a' as NodeId,
    voters: voters.map((v) => ({ id: v.id as NodeId, started: v.started ?? true })),
    isActive: (id) => id === 'a' || voters.find((v) => v.id === id)?.active !== false,
  };
}

describe('strict reconfiguration checks', () => {
  it('lets a one-member cluster add a voter, to grow a cluster rebuilt from one member', () => {
    expect(checkAddMember(view([{ id: 'a' }]), false)).toBeNull();
    expect(checkAddMember(view([{ id: 'a' }, { id: 'b', started: false }]), false)).toBe('NOT_ENOUGH_STARTED');
  });

  it('adds a learner without counting started members, but not while a voter is unreachable', () => {
    expect(checkAddMember(view([{ id: 'a' }, { id: 'b', started: false, active: false }]), true)).toBe('UNHEALTHY');
    expect(checkAddMember(view([{ id: 'a' }, { id: 'b', started: false }, { id: 'c', started: false }]), true)).toBeNull();
    expect(checkAddMember(view([{ id: 'a' }, { id: 'b' }, { id: 'c', active: false }]), true)).toBe('UNHEALTHY');
    expect(checkAddMember(view([{ id: 'a' }, { id: 'b' }, { id: 'c' }]), true)).toBeNull();
  });

  it('removes an unreachable member, but not a live one while another is unreachable', () => {
    const oneDown = view([{ id: 'a' }, { id: 'b' }, { id: 'c', active: false }]);
    expect(checkRemoveMember(oneDown, 'c' as NodeId)).toBeNull();
    expect(checkRemoveMember(oneDown, 'b' as NodeId)).toBe('UNHEALTHY');
    expect(checkRemoveMember(oneDown, 'a' as NodeId)).toBe('UNHEALTHY');
    expect(checkRemoveMember(view([{ id: 'a' }, { id: 'b' }, { id: 'c' }]), 'b' as NodeId)).toBeNull();
    expect(checkRemoveMember(view([{ id: 'a' }, { id: 'b', started: false }, { id: 'c', started: false }]), 'a' as NodeId)).toBe('NOT_ENOUGH_STARTED');
  });

  it('promotes a learner when, counted as started, it keeps a quorum of started voters', () => {
    expect(checkPromoteMember(view([{ id: 'a' }]))).toBeNull();
    expect(checkPromoteMember(view([{ id: 'a' }, { id: 'b', started: false }, { id: 'c', started: false }]))).toBe('NOT_ENOUGH_STARTED');
  });
});
