// Property test of watch delivery: random write batches interleaved with random congestion,
// `ready` calls, event-loop turns and watcher starts; every watcher must end up with exactly the
// store's changes in its range from its start revision, in order, with no gap or duplicate.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { MvccStore } from '../../core/mvcc/mvccStore.js';
import { WatchHub } from '../../core/mvcc/watchHub.js';
import type { WatchResponse } from '../../core/mvcc/watchHub.js';
import { cleanup, openStore } from './tempStore.js';

afterEach(cleanup);

const keyNames = ['a', 'b', 'c', 'd'];

type Step =
  | { kind: 'write'; keys: number[]; delete: boolean }
  | { kind: 'congest'; watcher: number }
  | { kind: 'ready'; watcher: number }
  | { kind: 'turn' }
  | { kind: 'watch'; back: number; prefix: boolean; key: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('write' as const), keys: fc.array(fc.nat(3), { minLength: 1, maxLength: 4 }), delete: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('congest' as const), watcher: fc.nat(5) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('ready' as const), watcher: fc.nat(5) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('turn' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('watch' as const), back: fc.nat(12), prefix: fc.boolean(), key: fc.nat(3) }) },
);

interface Observer {
  id: number;
  start: number;
  key: string;
  prefix: boolean;
  accept: boolean;
  received: WatchResponse[];
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function expectedRevisions(store: MvccStore, observer: Observer): string[] {
  return store.reader
    .revisionsBetween(observer.start, store.revision, 1_000_000, false)
    .flatMap((r) =>
      r.events
        .filter((e) => {
          const key = Buffer.from(e.kv.key).toString();
          return observer.prefix ? key.startsWith(observer.key) : key === observer.key;
        })
        .map((e) => `${r.revision}:${e.type}:${Buffer.from(e.kv.key).toString()}`),
    );
}

describe('watch delivery', () => {
  it('gives every watcher its range changes in order, exactly once, under random congestion', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 80 }), async (steps) => {
        const store = openStore();
        const hub = new WatchHub(store, { watcherPendingResponsesMax: 3, catchUpRevisionsMax: 2 });
        const observers: Observer[] = [];
        const addObserver = (start: number, key: string, prefix: boolean): void => {
          const observer: Observer = { id: 0, start, key, prefix, accept: true, received: [] };
          const end = prefix ? { rangeEnd: Buffer.from(key.slice(0, -1) + String.fromCharCode(key.charCodeAt(key.length - 1) + 1)) } : {};
          observer.id = hub.watch({ key: Buffer.from(key), ...end, startRevision: start }, {
            send: (response) => {
              observer.received.push(response);
              return observer.accept;
            },
          });
          observers.push(observer);
        };
        addObserver(1, 'a', false);
        addObserver(1, 'b', true);
        let counter = 0;
        try {
          for (const step of steps) {
            const observer = 'watcher' in step ? observers[step.watcher % observers.length]! : undefined;
            if (step.kind === 'write') {
              store.applyBatch(null, (batch) => {
                for (const index of step.keys) {
                  const key = Buffer.from(keyNames[index]! + (index % 2 === 0 ? '' : 'x'));
                  if (step.delete) batch.deleteRange({ key });
                  else batch.put({ key, value: Buffer.from(String(counter++)) });
                }
              });
            } else if (step.kind === 'congest') observer!.accept = false;
            else if (step.kind === 'ready') {
              observer!.accept = true;
              hub.ready(observer!.id);
            } else if (step.kind === 'turn') await turn();
            else addObserver(Math.max(1, store.revision + 1 - step.back), keyNames[step.key]!, step.prefix);
          }
          for (const observer of observers) {
            observer.accept = true;
            hub.ready(observer.id);
          }
          await hub.whenIdle();
          for (const observer of observers) {
            const revisions = observer.received.map((r) => r.revision);
            expect(revisions).toEqual([...revisions].sort((x, y) => x - y));
            expect(new Set(revisions).size).toBe(revisions.length);
            // A response never carries an event newer than its own revision.
            for (const response of observer.received) for (const e of response.events) expect(e.kv.modRevision).toBeLessThanOrEqual(response.revision);
            const actual = observer.received.flatMap((r) => r.events.map((e) => `${e.kv.modRevision}:${e.type}:${Buffer.from(e.kv.key).toString()}`));
            expect(actual).toEqual(expectedRevisions(store, observer));
          }
        } finally {
          hub.close();
          cleanup();
        }
      }),
      { seed: 424242, numRuns: 400 },
    );
  });
});
