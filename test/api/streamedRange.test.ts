// Ranges whose kvs are encoded as the store reads them (MvccStore.rangeInto with a
// RangeFrameWriter) against the answer built from the store's kvs (MvccStore.range, then
// frameRangeAnswer): on a real LMDB store filled from a seed, every request the streamed path
// takes must come out byte for byte as the other path writes it, and every request it does not
// take must be handed back (null), what the writer took then dropped. The wire-object fallback of a streamed
// answer must read as the other path's wire object.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { frameRangeAnswer, RangeFrameWriter } from '../../core/api/kvResponseCodec.js';
import { rangeAnswerToWire } from '../../core/api/kvService.js';
import { rangeResponseToWire } from '../../core/api/convert.js';
import { serviceDefinition } from '../../core/api/proto/load.js';
import type { HeaderInfo } from '../../core/api/backend.js';
import { inlineKeyBytesMax } from '../../core/mvcc/encoding.js';
import type { MvccStore } from '../../core/mvcc/mvccStore.js';
import { rangeGoesToSink } from '../../core/mvcc/serveRange.js';
import type { RangeRequest } from '../../core/mvcc/types.js';
import { cleanup, openStore } from '../mvcc/tempStore.js';

afterEach(cleanup);

/** A store on which any lease id may be attached (the lessor's part is not what is tested here). */
function leasedStore(): MvccStore {
  const store = openStore();
  store.setLeaseAttachments({ exists: () => true, attach: () => undefined, detach: () => undefined });
  return store;
}

const info: HeaderInfo = { clusterId: 'cdf818194e3a8c32', memberId: '8e9e05c52164694d', raftTerm: 7, revision: 0 };
const rangeCodec = serviceDefinition('etcdserverpb.KV').Range!;

/** Both answers to `request`, or null for the streamed one when the store hands the request back. */
function bothAnswers(store: MvccStore, request: RangeRequest): { streamed: Buffer | null; built: Buffer } {
  const writer = new RangeFrameWriter(request.keysOnly === true);
  const summary = store.rangeInto(request, writer);
  const built = frameRangeAnswer(info, store.range(request));
  expect(built).not.toBeNull();
  // Handed back, possibly mid-scan: what the writer took is dropped.
  if (summary === null) return { streamed: null, built: built! };
  return { streamed: writer.frame(info, summary), built: built! };
}

/** Keys over a small alphabet so that ranges and prefixes hit, some past the 24 bytes copied by hand. */
const key = fc.oneof(
  fc.stringMatching(/^[a-c]{1,4}$/),
  fc.stringMatching(/^[a-c]{20,30}$/),
).map((text) => Buffer.from(text));
const value = fc.oneof(fc.constant(Buffer.alloc(0)), fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)));
const lease = fc.oneof(fc.constant(0n), fc.bigInt(1n, 2n ** 53n), fc.bigInt(2n ** 53n, 2n ** 63n - 1n), fc.bigInt(-(2n ** 63n), -1n));
const write = fc.oneof(
  { weight: 4, arbitrary: fc.record({ put: fc.record({ key, value, lease }) }) },
  { weight: 1, arbitrary: fc.record({ del: key }) },
);
const request = fc.record(
  {
    key,
    rangeEnd: fc.oneof(key, fc.constant(Buffer.from([0])), fc.constant(Buffer.alloc(0))),
    limit: fc.oneof(fc.constant(0), fc.nat({ max: 8 })),
    keysOnly: fc.boolean(),
    countOnly: fc.boolean(),
    sortOrder: fc.constantFrom('NONE' as const, 'ASCEND' as const, 'DESCEND' as const),
    sortTarget: fc.constantFrom('KEY' as const, 'KEY' as const, 'MOD' as const),
    minModRevision: fc.oneof(fc.constant(0), fc.constant(0), fc.nat({ max: 20 })),
  },
  { requiredKeys: ['key'] },
);

describe('ranges encoded as the store reads them', () => {
  it('write what the answer built from the store\'s kvs writes, byte for byte, or hand the request back', () => {
    fc.assert(
      fc.property(fc.array(write, { minLength: 1, maxLength: 40 }), fc.array(request, { minLength: 1, maxLength: 8 }), (writes, requests) => {
        const store = leasedStore();
        try {
          for (const w of writes) {
            if ('put' in w) store.put(w.put);
            else store.deleteRange({ key: w.del });
          }
          for (const r of requests) {
            const { streamed, built } = bothAnswers(store, r);
            const takes = rangeGoesToSink(r);
            if (!takes) expect(streamed).toBeNull();
            // With short keys only, the store streams every range the request check takes but an empty one.
            if (takes && (r.rangeEnd?.length !== 1 || r.rangeEnd[0] !== 0) && Buffer.compare(r.key, r.rangeEnd ?? Buffer.alloc(0)) < 0) expect(streamed).not.toBeNull();
            if (streamed !== null) expect(streamed.toString('hex')).toBe(built.toString('hex'));
          }
        } finally {
          cleanup();
        }
      }),
      { seed: 20261205, numRuns: 120 },
    );
  });

  it('grows its buffer past the first one and still writes the same bytes', () => {
    const store = openStore();
    store.put({ key: Buffer.from('a0'), value: Buffer.from('small') });
    // A small answer first, so the next writer starts from the smallest buffer.
    expect(bothAnswers(store, { key: Buffer.from('a'), rangeEnd: Buffer.from('b') }).streamed).not.toBeNull();
    for (let i = 1; i <= 40; i++) store.put({ key: Buffer.from(`a${String(i).padStart(2, '0')}`), value: Buffer.alloc(5_000 + i, i) });
    const { streamed, built } = bothAnswers(store, { key: Buffer.from('a'), rangeEnd: Buffer.from('b') });
    expect(streamed).not.toBeNull();
    expect(streamed!.length).toBeGreaterThan(4 * 16 * 1024);
    expect(streamed!.equals(built)).toBe(true);
  });

  it('takes no buffer until its first kv: ranges waiting for their read barrier hold none', () => {
    const store = openStore();
    for (let i = 0; i < 20; i++) store.put({ key: Buffer.from(`m${String(i).padStart(2, '0')}`), value: Buffer.alloc(50_000, i) });
    // A 1 MB answer: the next writers' first buffer is sized from it.
    expect(bothAnswers(store, { key: Buffer.from('m'), rangeEnd: Buffer.from('n') }).streamed!.length).toBeGreaterThan(1_000_000);
    const before = process.memoryUsage().arrayBuffers;
    const waiting = Array.from({ length: 50 }, () => new RangeFrameWriter(false));
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(10 * 1024 * 1024);
    // Each still writes a whole answer once it is given kvs.
    const summary = store.rangeInto({ key: Buffer.from('m0'), rangeEnd: Buffer.from('m02') }, waiting[0]!)!;
    expect(summary.sent).toBe(2);
    expect(waiting[0]!.frame(info, summary)!.equals(frameRangeAnswer(info, store.range({ key: Buffer.from('m0'), rangeEnd: Buffer.from('m02') }))!)).toBe(true);
  });

  it('hands back a range holding a long key, and the other path answers it', () => {
    const store = openStore();
    store.put({ key: Buffer.from('k1'), value: Buffer.from('one') });
    store.put({ key: Buffer.concat([Buffer.from('k2'), Buffer.alloc(inlineKeyBytesMax, 0x61)]), value: Buffer.from('long') });
    store.put({ key: Buffer.from('k3'), value: Buffer.from('three') });
    const whole = { key: Buffer.from('k'), rangeEnd: Buffer.from('l') };
    expect(rangeGoesToSink(whole)).toBe(true);
    expect(bothAnswers(store, whole).streamed).toBeNull();
    expect(store.range(whole).kvs).toHaveLength(3);
    // A page that ends before the long key streams.
    const page = { ...whole, limit: 1 };
    const { streamed, built } = bothAnswers(store, page);
    expect(streamed?.equals(built)).toBe(true);
  });

  it('hands back what is not the current keys in key order: a past revision, a sort, a filter, a count, one key', () => {
    const base = { key: Buffer.from('a'), rangeEnd: Buffer.from('z') };
    expect(rangeGoesToSink(base)).toBe(true);
    expect(rangeGoesToSink({ ...base, sortOrder: 'ASCEND' })).toBe(true);
    expect(rangeGoesToSink({ ...base, revision: 3 })).toBe(false);
    expect(rangeGoesToSink({ ...base, sortOrder: 'DESCEND' })).toBe(false);
    expect(rangeGoesToSink({ ...base, sortTarget: 'VALUE' })).toBe(false);
    expect(rangeGoesToSink({ ...base, maxCreateRevision: 9 })).toBe(false);
    expect(rangeGoesToSink({ ...base, countOnly: true })).toBe(false);
    expect(rangeGoesToSink({ key: Buffer.from('a') })).toBe(false);
  });

  it('gives the reflective encoder the same wire object when its header is out of the hand encoder\'s reach', () => {
    const store = leasedStore();
    store.put({ key: Buffer.from('x1'), value: Buffer.from('v1'), lease: -5n });
    store.put({ key: Buffer.from('x2'), value: Buffer.alloc(0), lease: 2n ** 60n });
    store.put({ key: Buffer.from('x3'), value: Buffer.from('v3') });
    const request = { key: Buffer.from('x'), rangeEnd: Buffer.from('y'), limit: 2 };
    const writer = new RangeFrameWriter(false);
    const summary = store.rangeInto(request, writer)!;
    expect(summary).toMatchObject({ sent: 2, more: true, count: 3 });
    const odd: HeaderInfo = { ...info, clusterId: 'not hex' };
    expect(writer.frame(odd, summary)).toBeNull();
    // The wire object from the streamed bytes matches the one built from the kvs (with a header both can carry).
    const streamedWire = rangeAnswerToWire({ info, summary, writer });
    const builtWire = rangeResponseToWire(info, store.range(request));
    expect(rangeCodec.responseDeserialize(rangeCodec.responseSerialize(streamedWire))).toEqual(rangeCodec.responseDeserialize(rangeCodec.responseSerialize(builtWire)));
  });
});
