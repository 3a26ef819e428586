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
