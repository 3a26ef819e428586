// Byte and number conversions at the client edge: keys and values as strings or bytes, prefix
// ranges, and 64-bit wire integers turned into safe numbers or kept as decimal strings.
import { assert } from '../raft/assert.js';

/** A key or value: a UTF-8 string or raw bytes. */
export type Bytes = string | Uint8Array;

/** The bytes of `value` (strings are UTF-8 encoded). */
export function toBuffer(value: Bytes): Buffer {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** The range end "\0": with a key, every key >= key; with key "\0", every key. */
export const rangeEndAll = Buffer.from([0]);

/**
 * The smallest key greater than every key starting with `prefix` (etcd's prefix range end):
 * the prefix with its last byte below 0xff incremented and the rest dropped; "\0" (all keys) when
 * every byte is 0xff or the prefix is empty.
 */
export function prefixEnd(prefix: Bytes): Buffer {
  const bytes = Buffer.from(toBuffer(prefix));
  for (let index = bytes.length - 1; index >= 0; index--) {
    const byte = bytes[index]!;
    if (byte < 0xff) {
      bytes[index] = byte + 1;
      return bytes.subarray(0, index + 1);
    }
  }
  return Buffer.from(rangeEndAll);
}

/**
 * A revision, version or count from the wire as a number. Revisions stay far below 2^53 in
 * practice; a larger one would lose precision, which is a bug to surface, not to round.
 */
export function toSafeNumber(decimal: string): number {
  const value = Number(decimal);
  assert(Number.isSafeInteger(value), `wire integer ${decimal} is a safe integer`);
  return value;
}

/** A 64-bit id (lease, member, cluster) as a decimal string, from a bigint, number or string. */
export function toIdString(id: bigint | number | string): string {
  if (typeof id === 'bigint') return id.toString(10);
  if (typeof id === 'number') {
    assert(Number.isSafeInteger(id), `id ${id} is a safe integer`);
    return String(id);
  }
  assert(/^-?\d+$/.test(id), `id ${id} is a decimal string`);
  return id;
}

/** A uint64 id as etcd prints it (lower-case hex, no leading zeros), e.g. member ids. */
export function idToHex(id: string): string {
  return BigInt.asUintN(64, BigInt(id)).toString(16);
}

/** A uint64 id from etcd's hex form (as etcdctl prints member ids) to a decimal string. */
export function hexToId(hex: string): string {
  assert(/^[0-9a-fA-F]{1,16}$/.test(hex), `id ${hex} is at most 16 hex digits`);
  return BigInt(`0x${hex}`).toString(10);
}
