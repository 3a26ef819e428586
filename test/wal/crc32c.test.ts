import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32c, crc32cBitwise } from '../../core/wal/crc32c.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('crc32c', () => {
  it('matches the published check value for "123456789"', () => {
    expect(crc32c(ascii('123456789'))).toBe(0xe3069283);
  });

  it('matches the RFC 3720 (iSCSI) test vectors', () => {
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
  });

  it('gives 0 for no bytes and checks only the requested range', () => {
    expect(crc32c(new Uint8Array(0))).toBe(0);
    const padded = new Uint8Array([7, 7, ...ascii('123456789'), 9]);
    expect(crc32c(padded, 2, 11)).toBe(0xe3069283);
  });

  it('agrees with the bit-at-a-time definition on random data, whole or in pieces', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(300), (bytes, cut) => {
        const split = Math.min(cut, bytes.length);
        const whole = crc32cBitwise(bytes);
        expect(crc32c(bytes)).toBe(whole);
        expect(crc32c(bytes, split, bytes.length, crc32c(bytes, 0, split))).toBe(whole);
      }),
      { seed: 0x5eed, numRuns: 500 },
    );
  });
});
