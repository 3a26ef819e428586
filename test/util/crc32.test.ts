import { crc32 as zlibCrc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../core/util/crc32.js';
import { crcBitwise } from '../../core/util/crcTables.js';

const ieee = 0xedb88320;

describe('crc32 (IEEE, the store records checksum)', () => {
  it('matches the published check value for "123456789"', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('agrees with zlib and the bit-at-a-time definition at every length, offset and alignment', () => {
    // One slab, so the aligned path reads its words from the same ArrayBuffer as the views.
    const slab = Buffer.allocUnsafeSlow(4096);
    for (let i = 0; i < slab.length; i++) slab[i] = (i * 7919 + 13) & 0xff;
    fc.assert(
      fc.property(fc.nat(64), fc.nat(1100), fc.nat(40), (viewOffset, length, start) => {
        const view = slab.subarray(viewOffset, viewOffset + start + length + 3);
        const expected = zlibCrc32(view.subarray(start, start + length));
        expect(crc32(view, start, start + length)).toBe(expected);
        expect(crcBitwise(ieee, view.subarray(start, start + length))).toBe(expected);
      }),
      { seed: 0xc3c3, numRuns: 1500 },
    );
  });

  it('covers every path: aligned words, single bytes and zlib, each around its limits', () => {
    const slab = Buffer.allocUnsafeSlow(2048);
    for (let i = 0; i < slab.length; i++) slab[i] = (i * 131 + 7) & 0xff;
    for (const length of [0, 1, 15, 16, 17, 255, 256, 257, 447, 448, 449, 1000]) {
      for (const start of [0, 1, 2, 3, 4, 8]) {
        expect(crc32(slab, start, start + length), `length ${length} at ${start}`).toBe(zlibCrc32(slab.subarray(start, start + length)));
      }
    }
  });

  it('reads words from the buffer it is given when calls switch between ArrayBuffers', () => {
    const a = Buffer.allocUnsafeSlow(64).fill(1);
    const b = Buffer.allocUnsafeSlow(64).fill(2);
    for (let round = 0; round < 3; round++) {
      expect(crc32(a, 8, 56)).toBe(zlibCrc32(a.subarray(8, 56)));
      expect(crc32(b, 8, 56)).toBe(zlibCrc32(b.subarray(8, 56)));
    }
  });

  it('sees a change to any single byte', () => {
    const bytes = Buffer.allocUnsafeSlow(300);
    for (let i = 0; i < bytes.length; i++) bytes[i] = i & 0xff;
    const before = crc32(bytes, 8, 300);
    for (let i = 8; i < 300; i++) {
      bytes[i] = bytes[i]! ^ 0x10;
      expect(crc32(bytes, 8, 300)).not.toBe(before);
      bytes[i] = bytes[i]! ^ 0x10;
    }
    expect(crc32(bytes, 8, 300)).toBe(before);
  });
});
