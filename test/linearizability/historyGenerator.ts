// Histories for property tests of the checkers. A command list is executed on SequentialStore in
// order; each operation gets an interval around its linearization point, so the history is
// linearizable by construction. Some writes lose their outcome (unknown), and phantom writes of
// unknown outcome that never took effect are added. (Mutations are made by the property tests.)
import fc from 'fast-check';
import type { KvInput, KvOperation, KvOutput } from './history.js';
import { SequentialStore } from './sequentialStore.js';

/** One generated command: what to run and how its interval and outcome are drawn. */
export interface Command {
  readonly kind: KvInput['kind'];
  readonly key: number;
  readonly value: number;
  readonly expected: number;
  /** Interval around the linearization point, in ms before and after it. */
  readonly leadMs: number;
  readonly lagMs: number;
  /** The client lost the outcome (writes only): unknown output, no return. */
  readonly outcomeLost: boolean;
  /** A phantom write of unknown outcome that never took effect is issued alongside. */
  readonly phantom: boolean;
}

/** Distance between consecutive linearization points. */
export const pointSpacingMs = 10;

/** Commands over a few keys and few values, so operations contend and values repeat. */
export function commandsArbitrary(lengthMax: number, keys = 2): fc.Arbitrary<Command[]> {
  const command = fc.record({
    kind: fc.constantFrom<KvInput['kind']>('put', 'get', 'get', 'cas', 'delete'),
    key: fc.integer({ min: 0, max: keys - 1 }),
    value: fc.integer({ min: 0, max: 3 }),
    expected: fc.integer({ min: 0, max: 3 }),
    leadMs: fc.integer({ min: 0, max: 3 * pointSpacingMs }),
    lagMs: fc.integer({ min: 0, max: 3 * pointSpacingMs }),
    outcomeLost: fc.constantFrom(false, false, false, true),
    phantom: fc.constantFrom(false, false, false, false, true),
  });
  return fc.array(command, { minLength: 1, maxLength: lengthMax });
}

function inputOf(command: Command): KvInput {
  const key = `k${command.key}`;
  switch (command.kind) {
    case 'put':
      return { kind: 'put', key, value: `v${command.value}` };
    case 'get':
      return { kind: 'get', key };
    case 'cas':
      return { kind: 'cas', key, expected: `v${command.expected}`, value: `v${command.value}` };
    case 'delete':
      return { kind: 'delete', key };
  }
}

/**
 * Executes the commands sequentially. With `overlap`, intervals extend leadMs/lagMs around the
 * linearization point (concurrent history); without it, each operation occupies its own slot
 * and nothing overlaps (a sequential history).
 */
export function historyOf(commands: readonly Command[], overlap: boolean): KvOperation[] {
  const store = new SequentialStore();
  const history: KvOperation[] = [];
  commands.forEach((command, index) => {
    const pointMs = (index + 1) * pointSpacingMs;
    const input = inputOf(command);
    const output: KvOutput = store.apply(input);
    const callMs = overlap ? pointMs - command.leadMs : pointMs - 1;
    const returnMs = overlap ? pointMs + command.lagMs : pointMs + 1;
    const lost = overlap && command.outcomeLost && input.kind !== 'get';
    history.push({
      id: history.length,
      clientId: index,
      input,
      output: lost ? { kind: 'unknown' } : output,
      callMs,
      returnMs: lost ? Infinity : returnMs,
    });
    if (overlap && command.phantom) {
      history.push({
        id: history.length,
        clientId: 1_000 + index,
        input: { kind: 'put', key: `k${command.key}`, value: `phantom${index}` },
        output: { kind: 'unknown' },
        callMs,
        returnMs: Infinity,
      });
    }
  });
  return history;
}
