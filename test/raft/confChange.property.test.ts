// Property tests of membership changes as pure functions: every accepted change keeps voters and
// learners disjoint and changes exactly one member; refusals leave nothing changed; the encoding
// round-trips and rejects malformed records.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ConfChangeDecodeError,
  ConfChangeRefusedError,
  applyChange,
  confChangeTypes,
  decodeConfChange,
  encodeConfChange,
  nodeId,
} from '../../core/raft/index.js';
import type { ConfChange, ConfState } from '../../core/raft/index.js';

const changeArbitrary: fc.Arbitrary<ConfChange> = fc.record({
  type: fc.constantFrom(...confChangeTypes),
  nodeId: fc.integer({ min: 1, max: 8 }).map((n) => nodeId(`n${n}`)),
  context: fc.uint8Array({ maxLength: 32 }),
});

function members(conf: ConfState): Set<string> {
  return new Set([...conf.voters, ...conf.learners]);
}

describe('configuration changes', () => {
  it('any sequence of changes keeps voters and learners disjoint, duplicate-free and never empty of voters', () => {
    fc.assert(
      fc.property(fc.array(changeArbitrary, { maxLength: 60 }), (changes) => {
        let conf: ConfState = { voters: [nodeId('n1')], learners: [] };
        for (const change of changes) {
          const before = conf;
          try {
            conf = applyChange(conf, change);
          } catch (error) {
            expect(error).toBeInstanceOf(ConfChangeRefusedError);
            expect(conf).toBe(before);
            continue;
          }
          expect(new Set(conf.voters).size).toBe(conf.voters.length);
          expect(new Set(conf.learners).size).toBe(conf.learners.length);
          expect(conf.voters.some((id) => conf.learners.includes(id))).toBe(false);
          expect(conf.voters.length).toBeGreaterThan(0);
          // Single-server change: the voter set differs by at most one member.
          const added = conf.voters.filter((id) => !before.voters.includes(id)).length;
          const removed = before.voters.filter((id) => !conf.voters.includes(id)).length;
          expect(added + removed).toBeLessThanOrEqual(1);
          const changed = [...members(conf)].filter((id) => !members(before).has(id)).length +
            [...members(before)].filter((id) => !members(conf).has(id)).length;
          expect(changed).toBeLessThanOrEqual(1);
        }
      }),
    );
  });

  it('each change does what its name says when accepted', () => {
    fc.assert(
      fc.property(fc.array(changeArbitrary, { maxLength: 30 }), changeArbitrary, (setup, change) => {
        let conf: ConfState = { voters: [nodeId('n1'), nodeId('n2')], learners: [] };
        for (const c of setup) {
          try {
            conf = applyChange(conf, c);
          } catch {
            // Refused changes are skipped.
          }
        }
        let next: ConfState;
        try {
          next = applyChange(conf, change);
        } catch {
          return;
        }
        const id = change.nodeId;
        if (change.type === 'addVoter' || change.type === 'promoteLearner') expect(next.voters).toContain(id);
        if (change.type === 'promoteLearner') expect(next.learners).not.toContain(id);
        if (change.type === 'addLearner') expect(next.learners).toContain(id);
        if (change.type === 'removeVoter') expect(members(next).has(id)).toBe(false);
      }),
    );
  });

  it('encoding round-trips every change', () => {
    fc.assert(
      fc.property(changeArbitrary, fc.string({ minLength: 1, maxLength: 16 }), (change, id) => {
        const withId = { ...change, nodeId: nodeId(id) };
        expect(decodeConfChange(encodeConfChange(withId))).toEqual(withId);
      }),
    );
  });

  it('decoding rejects truncated or corrupted records with a typed error', () => {
    fc.assert(
      fc.property(changeArbitrary, fc.nat(), (change, cut) => {
        const encoded = encodeConfChange(change);
        const truncated = encoded.subarray(0, cut % 3);
        expect(() => decodeConfChange(truncated)).toThrow(ConfChangeDecodeError);
        const badType = encoded.slice();
        badType[1] = 200;
        expect(() => decodeConfChange(badType)).toThrow(ConfChangeDecodeError);
      }),
    );
  });
});
