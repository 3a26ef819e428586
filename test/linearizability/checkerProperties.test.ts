// Properties of the checkers on generated histories: every history built from a sequential
// execution with intervals around the linearization points is accepted; on histories where no
// operations overlap, the search agrees exactly with a replay of the model in time order, so
// mutations that break the real-time order are rejected; swapped writes break revision order.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KvOperation } from './history.js';
import { createdRevision } from './history.js';
import { commandsArbitrary, historyOf } from './historyGenerator.js';
import { illegal, initialKeyState, stepKey } from './kvModel.js';
import type { KeyState } from './kvModel.js';
import { checkLinearizability } from './linearizabilityChecker.js';
import { checkRevisions } from './revisionChecker.js';

const runs = { seed: 20_261_124, numRuns: 300 };

/**
 * Replays non-overlapping operations in time order through the model, key by key; returns the
 * first operation the model refuses, or undefined when it accepts them all.
 */
function firstRefused(history: readonly KvOperation[]): KvOperation | undefined {
  const states = new Map<string, KeyState>();
  for (const operation of [...history].sort((a, b) => a.callMs - b.callMs)) {
    const next = stepKey(states.get(operation.input.key) ?? initialKeyState, operation.input, operation.output);
    if (next === illegal) return operation;
    states.set(operation.input.key, next);
  }
  return undefined;
}

/** Exchanges the time slots of operations i and j (a reordering in real time). */
function swapSlots(history: readonly KvOperation[], i: number, j: number): KvOperation[] {
  const a = history[i]!;
  const b = history[j]!;
  return history.map((operation, index) => {
    if (index === i) return { ...operation, callMs: b.callMs, returnMs: b.returnMs };
    if (index === j) return { ...operation, callMs: a.callMs, returnMs: a.returnMs };
    return operation;
  });
}

describe('checker properties', () => {
  it('accepts every concurrent history generated from a sequential execution, including lost outcomes and phantom writes', () => {
    fc.assert(
      fc.property(commandsArbitrary(40, 3), (commands) => {
        const history = historyOf(commands, true);
        const result = checkLinearizability(history);
        expect(result.violations.map((v) => v.text)).toEqual([]);
        expect(result.ok).toBe(true);
        expect(checkRevisions(history)).toEqual([]);
      }),
      runs,
    );
  });

  it('agrees with a time-ordered model replay on non-overlapping histories whose operations were reordered, and reports the first refused operation', () => {
    let rejected = 0;
    fc.assert(
      fc.property(commandsArbitrary(30, 2), fc.nat(), fc.nat(), (commands, first, second) => {
        const history = historyOf(commands, false);
        const mutated = swapSlots(history, first % history.length, second % history.length);
        const refused = firstRefused(mutated);
        const result = checkLinearizability(mutated);
        expect(result.ok).toBe(refused === undefined);
        if (refused === undefined) return;
        rejected++;
        // Without overlap the smallest failing prefix ends exactly at the first refused operation.
        expect(result.violations.map((v) => v.culprit.id)).toContain(refused.id);
      }),
      runs,
    );
    // The mutations are not vacuous: a good share of them break linearizability.
    expect(rejected).toBeGreaterThan(runs.numRuns / 10);
  });

  it('rejects, by revision order, two writes whose time slots were swapped', () => {
    let checked = 0;
    fc.assert(
      fc.property(commandsArbitrary(30, 3), fc.nat(), fc.nat(), (commands, first, second) => {
        const history = historyOf(commands, false);
        const writes = history.map((op, index) => ({ op, index })).filter(({ op }) => createdRevision(op) !== undefined);
        fc.pre(writes.length >= 2);
        const i = writes[first % writes.length]!.index;
        const j = writes[second % writes.length]!.index;
        fc.pre(i !== j);
        checked++;
        const violations = checkRevisions(swapSlots(history, i, j));
        expect(violations.some((v) => v.rule === 'real-time')).toBe(true);
      }),
      runs,
    );
    expect(checked).toBeGreaterThan(runs.numRuns / 2);
  });

  it('rejects a read changed to return a value the key no longer held', () => {
    let checked = 0;
    fc.assert(
      fc.property(commandsArbitrary(30, 1), fc.nat(), (commands, pick) => {
        const history = historyOf(commands, false);
        // A read after at least one overwrite, changed to what the key held at the first write.
        const firstWrite = history.find((op) => op.input.kind === 'put');
        fc.pre(firstWrite !== undefined && firstWrite.output.kind === 'put');
        const firstRevision = firstWrite.output.kind === 'put' ? firstWrite.output.revision : 0;
        const candidates = history
          .map((op, index) => ({ op, index }))
          .filter(({ op }) => op.output.kind === 'get' && op.output.revision > firstRevision && !(op.output.found?.modRevision === firstRevision));
        fc.pre(candidates.length > 0);
        const { op, index } = candidates[pick % candidates.length]!;
        fc.pre(op.output.kind === 'get' && firstWrite.input.kind === 'put');
        const stale = { ...op, output: { ...op.output, found: { value: firstWrite.input.value, modRevision: firstRevision } } };
        const mutated = history.map((other, i) => (i === index ? stale : other));
        checked++;
        expect(checkLinearizability(mutated).ok).toBe(false);
      }),
      runs,
    );
    expect(checked).toBeGreaterThan(runs.numRuns / 4);
  });
});
