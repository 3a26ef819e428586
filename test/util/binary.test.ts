import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ByteReader, ByteWriter, DecodeError } from '../../core/util/binary.js';

describe('binary writer and reader', () => {
  it('round-trips every field kind', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ kind: fc.constant('uint' as const), value: fc.maxSafeNat() }),
            fc.record({ kind: fc.constant('bigint' as const), value: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }) }),
            fc.record({ kind: fc.constant('bytes' as const), value: fc.uint8Array({ maxLength: 300 }) }),
            fc.record({ kind: fc.constant('string' as const), value: fc.string() }),
            fc.record({ kind: fc.constant('bool' as const), value: fc.boolean() }),
            fc.record({ kind: fc.constant('f64' as const), value: fc.double({ noNaN: true }) }),
          ),
        ),
        (fields) => {
          const writer = new ByteWriter(1);
          for (const field of fields) {
            if (field.kind === 'uint') writer.uint(field.value);
            else if (field.kind === 'bigint') writer.bigint(field.value);
            else if (field.kind === 'bytes') writer.bytes(field.value);
            else if (field.kind === 'string') writer.string(field.value);
            else if (field.kind === 'bool') writer.bool(field.value);
            else writer.f64(field.value);
          }
          const reader = new ByteReader(writer.finish());
          for (const field of fields) {
            const value = reader[field.kind]();
            expect(value).toEqual(field.value);
          }
          expect(reader.done).toBe(true);
        },
      ),
      { seed: 20261124, numRuns: 300 },
    );
  });

  it('writes 64-bit and safe integers as the plain BigInt zig-zag varint, and reads any such varint back', () => {
    const reference = (value: bigint): number[] => {
      let rest = value >= 0n ? value << 1n : ((-value) << 1n) - 1n;
      const out: number[] = [];
      while (rest >= 0x80n) {
        out.push(Number(rest & 0x7fn) | 0x80);
        rest >>= 7n;
      }
      out.push(Number(rest));
      return out;
    };
    const edges = [0n, 1n, -1n, 2n ** 27n, 2n ** 28n, -(2n ** 28n), 2n ** 52n, 2n ** 53n, -(2n ** 53n), 2n ** 63n - 1n, -(2n ** 63n)];
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...edges), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.bigInt({ min: -(2n ** 40n), max: 2n ** 40n })), (value) => {
        const written = Array.from(new ByteWriter(1).bigint(value).finish());
        expect(written).toEqual(reference(value));
        expect(new ByteReader(Uint8Array.from(reference(value))).bigint()).toBe(value);
        if (value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)) {
          expect(Array.from(new ByteWriter(1).int(Number(value)).finish())).toEqual(reference(value));
        }
      }),
      { seed: 20261205, numRuns: 1000 },
    );
    // Ten bytes hold 70 bits: what the reader has always accepted beyond 64 bits it still reads the same way.
    const referenceRead = (bytes: readonly number[]): bigint => {
      let result = 0n;
      bytes.forEach((byte, i) => (result |= BigInt(byte & 0x7f) << BigInt(7 * i)));
      return (result & 1n) === 0n ? result >> 1n : -((result + 1n) >> 1n);
    };
    for (const wide of [[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3f], [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], [0x80, 0x80, 0x80, 0x80, 0x01]]) {
      expect(new ByteReader(Uint8Array.from(wide)).bigint()).toBe(referenceRead(wide));
    }
  });

  it('refuses truncated input with a DecodeError', () => {
    const bytes = new ByteWriter().bytes(new Uint8Array(10)).finish();
    for (let cut = 0; cut < bytes.length; cut++) {
      expect(() => new ByteReader(bytes.subarray(0, cut)).bytes()).toThrow(DecodeError);
    }
  });

  it('refuses a varint that never ends', () => {
    expect(() => new ByteReader(new Uint8Array(12).fill(0xff)).uint()).toThrow(DecodeError);
    expect(() => new ByteReader(new Uint8Array(12).fill(0xff)).bigint()).toThrow(DecodeError);
  });
});
