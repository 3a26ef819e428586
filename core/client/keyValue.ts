// The client's view of a stored key: bytes as Buffers, string accessors, revisions as numbers and
// the lease id as a decimal string. Built from the wire KeyValue decoded by core/api/proto.
import type { KeyValue as WireKeyValue } from '../api/proto/messages.js';
import { toSafeNumber } from './bytes.js';

/** One key-value pair at a revision. */
export class KeyValue {
  readonly key: Buffer;
  readonly value: Buffer;
  /** Revision of the key's last creation. */
  readonly createRevision: number;
  /** Revision of the key's last modification. */
  readonly modRevision: number;
  /** Number of modifications since creation (0 for a deleted key). */
  readonly version: number;
  /** Lease id as a decimal string; '0' when the key has no lease. */
  readonly lease: string;

  constructor(wire: WireKeyValue) {
    this.key = wire.key;
    this.value = wire.value;
    this.createRevision = toSafeNumber(wire.create_revision);
    this.modRevision = toSafeNumber(wire.mod_revision);
    this.version = toSafeNumber(wire.version);
    this.lease = wire.lease;
  }

  /** The key decoded as UTF-8. */
  get keyString(): string {
    return this.key.toString('utf8');
  }

  /** The value decoded as UTF-8. */
  get valueString(): string {
    return this.value.toString('utf8');
  }
}

/** The wire pair as a KeyValue, or null when absent. */
export function keyValueOrNull(wire: WireKeyValue | null | undefined): KeyValue | null {
  return wire ? new KeyValue(wire) : null;
}
