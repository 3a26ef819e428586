// CRC32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum on every WAL and snapshot
// record. Table-driven slicing-by-8: eight 256-entry tables let the inner loop consume eight bytes
// per step. This module owns only the arithmetic; framing and what is covered live in record.ts.

const polynomialReflected = 0x82f63b78;
const tableCount = 8;

/** tables[k * 256 + b]: the CRC contribution of byte b followed by k zero bytes. */
const tables = buildTables();

function buildTables(): Uint32Array {
  const t = new Uint32Array(tableCount * 256);
  for (let b = 0; b < 256; b++) {
    let c = b;
    for (let bit = 0; bit < 8; bit++) c = c & 1 ? (c >>> 1) ^ polynomialReflected : c >>> 1;
    t[b] = c >>> 0;
  }
  for (let b = 0; b < 256; b++) {
    let c = t[b]!;
    for (let k = 1; k < tableCount; k++) {
      c = (c >>> 8) ^ t[c & 0xff]!;
      t[k * 256 + b] = c >>> 0;
    }
  }
  return t;
}

/**
 * Returns the CRC32C of `bytes[start, end)` as an unsigned 32-bit number. Pass a previous result
 * as `crc` to continue a checksum over several pieces: `crc32c(b, 0, n, crc32c(a))` equals the CRC
 * of `a` followed by `b`.
 */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length, crc = 0): number {
  let c = ~crc >>> 0;
  let i = start;
  const t = tables;
  for (; i + 8 <= end; i += 8) {
    const lo = (c ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24))) >>> 0;
    c =
      t[1792 + (lo & 0xff)]! ^
      t[1536 + ((lo >>> 8) & 0xff)]! ^
      t[1280 + ((lo >>> 16) & 0xff)]! ^
      t[1024 + (lo >>> 24)]! ^
      t[768 + bytes[i + 4]!]! ^
      t[512 + bytes[i + 5]!]! ^
      t[256 + bytes[i + 6]!]! ^
      t[bytes[i + 7]!]!;
  }
  for (; i < end; i++) c = (c >>> 8) ^ t[(c ^ bytes[i]!) & 0xff]!;
  return ~c >>> 0;
}

/**
 * The plain bit-at-a-time definition, kept as the reference the fast version is tested against.
 * Far too slow for production paths.
 */
export function crc32cBitwise(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (const byte of bytes) {
    c ^= byte;
    for (let bit = 0; bit < 8; bit++) c = c & 1 ? (c >>> 1) ^ polynomialReflected : c >>> 1;
  }
  return ~c >>> 0;
}
