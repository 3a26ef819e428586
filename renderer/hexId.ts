// etcd's tools print member and lease ids in hexadecimal; the contract carries them as decimal
// strings (exact 64-bit values). Display them the way etcdctl does.

/** A decimal id string as etcdctl prints it (lower-case hex); anything else is shown as given. */
export function hexId(decimal: string): string {
  if (!/^\d+$/.test(decimal)) return decimal;
  return BigInt(decimal).toString(16);
}

/** Largest 64-bit id; lease ids are positive int64 values. */
const idMax = (1n << 63n) - 1n;

/** A typed lease id read, or why it cannot be one. */
export type ParsedId = { ok: true; decimal: string; hex: string } | { ok: false; message: string };

/**
 * Reads a lease id as typed: hex as etcdctl prints it (with or without 0x), or decimal as etcd's
 * JSON and some tools print it. Digits only and at most 16 of them read as hex, as etcdctl reads
 * them; more than 16 digits can only be decimal. The caller shows the reading, so it is never a
 * silent guess.
 */
export function parseLeaseId(input: string): ParsedId {
  const text = input.trim().toLowerCase();
  let value: bigint;
  if (/^0x[0-9a-f]{1,16}$/.test(text)) value = BigInt(text);
  else if (/^[0-9a-f]{1,16}$/.test(text)) value = BigInt(`0x${text}`);
  else if (/^[0-9]{17,20}$/.test(text)) value = BigInt(text);
  else return { ok: false, message: 'A lease ID is hex as etcdctl prints it (e.g. 694d7c5b4e6ba60a), or its decimal form.' };
  if (value === 0n || value > idMax) return { ok: false, message: 'A lease ID is a positive 64-bit number.' };
  return { ok: true, decimal: value.toString(), hex: value.toString(16) };
}
