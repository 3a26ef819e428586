// Property tests: random request sequences applied to the real store (LMDB in a temp dir) and to
// an in-memory model must give the same results, errors and watch streams. Seeded: a failure
// prints its seed and path for replay.
import { createHash } from 'node:crypto';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { inlineKeyBytesMax } from '../../core/mvcc/encoding.js';
import { StoreError } from '../../core/mvcc/errors.js';
import type { MvccStore } from '../../core/mvcc/mvccStore.js';
import type { WriteBatch } from '../../core/mvcc/writeBatch.js';
import type { Event } from '../../core/mvcc/types.js';
import { WatchHub } from '../../core/mvcc/watchHub.js';
import type { WatchResponse } from '../../core/mvcc/watchHub.js';
import { StoreModel } from './storeModel.js';
import { MvccStore as Store } from '../../core/mvcc/mvccStore.js';
import { cleanup, openStore, tempDir } from './tempStore.js';

afterEach(cleanup);

/** Long keys share this prefix, so they are stored hashed and must be re-ordered on reads. */
const longPrefix = 'x'.repeat(inlineKeyBytesMax);
const long = (suffix: string): Buffer => Buffer.from(longPrefix + suffix);

const keyArb = fc.constantFrom(
  // Their digests order differently from their bytes (c before b, ba before ab, aa after b).
  long('a'),
  long('aa'),
  long('ab'),
  long('b'),
  long('ba'),
  long('c'),
  Buffer.from(longPrefix),
  Buffer.from('a'),
  Buffer.from('ab'),
  Buffer.from('b'),
  Buffer.from('c'),
  Buffer.from([0]),
  Buffer.from([0, 0]),
  Buffer.from([0xff]),
);
/** undefined = single key, null = from-key (rangeEnd [0]), else a range end. */
const endArb = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.constantFrom(Buffer.from('b'), Buffer.from('c'), Buffer.from('d'), Buffer.from([0, 1]), Buffer.from('a'), long('ab'), long('b'), Buffer.from('y')),
);
/**
 * Value sizes around LMDB's page and overflow boundaries and up to the request limit (1.5 MiB):
 * a value over 1 MiB once broke LMDB's compacting copy, and so every member that defragmented.
 */
const bigValueBytes = [2_000, 4_096, 65_536, 1_000_000, 1_048_576, 1_572_000] as const;
const valueArb = fc.oneof(
  { weight: 6, arbitrary: fc.uint8Array({ maxLength: 6 }).map((bytes) => Buffer.from(bytes)) },
  {
    weight: 1,
    arbitrary: fc
      .record({ bytes: fc.constantFrom(...bigValueBytes), fill: fc.nat(255) })
      .map(({ bytes, fill }) => Buffer.alloc(bytes, fill)),
  },
);

type Request =
  | { kind: 'put'; key: Buffer; value: Buffer }
  | { kind: 'delete'; key: Buffer; end: Buffer | null | undefined }
  | { kind: 'txn'; compareKey: Buffer; version: number; puts: [Buffer, Buffer]; deleteKey: Buffer; deleteEnd: Buffer | null | undefined }
  | { kind: 'compact'; back: number }
  | { kind: 'range'; key: Buffer; end: Buffer | null | undefined; back: number; limit: number };

type Command =
  | Request
  | { kind: 'watch'; back: number }
  | { kind: 'batch'; requests: Request[] }
  | { kind: 'defragment'; during: Request[] }
  | { kind: 'snapshot' };

const requestArb: fc.Arbitrary<Request> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('put' as const), key: keyArb, value: valueArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: keyArb, end: endArb }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('txn' as const),
      compareKey: keyArb,
      version: fc.nat(3),
      puts: fc.tuple(keyArb, keyArb),
      deleteKey: keyArb,
      deleteEnd: endArb,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('compact' as const), back: fc.integer({ min: -1, max: 8 }) }) },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('range' as const), key: keyArb, end: endArb, back: fc.integer({ min: -1, max: 10 }), limit: fc.nat(3) }),
  },
);

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 12, arbitrary: requestArb },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('watch' as const), back: fc.integer({ min: -1, max: 10 }) }) },
  // Several requests applied in one LMDB transaction, reading each other's writes.
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('batch' as const), requests: fc.array(requestArb, { maxLength: 8 }) }) },
  // A defragment, with requests landing while it copies.
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('defragment' as const), during: fc.array(requestArb, { maxLength: 4 }) }) },
  // A snapshot file opened as a store of its own.
  { weight: 1, arbitrary: fc.constant({ kind: 'snapshot' as const }) },
);

/** What a request runs against: the store (one batch per request) or an open batch. */
type Target = Pick<MvccStore, 'put' | 'deleteRange' | 'txn' | 'compact' | 'range' | 'revision'>;

function batchTarget(store: MvccStore, batch: WriteBatch): Target {
  return {
    put: (request) => batch.put(request),
    deleteRange: (request) => batch.deleteRange(request),
    txn: (request) => batch.txn(request),
    compact: (request) => batch.compact(request),
    range: (request) => batch.range(request),
    get revision() {
      return store.revision;
    },
  };
}

const rangeEndOf = (end: Buffer | null | undefined): { rangeEnd?: Buffer } =>
  end === undefined ? {} : { rangeEnd: end === null ? Buffer.from([0]) : end };

/** Runs `f` and returns its result or the StoreError's code, so both sides compare. */
function outcome<T>(f: () => T): T | { error: string } {
  try {
    return f();
  } catch (error) {
    if (error instanceof StoreError) return { error: error.code };
    throw error;
  }
}

/** A value's bytes in hex, or its length and digest when long. */
const valueText = (value: Uint8Array): string =>
  value.length <= 64 ? Buffer.from(value).toString('hex') : `${value.length}:${createHash('sha256').update(value).digest('hex')}`;

const eventText = (revision: number, event: Event): string =>
  `${revision}:${event.type}:${Buffer.from(event.kv.key).toString('hex')}:${event.kv.version}:${event.kv.createRevision}:${valueText(event.kv.value)}:${event.prevKv?.modRevision ?? '-'}`;

async function runCommand(store: MvccStore, hub: WatchHub, model: StoreModel, command: Command): Promise<void> {
  if (command.kind === 'watch') return runWatch(store, hub, model, command.back);
  if (command.kind === 'defragment') return runDefragment(store, model, command.during);
  if (command.kind === 'snapshot') return runSnapshot(store, model);
  if (command.kind === 'batch') {
    store.applyBatch(null, (batch) => {
      const target = batchTarget(store, batch);
      for (const request of command.requests) runRequest(target, model, request);
    });
    return;
  }
  runRequest(store, model, command);
}

/** Runs one request on both sides and compares outcomes. */
function runRequest(store: Target, model: StoreModel, command: Request): void {
  switch (command.kind) {
    case 'put':
      expect(outcome(() => store.put({ key: command.key, value: command.value }).revision)).toEqual(model.put(command.key, command.value));
      return;
    case 'delete': {
      const actual = outcome(() => store.deleteRange({ key: command.key, ...rangeEndOf(command.end) }));
      const expected = model.deleteRange(command.key, command.end);
      expect(actual).toMatchObject(expected);
      return;
    }
    case 'txn': {
      const actual = outcome(() => {
        const response = store.txn({
          compare: [{ target: 'VERSION', result: 'EQUAL', key: command.compareKey, version: command.version }],
          success: command.puts.map((key) => ({ requestPut: { key, value: Buffer.from(`txn${store.revision + 1}`) } })),
          failure: [{ requestDeleteRange: { key: command.deleteKey, ...rangeEndOf(command.deleteEnd) } }],
        });
        return { revision: response.revision, succeeded: response.succeeded };
      });
      const expected = outcome(() => model.txn(command.compareKey, command.version, command.puts, command.deleteKey, command.deleteEnd));
      expect(actual).toEqual(expected);
      return;
    }
    case 'compact': {
      const revision = model.revision - command.back;
      const actual = outcome(() => store.compact({ revision }).revision);
      const expected = outcome(() => {
        model.compact(revision);
        return model.revision;
      });
      expect(actual).toEqual(expected);
      return;
    }
    case 'range': {
      const revision = command.back < 0 ? 0 : Math.max(0, model.revision - command.back);
      const actual = outcome(() => {
        const response = store.range({ key: command.key, ...rangeEndOf(command.end), revision, limit: command.limit });
        return { kvs: response.kvs, more: response.more, count: response.count };
      });
      expect(actual).toEqual(outcome(() => model.range(command.key, command.end, revision, command.limit)));
      return;
    }
  }
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const kvText = (kv: { key: Uint8Array; value: Uint8Array; modRevision: number }): string =>
  `${Buffer.from(kv.key).toString('hex')}=${valueText(kv.value)}@${kv.modRevision}`;

/** Every live key and value of a store, as text. */
const contentsOf = (store: Pick<MvccStore, 'range'>): string[] =>
  store.range({ key: Buffer.from([0]), rangeEnd: Buffer.from([0]) }).kvs.map(kvText);

/** Defragments while `during` runs a request per turn; nothing may change but the file. */
async function runDefragment(store: MvccStore, model: StoreModel, during: Request[]): Promise<void> {
  const defragmenting = store.defragment();
  for (const request of during) {
    await nextTurn();
    runRequest(store, model, request);
  }
  expect(await defragmenting).toBe(true);
  expect(store.revision).toBe(model.revision);
  expect(contentsOf(store)).toEqual(model.range(Buffer.from([0]), null, 0, 0).kvs.map(kvText));
}

/**
 * Writes a snapshot, opens it as a store of its own, and checks it holds what the store holds;
 * then deletes everything in the copy and writes again, which frees every page the copy has.
 */
async function runSnapshot(store: MvccStore, model: StoreModel): Promise<void> {
  const file = path.join(tempDir(), 'snapshot.mdb');
  await store.snapshotTo(file);
  const dir = tempDir();
  Store.installSnapshot(file, dir);
  const copy = Store.open({ dir });
  try {
    expect(copy.revision).toBe(model.revision);
    expect(copy.hash()).toBe(store.hash());
    expect(contentsOf(copy)).toEqual(contentsOf(store));
    copy.deleteRange({ key: Buffer.from([0]), rangeEnd: Buffer.from([0]) });
    expect(copy.put({ key: Buffer.from('after'), value: Buffer.alloc(1_048_576, 1) }).revision).toBe(copy.revision);
  } finally {
    copy.close();
  }
}

/** Watches every key from a revision `back` revisions ago and compares the stream with the model. */
async function runWatch(store: MvccStore, hub: WatchHub, model: StoreModel, back: number): Promise<void> {
  const start = Math.max(1, model.revision + 1 - back);
  const received: WatchResponse[] = [];
  const id = hub.watch({ key: Buffer.from([0]), rangeEnd: Buffer.from([0]), startRevision: start, prevKv: true }, {
    send: (response) => received.push(response) > 0,
  });
  await hub.whenIdle();
  hub.cancel(id);
  expect(store.revision).toBe(model.revision);
  if (start < model.compactRevision) {
    expect(received).toEqual([{ watchId: id, revision: model.revision, events: [], canceled: true, compactRevision: model.compactRevision }]);
    return;
  }
  // A tombstone at exactly the compacted revision is gone, as in etcd.
  const from = start === model.compactRevision ? start + 1 : start;
  // A catch-up response carries the events of several revisions: each event's own revision counts.
  const actual = received.flatMap((r) => r.events).filter((e) => e.kv.modRevision >= from).map((e) => eventText(e.kv.modRevision, e));
  const expected = model.events.filter((r) => r.revision >= from).flatMap((r) => r.events.map((e) => eventText(r.revision, e)));
  expect(actual).toEqual(expected);
}

describe('the store against its model', () => {
  it('gives the same results, errors and watch streams for random request sequences', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(commandArb, { minLength: 1, maxLength: 60 }), async (commands) => {
        const store = openStore();
        const hub = new WatchHub(store, { catchUpRevisionsMax: 3 });
        const model = new StoreModel();
        try {
          for (const command of commands) await runCommand(store, hub, model, command);
          expect(store.revision).toBe(model.revision);
        } finally {
          hub.close();
          cleanup();
        }
      }),
      { seed: 20261124, numRuns: 150 },
    );
  });
});
