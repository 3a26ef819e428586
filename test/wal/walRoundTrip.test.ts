// Property: any sequence of saves (appends, a new leader overwriting the tail, hard states,
// snapshot markers, installed snapshots), rotations, releases and reopenings replays to exactly
// the log a simple in-memory model holds.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Entry, HardState } from '../../core/raft/types.js';
import { index, term } from '../../core/raft/types.js';
import { Wal, type WalSnapshotMarker } from '../../core/wal/index.js';
import { cleanUpTempDirs, hardState, makeEntries, metadata, plain, tempDir } from './walFixtures.js';

cleanUpTempDirs();

type Op =
  | { readonly kind: 'append'; readonly count: number; readonly wait: boolean }
  | { readonly kind: 'overwrite'; readonly back: number; readonly count: number; readonly wait: boolean }
  | { readonly kind: 'hardState'; readonly wait: boolean }
  | { readonly kind: 'marker'; readonly back: number }
  | { readonly kind: 'install'; readonly ahead: number }
  | { readonly kind: 'release' }
  | { readonly kind: 'reopen' };

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('append' as const), count: fc.integer({ min: 1, max: 6 }), wait: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('overwrite' as const),
      back: fc.integer({ min: 0, max: 8 }),
      count: fc.integer({ min: 1, max: 4 }),
      wait: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('hardState' as const), wait: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('marker' as const), back: fc.integer({ min: 0, max: 6 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('install' as const), ahead: fc.integer({ min: 1, max: 5 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'release' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) },
);

/** The expected durable state: the whole log by index, plus what was saved last. */
class Model {
  log = new Map<number, Entry>();
  lastIndex = 0;
  currentTerm = 1;
  marker: WalSnapshotMarker = { index: index(0), term: term(0) };
  hardState: HardState = hardState(0, 0);

  save(entries: Entry[]): void {
    const first = entries[0]!.index;
    for (let i = first; i <= this.lastIndex; i++) this.log.delete(i);
    for (const e of entries) this.log.set(e.index, e);
    this.lastIndex = entries[entries.length - 1]!.index;
  }

  termAt(i: number): number {
    return i === this.marker.index ? this.marker.term : this.log.get(i)!.term;
  }

  expectedEntries(): Entry[] {
    const out: Entry[] = [];
    for (let i = this.marker.index + 1; i <= this.lastIndex; i++) out.push(this.log.get(i)!);
    return out;
  }
}

async function run(ops: readonly Op[], segmentBytes: number): Promise<void> {
  const dir = tempDir();
  let wal = await Wal.create(dir, metadata, { segmentBytes });
  const model = new Model();
  let pending: Array<Promise<void>> = [];
  const reopen = async (): Promise<void> => {
    await Promise.all(pending);
    pending = [];
    await wal.close();
    const snapshot = model.marker.index > 0 ? { snapshot: model.marker } : {};
    const opened = await Wal.open(dir, { segmentBytes, ...snapshot });
    wal = opened.wal;
    expect(opened.metadata).toEqual(metadata);
    expect(opened.hardState).toEqual(model.hardState);
    expect(plain(opened.entries)).toEqual(plain(model.expectedEntries()));
    expect(wal.lastIndex).toBe(model.lastIndex);
  };
  for (const op of ops) {
    switch (op.kind) {
      case 'append':
      case 'overwrite': {
        let first = model.lastIndex + 1;
        if (op.kind === 'overwrite') {
          first = Math.max(model.marker.index + 1, model.lastIndex - op.back, 1);
          model.currentTerm++;
        }
        const entries = makeEntries(first, first + op.count - 1, model.currentTerm);
        model.save(entries);
        const saved = wal.save(null, entries);
        if (op.wait) await saved;
        else pending.push(saved);
        break;
      }
      case 'hardState': {
        model.hardState = hardState(model.currentTerm, Math.max(model.marker.index, model.lastIndex - 2), 'a1');
        const saved = wal.save(model.hardState, []);
        if (op.wait) await saved;
        else pending.push(saved);
        break;
      }
      case 'marker': {
        const at = Math.max(model.marker.index, model.lastIndex - op.back);
        model.marker = { index: index(at), term: term(model.termAt(at)) };
        pending.push(wal.saveSnapshotMarker(model.marker));
        break;
      }
      case 'install': {
        model.currentTerm++;
        model.marker = { index: index(model.lastIndex + op.ahead), term: term(model.currentTerm) };
        model.log.clear();
        model.lastIndex = model.marker.index;
        pending.push(wal.saveSnapshotMarker(model.marker));
        break;
      }
      case 'release':
        await Promise.all(pending);
        pending = [];
        await wal.releaseTo(model.marker.index);
        break;
      case 'reopen':
        await reopen();
        break;
    }
  }
  await reopen();
  await wal.close();
}

describe('WAL round trip', () => {
  it('replays exactly the modelled log after any sequence of saves, rotations, releases and reopens', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArbitrary, { minLength: 1, maxLength: 40 }), fc.constantFrom(256, 700, 4096), run),
      { seed: 20261124, numRuns: 200 },
    );
  });

  it('replays a long log written across many segments after a reopen', async () => {
    const ops: Op[] = [];
    for (let i = 0; i < 60; i++) ops.push({ kind: 'append', count: 5, wait: i % 3 === 0 });
    ops.push({ kind: 'marker', back: 20 }, { kind: 'release' }, { kind: 'reopen' });
    await run(ops, 512);
  });
});
