// The watch and serializable-read rules on hand-written records, and the resolution of unknown
// writes from a complete event stream.
import { describe, expect, it } from 'vitest';
import type { KvOperation } from './history.js';
import { resolveUnknownWrites } from './historyPatch.js';
import { checkSerializableReads, checkWatches } from './watchChecker.js';
import type { ObservedEvent, SerializableRead, WatchRecord } from './watchChecker.js';

const putA: KvOperation = { id: 1, clientId: 1, input: { kind: 'put', key: 'a', value: 'x' }, output: { kind: 'put', revision: 2 }, callMs: 0, returnMs: 1 };
const putB: KvOperation = { id: 2, clientId: 1, input: { kind: 'put', key: 'b', value: 'y' }, output: { kind: 'put', revision: 3 }, callMs: 2, returnMs: 3 };
const deleteA: KvOperation = { id: 3, clientId: 2, input: { kind: 'delete', key: 'a' }, output: { kind: 'delete', deleted: 1, revision: 4 }, callMs: 4, returnMs: 5 };
const history = [putA, putB, deleteA];
const events: ObservedEvent[] = [
  { revision: 2, key: 'a', type: 'put', value: 'x' },
  { revision: 3, key: 'b', type: 'put', value: 'y' },
  { revision: 4, key: 'a', type: 'delete', value: '' },
];

function watch(watcherId: number, observed: readonly ObservedEvent[], endedBy: string | null = null): WatchRecord {
  return { watcherId, startRevision: 2, events: observed, endedBy };
}

function rules(records: readonly WatchRecord[], finalRevision = 4): string[] {
  return checkWatches(records, history, finalRevision).map((v) => v.rule);
}

describe('watch rules', () => {
  it('accepts watchers that saw every revision once, in order, matching the acknowledged writes', () => {
    expect(rules([watch(1, events), watch(2, events)])).toEqual([]);
  });

  it('reports a gap, which also shows the acknowledged write the watcher missed', () => {
    expect(rules([watch(1, [events[0]!, events[2]!])])).toEqual(['gap', 'lost-write']);
  });

  it('reports a duplicated event', () => {
    expect(rules([watch(1, [events[0]!, events[1]!, events[1]!, events[2]!])])).toEqual(['order']);
  });

  it('reports a watcher that stopped before the final revision or ended early', () => {
    expect(rules([watch(1, events.slice(0, 2))])).toEqual(['incomplete', 'lost-write']);
    expect(rules([watch(1, events, 'watch stream lost')])).toEqual(['ended']);
  });

  it('reports watchers that disagree about a revision and events that no operation wrote', () => {
    const other = [events[0]!, { revision: 3, key: 'b', type: 'put' as const, value: 'z' }, events[2]!];
    expect(rules([watch(1, events), watch(2, other)])).toEqual(['disagree']);
    expect(rules([watch(1, other)])).toEqual(['lost-write', 'invented']);
  });
});

describe('serializable reads', () => {
  const read = (member: string, callMs: number, revision: number, found: SerializableRead['found']): SerializableRead => ({
    clientId: 1, member, key: 'a', callMs, returnMs: callMs + 1, found, revision,
  });

  it('accepts stale reads that never go back in time on one member', () => {
    const reads = [read('m1', 0, 2, { value: 'x', modRevision: 2 }), read('m2', 2, 1, null), read('m1', 4, 4, null)];
    expect(checkSerializableReads(reads, events, 2)).toEqual([]);
  });

  it('reports a member whose later read saw an older revision', () => {
    const reads = [read('m1', 0, 3, { value: 'x', modRevision: 2 }), read('m1', 2, 2, { value: 'x', modRevision: 2 })];
    expect(checkSerializableReads(reads, events, 2).map((v) => v.rule)).toEqual(['serializable-time']);
  });

  it('reports a pair that was never written at its mod revision', () => {
    const reads = [read('m1', 0, 3, { value: 'x', modRevision: 3 })];
    expect(checkSerializableReads(reads, events, 2).map((v) => v.rule)).toEqual(['serializable-value']);
  });
});

describe('resolving unknown writes from the event stream', () => {
  it('makes a seen write known at its revision, drops an unseen one, and keeps an unknown delete', () => {
    const seen: KvOperation = { id: 10, clientId: 3, input: { kind: 'cas', key: 'b', expected: 'q', value: 'y' }, output: { kind: 'unknown' }, callMs: 1, returnMs: Infinity };
    const unseen: KvOperation = { id: 11, clientId: 3, input: { kind: 'put', key: 'a', value: 'never' }, output: { kind: 'unknown' }, callMs: 1, returnMs: Infinity };
    const unknownDelete: KvOperation = { id: 12, clientId: 3, input: { kind: 'delete', key: 'a' }, output: { kind: 'unknown' }, callMs: 1, returnMs: Infinity };
    const resolved = resolveUnknownWrites([putA, seen, unseen, unknownDelete], events);
    expect(resolved.map((op) => op.id)).toEqual([1, 10, 12]);
    expect(resolved[1]!.output).toEqual({ kind: 'cas', succeeded: true, revision: 3 });
    expect(resolved[2]!.output).toEqual({ kind: 'unknown' });
  });
});
