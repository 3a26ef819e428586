// Byte and id conversions of the client: prefix range ends, safe revisions and 64-bit ids.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hexToId, idToHex, prefixEnd, toBuffer, toIdString, toSafeNumber } from '../../core/client/bytes.js';
import { AssertionError } from '../../core/raft/assert.js';

describe('client byte and id conversions', () => {
  it('ends a prefix range after the last key with that prefix', () => {
    expect(prefixEnd('app/').toString()).toBe('app0');
    expect(prefixEnd(Uint8Array.from([0x61, 0xff]))).toEqual(Buffer.from([0x62]));
    expect(prefixEnd(Uint8Array.from([0xff, 0xff]))).toEqual(Buffer.from([0]));
    expect(prefixEnd('')).toEqual(Buffer.from([0]));
  });

  it('places every key with the prefix below the range end and the prefix itself at or above', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 6 }), fc.uint8Array({ maxLength: 4 }), (prefix, suffix) => {
        const end = prefixEnd(prefix);
        if (end.equals(Buffer.from([0]))) return;
        const key = Buffer.concat([Buffer.from(prefix), Buffer.from(suffix)]);
        expect(Buffer.compare(key, end)).toBe(-1);
        expect(Buffer.compare(Buffer.from(prefix), end)).toBe(-1);
      }),
      { seed: 20_261_124, numRuns: 500 },
    );
  });

  it('does not modify the caller bytes', () => {
    const prefix = Uint8Array.from([1, 2, 3]);
    prefixEnd(prefix);
    expect([...prefix]).toEqual([1, 2, 3]);
    expect(toBuffer('é')).toEqual(Buffer.from([0xc3, 0xa9]));
  });

  it('converts revisions to numbers only while they are exact', () => {
    expect(toSafeNumber('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => toSafeNumber('9007199254740993')).toThrow(AssertionError);
  });

  it('keeps 64-bit ids exact between decimal, bigint and hex forms', () => {
    expect(toIdString(18_446_744_073_709_551_615n)).toBe('18446744073709551615');
    expect(idToHex('18446744073709551615')).toBe('ffffffffffffffff');
    expect(hexToId('8e9e05c52164694d')).toBe('10276657743932975437');
    expect(idToHex('10276657743932975437')).toBe('8e9e05c52164694d');
    expect(() => toIdString(2 ** 60)).toThrow(AssertionError);
  });
});
