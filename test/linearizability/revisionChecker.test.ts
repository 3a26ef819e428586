// The cross-key revision rules on hand-written histories: duplicated revisions, revisions going
// back in real time across keys, and mod revisions beyond the header are each reported; so are
// acknowledged writes that a later read does not see.
import { describe, expect, it } from 'vitest';
import type { KvInput, KvOperation, KvOutput } from './history.js';
import { lostWrites } from './lostWrites.js';
import { checkRevisions } from './revisionChecker.js';

let nextId = 0;
function op(callMs: number, returnMs: number, input: KvInput, output: KvOutput): KvOperation {
  return { id: nextId++, clientId: 1, input, output, callMs, returnMs };
}

describe('revision rules', () => {
  it('accepts writes on different keys with increasing revisions and reads that see them', () => {
    const history = [
      op(0, 1, { kind: 'put', key: 'a', value: '1' }, { kind: 'put', revision: 2 }),
      op(2, 3, { kind: 'put', key: 'b', value: '1' }, { kind: 'put', revision: 3 }),
      op(4, 5, { kind: 'get', key: 'a' }, { kind: 'get', found: { value: '1', modRevision: 2 }, revision: 3 }),
    ];
    expect(checkRevisions(history)).toEqual([]);
  });

  it('reports two acknowledged writes that created the same revision', () => {
    const history = [
      op(0, 5, { kind: 'put', key: 'a', value: '1' }, { kind: 'put', revision: 2 }),
      op(0, 5, { kind: 'put', key: 'b', value: '1' }, { kind: 'put', revision: 2 }),
    ];
    expect(checkRevisions(history).map((v) => v.rule)).toEqual(['unique']);
  });

  it('reports a write on another key that returned a lower revision after a write finished', () => {
    const history = [
      op(0, 1, { kind: 'put', key: 'a', value: '1' }, { kind: 'put', revision: 5 }),
      op(2, 3, { kind: 'put', key: 'b', value: '1' }, { kind: 'put', revision: 4 }),
    ];
    const violations = checkRevisions(history);
    expect(violations.map((v) => v.rule)).toEqual(['real-time']);
    expect(violations[0]!.text).toContain('revision went back in real time');
  });

  it('reports a read whose header revision is older than a write that finished before it started', () => {
    const history = [
      op(0, 1, { kind: 'put', key: 'a', value: '1' }, { kind: 'put', revision: 5 }),
      op(2, 3, { kind: 'get', key: 'b' }, { kind: 'get', found: null, revision: 4 }),
    ];
    expect(checkRevisions(history).map((v) => v.rule)).toEqual(['real-time']);
  });

  it('reports a read whose mod revision is beyond its header revision', () => {
    const history = [op(0, 1, { kind: 'get', key: 'a' }, { kind: 'get', found: { value: 'x', modRevision: 9 }, revision: 3 })];
    expect(checkRevisions(history).map((v) => v.rule)).toEqual(['mod-revision']);
  });

  it('ignores operations of unknown outcome', () => {
    const history = [
      op(0, 1, { kind: 'put', key: 'a', value: '1' }, { kind: 'put', revision: 5 }),
      op(2, Infinity, { kind: 'put', key: 'b', value: '1' }, { kind: 'unknown' }),
    ];
    expect(checkRevisions(history)).toEqual([]);
  });
});

describe('lost acknowledged writes', () => {
  it('names an acknowledged write that a later read does not see, and accepts one a later delete removed', () => {
    const write = op(0, 1, { kind: 'put', key: 'a', value: '1' }, { kind: 'put', revision: 2 });
    const staleRead = op(2, 3, { kind: 'get', key: 'a' }, { kind: 'get', found: null, revision: 2 });
    expect(lostWrites([write, staleRead])).toHaveLength(1);
    expect(lostWrites([write, staleRead])[0]).toContain(`#${write.id}`);
    const removed = op(1.5, 2.5, { kind: 'delete', key: 'a' }, { kind: 'delete', deleted: 1, revision: 3 });
    expect(lostWrites([write, removed, staleRead])).toEqual([]);
    const olderRead = op(2, 3, { kind: 'get', key: 'a' }, { kind: 'get', found: { value: '0', modRevision: 1 }, revision: 2 });
    expect(lostWrites([write, olderRead])).toHaveLength(1);
  });
});
