// The checker on hand-written histories: linearizable ones it must accept (concurrency, unknown
// outcomes) and classic anomalies it must reject (stale read, lost write, phantom value, CAS on a
// stale value, wrong mod revision), with a report naming the failing operation.
import { describe, expect, it } from 'vitest';
import type { KvInput, KvOperation, KvOutput } from './history.js';
import { checkLinearizability } from './linearizabilityChecker.js';

let nextId = 0;
function op(clientId: number, callMs: number, returnMs: number, input: KvInput, output: KvOutput): KvOperation {
  return { id: nextId++, clientId, input, output, callMs, returnMs: output.kind === 'unknown' ? Infinity : returnMs };
}
const put = (key: string, value: string): KvInput => ({ kind: 'put', key, value });
const get = (key: string): KvInput => ({ kind: 'get', key });
const cas = (key: string, expected: string, value: string): KvInput => ({ kind: 'cas', key, expected, value });
const del = (key: string): KvInput => ({ kind: 'delete', key });
const putOk = (revision: number): KvOutput => ({ kind: 'put', revision });
const found = (value: string, modRevision: number, revision: number): KvOutput => ({ kind: 'get', found: { value, modRevision }, revision });
const absent = (revision: number): KvOutput => ({ kind: 'get', found: null, revision });
const casOut = (succeeded: boolean, revision: number): KvOutput => ({ kind: 'cas', succeeded, revision });
const unknown: KvOutput = { kind: 'unknown' };

describe('accepting linearizable histories', () => {
  it('accepts a sequential history of puts, reads, compare-and-sets and deletes', () => {
    const history = [
      op(1, 0, 1, get('k'), absent(1)),
      op(1, 2, 3, put('k', 'a'), putOk(2)),
      op(1, 4, 5, cas('k', 'a', 'b'), casOut(true, 3)),
      op(1, 6, 7, cas('k', 'a', 'c'), casOut(false, 3)),
      op(1, 8, 9, get('k'), found('b', 3, 3)),
      op(1, 10, 11, del('k'), { kind: 'delete', deleted: 1, revision: 4 }),
      op(1, 12, 13, del('k'), { kind: 'delete', deleted: 0, revision: 4 }),
      op(1, 14, 15, get('k'), absent(4)),
    ];
    const result = checkLinearizability(history);
    expect(result.ok).toBe(true);
    expect(result.operationsChecked).toBe(8);
  });

  it('accepts a read concurrent with a write seeing either the old or the new value', () => {
    const base = [op(1, 0, 1, put('k', 'a'), putOk(2)), op(1, 2, 10, put('k', 'b'), putOk(3))];
    expect(checkLinearizability([...base, op(2, 3, 4, get('k'), found('a', 2, 2))]).ok).toBe(true);
    expect(checkLinearizability([...base, op(2, 3, 4, get('k'), found('b', 3, 3))]).ok).toBe(true);
  });

  it('accepts reads that order two concurrent writes the opposite way to their calls', () => {
    const history = [
      op(1, 0, 10, put('k', 'a'), putOk(3)),
      op(2, 1, 10, put('k', 'b'), putOk(2)),
      op(3, 11, 12, get('k'), found('a', 3, 3)),
    ];
    expect(checkLinearizability(history).ok).toBe(true);
  });

  it('accepts a write of unknown outcome that took effect long after its call', () => {
    const history = [
      op(1, 0, 1, put('k', 'a'), putOk(2)),
      op(2, 2, 3, put('k', 'lost?'), unknown),
      op(1, 4, 5, get('k'), found('a', 2, 2)),
      op(1, 50, 51, get('k'), found('lost?', 7, 7)),
    ];
    expect(checkLinearizability(history).ok).toBe(true);
  });

  it('accepts a write of unknown outcome that never took effect', () => {
    const history = [
      op(1, 0, 1, put('k', 'a'), putOk(2)),
      op(2, 2, 3, put('k', 'b'), unknown),
      op(1, 4, 5, get('k'), found('a', 2, 2)),
      op(1, 6, 7, cas('k', 'a', 'c'), casOut(true, 3)),
    ];
    expect(checkLinearizability(history).ok).toBe(true);
  });

  it('checks keys independently, so a history over many keys is accepted key by key', () => {
    const history = [
      op(1, 0, 5, put('x', '1'), putOk(2)),
      op(2, 0, 5, put('y', '1'), putOk(3)),
      op(1, 6, 7, get('x'), found('1', 2, 3)),
      op(2, 6, 7, get('y'), found('1', 3, 3)),
    ];
    const result = checkLinearizability(history);
    expect(result.ok).toBe(true);
    expect(result.keysChecked).toBe(2);
  });
});

describe('rejecting non-linearizable histories', () => {
  it('rejects a stale read after a newer write returned', () => {
    const history = [
      op(1, 0, 1, put('k', 'a'), putOk(2)),
      op(1, 2, 3, put('k', 'b'), putOk(3)),
      op(2, 4, 5, get('k'), found('a', 2, 3)),
    ];
    const result = checkLinearizability(history);
    expect(result.ok).toBe(false);
    expect(result.violations).toHaveLength(1);
    expect(result.violations[0]!.culprit.id).toBe(history[2]!.id);
  });

  it('rejects a lost acknowledged write', () => {
    const history = [op(1, 0, 1, put('k', 'a'), putOk(2)), op(2, 2, 3, get('k'), absent(2))];
    expect(checkLinearizability(history).ok).toBe(false);
  });

  it('rejects a read of a value that was never written', () => {
    const history = [op(1, 0, 1, put('k', 'a'), putOk(2)), op(2, 0, 3, get('k'), found('z', 2, 2))];
    expect(checkLinearizability(history).ok).toBe(false);
  });

  it('rejects a compare-and-set that succeeded on a stale value', () => {
    const history = [
      op(1, 0, 1, put('k', 'a'), putOk(2)),
      op(1, 2, 3, put('k', 'b'), putOk(3)),
      op(2, 4, 5, cas('k', 'a', 'c'), casOut(true, 4)),
    ];
    expect(checkLinearizability(history).ok).toBe(false);
  });

  it('rejects a compare-and-set that failed although the expected value was current', () => {
    const history = [op(1, 0, 1, put('k', 'a'), putOk(2)), op(2, 2, 3, cas('k', 'a', 'c'), casOut(false, 2))];
    expect(checkLinearizability(history).ok).toBe(false);
  });

  it('rejects a read with the right value but another mod revision', () => {
    const history = [op(1, 0, 1, put('k', 'a'), putOk(2)), op(2, 2, 3, get('k'), found('a', 5, 5))];
    expect(checkLinearizability(history).ok).toBe(false);
  });

  it('rejects a delete that reports a deletion of an absent key', () => {
    const history = [op(1, 0, 1, get('k'), absent(1)), op(1, 2, 3, del('k'), { kind: 'delete', deleted: 1, revision: 2 })];
    expect(checkLinearizability(history).ok).toBe(false);
  });

  it('rejects two reads that see two concurrent writes in opposite orders', () => {
    const history = [
      op(1, 0, 10, put('k', 'a'), putOk(2)),
      op(2, 0, 10, put('k', 'b'), putOk(3)),
      op(3, 11, 12, get('k'), found('a', 2, 3)),
      op(4, 13, 14, get('k'), found('b', 3, 3)),
    ];
    expect(checkLinearizability(history).ok).toBe(false);
  });

  it('reports the smallest failing prefix with the failing read and the write it missed', () => {
    const history = [
      op(1, 0, 1, put('k', 'a'), putOk(2)),
      op(1, 2, 3, get('k'), found('a', 2, 2)),
      op(1, 4, 5, put('k', 'b'), putOk(3)),
      op(2, 6, 7, get('k'), found('a', 2, 3)),
      op(1, 8, 9, put('k', 'c'), putOk(4)),
      op(2, 10, 11, get('k'), found('c', 4, 4)),
    ];
    const [violation] = checkLinearizability(history).violations;
    expect(violation).toBeDefined();
    expect(violation!.prefixLength).toBe(4);
    expect(violation!.keyOperations).toBe(6);
    expect(violation!.window.map((o) => o.id)).toContain(history[2]!.id);
    expect(violation!.text).toContain(`#${history[3]!.id}`);
    expect(violation!.text).toContain('The first 4 of 6 operations');
  });

  it('gives up with an inconclusive verdict rather than a false one when the step budget runs out', () => {
    const history = Array.from({ length: 12 }, (_, i) => op(i, 0, 100, put('k', `v${i}`), putOk(i + 2)));
    history.push(op(99, 101, 102, get('k'), found('nope', 1, 14)));
    const result = checkLinearizability(history, { searchStepsMax: 50 });
    expect(result.ok).toBe(false);
    expect(result.inconclusiveKeys).toEqual(['k']);
    expect(result.violations).toHaveLength(0);
  });
});
