// Lookup tables for table-driven CRC-32 variants (reflected polynomials): `tables[k * 256 + b]`
// is the CRC contribution of byte b followed by k zero bytes, so a loop can take `count` bytes a
// step ("slicing-by-count"). Shared by the WAL's CRC-32C and the store's CRC-32.

/** Slicing tables for the reflected `polynomial`, `count` of them (1 is the plain byte table). */
export function slicingTables(polynomial: number, count: number): Int32Array {
  const t = new Int32Array(count * 256);
  for (let b = 0; b < 256; b++) {
    let c = b;
    for (let bit = 0; bit < 8; bit++) c = c & 1 ? (c >>> 1) ^ polynomial : c >>> 1;
    t[b] = c;
  }
  for (let b = 0; b < 256; b++) {
    let c = t[b]!;
    for (let k = 1; k < count; k++) {
      c = (c >>> 8) ^ t[c & 0xff]!;
      t[k * 256 + b] = c;
    }
  }
  return t;
}

/** The plain bit-at-a-time definition for the reflected `polynomial`: the reference tests hold the fast ones to. */
export function crcBitwise(polynomial: number, bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (const byte of bytes) {
    c ^= byte;
    for (let bit = 0; bit < 8; bit++) c = c & 1 ? (c >>> 1) ^ polynomial : c >>> 1;
  }
  return ~c >>> 0;
}

/**
 * Continues CRC `crc` (unsigned, 0 to start) over `bytes[start, end)` with slicing `tables` of at
 * least 8: eight bytes a step, each read on its own (any alignment), then the tail a byte at a time.
 */
export function crcSlicing8(tables: Int32Array, bytes: Uint8Array, start: number, end: number, crc: number): number {
  const t = tables;
  let c = ~crc;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const a = c ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
    c =
      t[1792 + (a & 0xff)]! ^
      t[1536 + ((a >>> 8) & 0xff)]! ^
      t[1280 + ((a >>> 16) & 0xff)]! ^
      t[1024 + (a >>> 24)]! ^
      t[768 + bytes[i + 4]!]! ^
      t[512 + bytes[i + 5]!]! ^
      t[256 + bytes[i + 6]!]! ^
      t[bytes[i + 7]!]!;
  }
  for (; i < end; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
