// The store's revision record on disk: encoded in one buffer, it must stay byte for byte the
// layout data directories already hold (a payload wrapped by `frame`), and decode back to what
// was written. Seeded: a failure prints its seed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { copyLiveKv, newLiveRecordView, viewLiveRecord, decodeKvRecord, decodeLiveKv, decodeRevision, encodeKvRecord, encodeRevision, frame, historyKey, historyPrefix, inlineKeyBytesMax } from '../../core/mvcc/encoding.js';
import type { KeyValue } from '../../core/mvcc/types.js';
import type { RecordKind } from '../../core/mvcc/encoding.js';

/** The record layout as first written: kind, create, mod, version, lease, key length, key, value. */
function framedPayload(kind: RecordKind, kv: KeyValue): Buffer {
  const payload = Buffer.alloc(37 + kv.key.length + kv.value.length);
  payload.writeUInt8(kind === 'put' ? 1 : 2, 0);
  payload.writeDoubleBE(kv.createRevision, 1);
  payload.writeDoubleBE(kv.modRevision, 9);
  payload.writeDoubleBE(kv.version, 17);
  payload.writeBigInt64BE(kv.lease, 25);
  payload.writeUInt32BE(kv.key.length, 33);
  payload.set(kv.key, 37);
  payload.set(kv.value, 37 + kv.key.length);
  return frame(payload);
}

const kvArb = fc.record({
  key: fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
  value: fc.uint8Array({ maxLength: 300 }),
  lease: fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n),
  createRevision: fc.nat(),
  modRevision: fc.nat(),
  version: fc.nat(),
});

describe('revision records', () => {
  it('keep the layout already on disk and decode to what was written', () => {
    fc.assert(
      fc.property(fc.constantFrom<RecordKind>('put', 'delete'), kvArb, (kind, kv) => {
        const encoded = encodeKvRecord(kind, kv);
        expect(encoded.equals(framedPayload(kind, kv))).toBe(true);
        const decoded = decodeKvRecord(encoded);
        expect(decoded.kind).toBe(kind);
        expect({ ...decoded.kv, key: Buffer.from(decoded.kv.key), value: Buffer.from(decoded.kv.value) }).toEqual({ ...kv, value: Buffer.from(kv.value) });
      }),
      { seed: 20261205, numRuns: 300 },
    );
  });

  it('make history keys of a key\'s prefix then its revision, for short, zero-holding and hashed long keys', () => {
    const keyArb = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 40 }),
      fc.uint8Array({ minLength: 1, maxLength: 8 }).map((bytes) => Uint8Array.from([0, ...bytes, 0])),
      fc.uint8Array({ minLength: inlineKeyBytesMax + 1, maxLength: inlineKeyBytesMax + 40 }),
    );
    // The layout on disk: 0x00 escaped as 0x00 0xFF, the terminator 0x00 0x01, then main and sub as two big-endian 64-bit halves each.
    expect(historyKey(Buffer.from([0x61, 0x00]), 2 ** 32 + 1, 2).toString('hex')).toBe('6100ff0001' + '0000000100000001' + '0000000000000002');
    fc.assert(
      fc.property(keyArb, fc.maxSafeNat(), fc.nat(), (key, main, sub) => {
        const built = historyKey(key, main, sub);
        expect(built.equals(Buffer.concat([historyPrefix(key), encodeRevision(main, sub)]))).toBe(true);
        expect(decodeRevision(built, built.length - 16)).toEqual({ main, sub });
        expect(decodeRevision(Uint8Array.from(encodeRevision(main, sub)))).toEqual({ main, sub });
      }),
      { seed: 20261205, numRuns: 300 },
    );
  });
});

describe('live records read from a buffer LMDB reuses', () => {
  it('decode to what decodeLiveKv reads, and keep their bytes once the buffer is overwritten', () => {
    fc.assert(
      fc.property(kvArb, fc.nat({ max: 64 }), (kv, slack) => {
        const record = encodeKvRecord('put', kv);
        // The read buffer is larger than the record and is filled again by the next read.
        const reused = Buffer.alloc(record.length + slack, 0xee);
        record.copy(reused);
        const copied = copyLiveKv(reused, record.length);
        const expected = decodeLiveKv(record);
        reused.fill(0x11);
        expect({ ...copied, key: Buffer.from(copied.key), value: Buffer.from(copied.value) }).toEqual({ ...expected, key: Buffer.from(expected.key), value: Buffer.from(expected.value) });
      }),
      { seed: 20261206, numRuns: 300 },
    );
  });

  it('are seen in place where LMDB reads them: numbers read, key and value located, nothing copied', () => {
    const view = newLiveRecordView();
    fc.assert(
      fc.property(kvArb, fc.nat({ max: 64 }), (kv, slack) => {
        const record = encodeKvRecord('put', kv);
        const reused = Buffer.alloc(record.length + slack, 0xee);
        record.copy(reused);
        viewLiveRecord(reused, record.length, view);
        const expected = decodeLiveKv(record);
        expect(view.bytes).toBe(reused);
        expect(reused.subarray(view.keyStart, view.keyEnd).equals(Buffer.from(expected.key))).toBe(true);
        expect(reused.subarray(view.keyEnd, view.valueEnd).equals(Buffer.from(expected.value))).toBe(true);
        expect({ createRevision: view.createRevision, modRevision: view.modRevision, version: view.version, lease: view.lease }).toEqual({
          createRevision: expected.createRevision,
          modRevision: expected.modRevision,
          version: expected.version,
          lease: expected.lease,
        });
      }),
      { seed: 20261207, numRuns: 300 },
    );
  });

  it('refuse a record whose frame or kind is wrong', () => {
    const record = encodeKvRecord('put', { key: Buffer.from('k'), value: Buffer.from('v'), lease: 0n, createRevision: 2, modRevision: 2, version: 1 });
    const flipped = Buffer.from(record);
    flipped[flipped.length - 1]! ^= 1;
    expect(() => copyLiveKv(flipped, flipped.length)).toThrow(/checksum/);
    expect(() => copyLiveKv(Buffer.concat([record, Buffer.alloc(4)]), record.length + 4)).toThrow(/length/);
    const tombstone = encodeKvRecord('delete', { key: Buffer.from('k'), value: Buffer.alloc(0), lease: 0n, createRevision: 2, modRevision: 3, version: 0 });
    expect(() => copyLiveKv(tombstone, tombstone.length)).toThrow(/live record is a put/);
    const view = newLiveRecordView();
    expect(() => viewLiveRecord(flipped, flipped.length, view)).toThrow(/checksum/);
    expect(() => viewLiveRecord(Buffer.concat([record, Buffer.alloc(4)]), record.length + 4, view)).toThrow(/length/);
    expect(() => viewLiveRecord(tombstone, tombstone.length, view)).toThrow(/live record is a put/);
  });
});
