// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320: zlib's, the store's record checksum) of a
// part of a buffer. zlib's `crc32` is fast over long runs but costs about 170 ns a call before it
// reads a byte, and wants a view of its own (a subarray, one more allocation); a store record is a
// few hundred bytes and a 1,000-key range checks a thousand of them. So runs up to a few hundred
// bytes are summed here, sixteen bytes a step, reading the bytes four at a time when they lie
// 4-byte aligned in a little-endian machine's memory (LMDB's read buffer and Node's buffer pool
// both start at aligned offsets, and a record's payload 8 bytes in); longer runs go to zlib.
// Measured on 300 bytes: 163 ns here against 212 ns in zlib (and its subarray); docs/benchmarks.md.
import { endianness } from 'node:os';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { crcSlicing8, slicingTables } from './crcTables.js';

const polynomialReflected = 0xedb88320;
const tables = slicingTables(polynomialReflected, 16);
const littleEndian = endianness() === 'LE';

/** Aligned runs longer than this go to zlib (where the two cost the same, measured). */
const alignedBytesMax = 448;
/** Unaligned runs (read a byte at a time) longer than this go to zlib. */
const unalignedBytesMax = 256;

/** 32-bit words over the last ArrayBuffer summed aligned (made again when the buffer changes). */
let wordsBuffer: ArrayBufferLike | null = null;
let words: Int32Array<ArrayBufferLike> = new Int32Array(0);

function wordsOf(buffer: ArrayBufferLike): Int32Array<ArrayBufferLike> {
  if (buffer !== wordsBuffer) {
    words = new Int32Array(buffer, 0, buffer.byteLength >>> 2);
    wordsBuffer = buffer;
  }
  return words;
}

/** The CRC-32 of `bytes[start, end)`, unsigned, as zlib's `crc32(bytes.subarray(start, end))` gives it. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const length = end - start;
  const at = bytes.byteOffset + start;
  if (littleEndian && (at & 3) === 0 && length <= alignedBytesMax) return alignedCrc(bytes, start, end, at >>> 2);
  if (length <= unalignedBytesMax) return crcSlicing8(tables, bytes, start, end, 0);
  return zlibCrc32(bytes.subarray(start, end));
}

/** Sixteen bytes a step read as four little-endian words from `word` on, then the tail a byte at a time. */
function alignedCrc(bytes: Uint8Array, start: number, end: number, word: number): number {
  const t = tables;
  const w = wordsOf(bytes.buffer);
  let c = -1;
  let i = start;
  for (; i + 16 <= end; i += 16, word += 4) {
    const a = c ^ w[word]!;
    const b = w[word + 1]!;
    const d = w[word + 2]!;
    const e = w[word + 3]!;
    c =
      t[3840 + (a & 0xff)]! ^
      t[3584 + ((a >>> 8) & 0xff)]! ^
      t[3328 + ((a >>> 16) & 0xff)]! ^
      t[3072 + (a >>> 24)]! ^
      t[2816 + (b & 0xff)]! ^
      t[2560 + ((b >>> 8) & 0xff)]! ^
      t[2304 + ((b >>> 16) & 0xff)]! ^
      t[2048 + (b >>> 24)]! ^
      t[1792 + (d & 0xff)]! ^
      t[1536 + ((d >>> 8) & 0xff)]! ^
      t[1280 + ((d >>> 16) & 0xff)]! ^
      t[1024 + (d >>> 24)]! ^
      t[768 + (e & 0xff)]! ^
      t[512 + ((e >>> 8) & 0xff)]! ^
      t[256 + ((e >>> 16) & 0xff)]! ^
      t[e >>> 24]!;
  }
  for (; i < end; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
