// The namespace's key arithmetic (core/proxy/namespace.ts) and the range cache's overlap rule
// (core/proxy/rangeCache.ts), which decide what a tenant can reach and what a write invalidates.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Namespace } from '../../core/proxy/namespace.js';
import { rangesOverlap } from '../../core/proxy/rangeCache.js';
import { withoutEmptyBytes } from '../../core/proxy/upstream.js';

const b = (text: string): Buffer => Buffer.from(text, 'latin1');

describe('Namespace', () => {
  it('moves single keys, ranges and from-key ranges inside the prefix', () => {
    const ns = new Namespace('t/');
    expect(ns.range(b('k'), undefined)).toEqual({ key: b('t/k'), rangeEnd: undefined });
    expect(ns.range(b('a'), b('c'))).toEqual({ key: b('t/a'), rangeEnd: b('t/c') });
    // "\0" (to the end of the key space) ends at the end of the namespace: '/' + 1 = '0'.
    expect(ns.range(b('a'), b('\0'))).toEqual({ key: b('t/a'), rangeEnd: b('t0') });
    expect(ns.range(b(''), b('\0'))).toEqual({ key: b('t/'), rangeEnd: b('t0') });
  });

  it('ends a prefix of 0xff bytes at the first key after it, or at the end of the key space', () => {
    expect(new Namespace(b('a\xff')).range(b('x'), b('\0')).rangeEnd).toEqual(b('b'));
    expect(new Namespace(b('\xff\xff')).range(b('x'), b('\0')).rangeEnd).toEqual(b('\0'));
  });

  it('refuses an empty key without a range end, as a member does', () => {
    expect(() => new Namespace('t/').rangeRequest({ key: b('') })).toThrow('etcdserver: key is not provided');
    expect(() => new Namespace('t/').putRequest({ key: b('') })).toThrow('etcdserver: key is not provided');
  });

  it('keeps every key of a namespaced range inside the namespace', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 4 }), fc.uint8Array({ maxLength: 4 }), fc.uint8Array({ minLength: 1, maxLength: 4 }), (key, end, probe) => {
      const ns = new Namespace('t/');
      const range = ns.range(key, end.length === 0 ? b('\0') : end);
      const inside = Buffer.compare(Buffer.from(probe), range.key) >= 0 && (range.rangeEnd === undefined || Buffer.compare(Buffer.from(probe), range.rangeEnd) < 0);
      if (inside) expect(ns.contains(probe)).toBe(true);
    }));
  });

  it('shows a tenant only its own keys of a lease, without the prefix', () => {
    expect(new Namespace('t/').leaseKeys([b('t/a'), b('u/b'), b('t/')])).toEqual([b('a'), b('')]);
  });
});

describe('rangesOverlap', () => {
  it('treats a missing end as one key and "\\0" as the rest of the key space', () => {
    expect(rangesOverlap(b('a'), undefined, b('a'), undefined)).toBe(true);
    expect(rangesOverlap(b('a'), undefined, b('a\0'), undefined)).toBe(false);
    expect(rangesOverlap(b('a'), b('c'), b('c'), undefined)).toBe(false);
    expect(rangesOverlap(b('a'), b('c'), b('b'), undefined)).toBe(true);
    expect(rangesOverlap(b('x'), b('\0'), b('zzz'), undefined)).toBe(true);
    expect(rangesOverlap(b('\0'), b('\0'), b('k'), b('l'))).toBe(true);
  });

  it('agrees with a check of every key of a small key space', () => {
    const keys = ['', 'a', 'b', 'c', 'a\0', 'ab'].map(b);
    const inRange = (k: Buffer, key: Buffer, end: Buffer | undefined): boolean => {
      if (end === undefined) return k.equals(key);
      if (end.equals(b('\0'))) return Buffer.compare(k, key) >= 0;
      return Buffer.compare(k, key) >= 0 && Buffer.compare(k, end) < 0;
    };
    const ends = [undefined, b('\0'), b('b'), b('c'), b('ab')];
    for (const aKey of keys.slice(1)) for (const aEnd of ends) for (const bKey of keys.slice(1)) for (const bEnd of ends) {
      const shared = keys.some((k) => inRange(k, aKey, aEnd) && inRange(k, bKey, bEnd));
      // A probe set this small may miss a shared key; overlap must at least cover every shared one.
      if (shared) expect(rangesOverlap(aKey, aEnd, bKey, bEnd), `${String(aKey)}-${String(aEnd)} ${String(bKey)}-${String(bEnd)}`).toBe(true);
    }
  });
});

describe('withoutEmptyBytes', () => {
  it('drops empty bytes fields at any depth and keeps empty elements of repeated fields', () => {
    const request = { key: b('k'), range_end: b(''), limit: '0', nested: { value: b(''), keep: b('x') }, keys: [b(''), b('y')] };
    expect(withoutEmptyBytes(request)).toEqual({ key: b('k'), limit: '0', nested: { keep: b('x') }, keys: [b(''), b('y')] });
  });
});
