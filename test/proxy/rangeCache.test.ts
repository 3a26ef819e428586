// The range cache's bookkeeping (core/proxy/rangeCache.ts): what each kind of write drops, the
// least-recently-used bound, compaction, and answers kept apart per caller token.
import { describe, expect, it } from 'vitest';
import type * as pb from '../../core/api/proto/messages.js';
import { cacheEntriesMax, RangeCache } from '../../core/proxy/rangeCache.js';

const b = (text: string): Buffer => Buffer.from(text);
const answer = (revision: number): pb.RangeResponse => ({
  header: { cluster_id: '1', member_id: '1', revision: String(revision), raft_term: '1' }, kvs: [], more: false, count: '0',
});
const single = (key: string): pb.RangeRequest => ({ key: b(key), serializable: true });
const range = (key: string, end: string): pb.RangeRequest => ({ key: b(key), range_end: b(end), serializable: true });

describe('RangeCache', () => {
  it('answers a serializable request as the linearizable one with the same fields was answered', () => {
    const cache = new RangeCache();
    cache.add({ key: b('k') }, '', answer(5));
    expect(cache.get(single('k'), '')).toEqual(answer(5));
    expect(cache.get({ ...single('k'), limit: '1' }, '')).toBeUndefined();
    expect(cache.get(single('k'), 'a token')).toBeUndefined();
  });

  it('drops what puts, deletes and both branches of a transaction touch, and nothing else', () => {
    const cache = new RangeCache();
    const requests = [single('a'), single('b'), range('c', 'e'), single('x'), range('m', '\0')];
    for (const request of requests) cache.add(request, '', answer(1));
    cache.invalidate(b('a'), undefined);
    cache.invalidate(b('d'), b('d\0'));
    const left = (): string[] => requests.filter((r) => cache.get(r, '') !== undefined).map((r) => r.key.toString());
    expect(left()).toEqual(['b', 'x', 'm']);
    cache.invalidateTxn({
      compare: [{ result: 'EQUAL', target: 'VERSION', key: b('b') }],
      success: [],
      failure: [{ request_txn: { success: [{ request_put: { key: b('zz') } }] } }],
    });
    expect(left()).toEqual(['x']);
  });

  it('keeps at most cacheEntriesMax answers, dropping the least recently used', () => {
    const cache = new RangeCache();
    for (let i = 0; i < cacheEntriesMax; i++) cache.add(single(`k${i}`), '', answer(1));
    expect(cache.get(single('k0'), '')).toBeDefined();
    cache.add(single('new'), '', answer(1));
    expect(cache.size).toBe(cacheEntriesMax);
    expect(cache.get(single('k0'), '')).toBeDefined();
    expect(cache.get(single('k1'), '')).toBeUndefined();
  });

  it('forgets answers at revisions a compaction removed', () => {
    const cache = new RangeCache();
    cache.add({ ...single('k'), revision: '3' }, '', answer(9));
    cache.add({ ...single('k'), revision: '8' }, '', answer(9));
    cache.compact(5);
    expect(cache.get({ ...single('k'), revision: '3' }, '')).toBeUndefined();
    expect(cache.get({ ...single('k'), revision: '8' }, '')).toBeDefined();
  });
});
