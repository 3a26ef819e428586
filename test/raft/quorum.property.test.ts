// Property tests of quorum arithmetic: the majority-reached value, election outcomes and
// activity checks against brute-force definitions.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { majority, quorumValue, voteResult } from '../../core/raft/index.js';
import { nodeId } from '../../core/raft/index.js';
import type { NodeId } from '../../core/raft/index.js';
import { quorumActive } from '../../core/raft/quorum.js';

const votersArbitrary = fc.uniqueArray(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 9 }).map((ns) => ns.map((n) => nodeId(`n${n}`)));

describe('quorum math', () => {
  it('a majority of n voters is more than half of them and any two majorities intersect', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), (n) => {
        const m = majority(n);
        expect(m * 2).toBeGreaterThan(n);
        expect((m - 1) * 2).toBeLessThanOrEqual(n);
        expect(2 * m - n).toBeGreaterThanOrEqual(1);
      }),
    );
  });

  it('the quorum value is the largest value that at least a majority have reached', () => {
    fc.assert(
      fc.property(votersArbitrary, fc.array(fc.nat({ max: 100 }), { minLength: 9, maxLength: 9 }), (voters, values) => {
        const valueOf = (id: NodeId): number => values[voters.indexOf(id)]!;
        const result = quorumValue(voters, valueOf);
        const reached = (v: number): number => voters.filter((id) => valueOf(id) >= v).length;
        expect(reached(result)).toBeGreaterThanOrEqual(majority(voters.length));
        expect(reached(result + 1)).toBeLessThan(majority(voters.length));
      }),
    );
  });

  it('raising any voter value never lowers the quorum value (commit never regresses)', () => {
    fc.assert(
      fc.property(votersArbitrary, fc.array(fc.nat({ max: 100 }), { minLength: 9, maxLength: 9 }), fc.nat({ max: 8 }), fc.nat({ max: 50 }), (voters, values, which, raise) => {
        const before = quorumValue(voters, (id) => values[voters.indexOf(id)]!);
        const raised = values.slice();
        raised[which % voters.length] = raised[which % voters.length]! + raise;
        const after = quorumValue(voters, (id) => raised[voters.indexOf(id)]!);
        expect(after).toBeGreaterThanOrEqual(before);
      }),
    );
  });

  it('an election is won exactly when a majority granted, lost exactly when a majority can no longer grant', () => {
    fc.assert(
      fc.property(votersArbitrary, fc.array(fc.constantFrom<boolean | undefined>(true, false, undefined), { minLength: 9, maxLength: 9 }), (voters, answers) => {
        const votes = new Map<NodeId, boolean>();
        voters.forEach((id, i) => {
          const answer = answers[i];
          if (answer !== undefined) votes.set(id, answer);
        });
        // Votes from non-voters never count.
        votes.set(nodeId('outsider'), true);
        const granted = voters.filter((id) => votes.get(id) === true).length;
        const rejected = voters.filter((id) => votes.get(id) === false).length;
        const result = voteResult(voters, votes);
        const m = majority(voters.length);
        if (granted >= m) expect(result).toBe('won');
        else if (voters.length - rejected < m) expect(result).toBe('lost');
        else expect(result).toBe('pending');
      }),
    );
  });

  it('a quorum is active exactly when a majority of voters are', () => {
    fc.assert(
      fc.property(votersArbitrary, fc.array(fc.boolean(), { minLength: 9, maxLength: 9 }), (voters, active) => {
        const isActive = (id: NodeId): boolean => active[voters.indexOf(id)]!;
        const count = voters.filter(isActive).length;
        expect(quorumActive(voters, isActive)).toBe(count >= majority(voters.length));
      }),
    );
  });
});
