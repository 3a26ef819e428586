// CRC32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum on every WAL and snapshot
// record. Table-driven slicing-by-8: eight 256-entry tables let the inner loop consume eight bytes
// per step. This module owns only the arithmetic; framing and what is covered live in record.ts.

import { crcBitwise, crcSlicing8, slicingTables } from '../util/crcTables.js';

const polynomialReflected = 0x82f63b78;

/** tables[k * 256 + b]: the CRC contribution of byte b followed by k zero bytes. */
const tables = slicingTables(polynomialReflected, 8);

/**
 * Returns the CRC32C of `bytes[start, end)` as an unsigned 32-bit number. Pass a previous result
 * as `crc` to continue a checksum over several pieces: `crc32c(b, 0, n, crc32c(a))` equals the CRC
 * of `a` followed by `b`.
 */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length, crc = 0): number {
  return crcSlicing8(tables, bytes, start, end, crc);
}

/**
 * The plain bit-at-a-time definition, kept as the reference the fast version is tested against.
 * Far too slow for production paths.
 */
export function crc32cBitwise(bytes: Uint8Array, crc = 0): number {
  return crcBitwise(polynomialReflected, bytes, crc);
}
