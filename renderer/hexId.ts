// etcd's tools print member and lease ids in hexadecimal; the contract carries them as decimal
// strings (exact 64-bit values). Display them the way etcdctl does.

/** A decimal id string as etcdctl prints it (lower-case hex); anything else is shown as given. */
export function hexId(decimal: string): string {
  if (!/^\d+$/.test(decimal)) return decimal;
  return BigInt(decimal).toString(16);
}
