// The response header every etcd reply carries, in client form: revision and term as numbers,
// cluster and member ids as decimal strings.
import type { ResponseHeader as WireHeader } from '../api/proto/messages.js';
import { toSafeNumber } from './bytes.js';

export interface ResponseHeader {
  /** Cluster id (uint64) as a decimal string. */
  readonly clusterId: string;
  /** Id of the member that answered (uint64) as a decimal string. */
  readonly memberId: string;
  /** Store revision when the request was applied. */
  readonly revision: number;
  readonly raftTerm: number;
}

/** The client form of a wire header; a missing header reads as all zeroes. */
export function toHeader(wire: WireHeader | null): ResponseHeader {
  if (wire === null) return { clusterId: '0', memberId: '0', revision: 0, raftTerm: 0 };
  return {
    clusterId: wire.cluster_id,
    memberId: wire.member_id,
    revision: toSafeNumber(wire.revision),
    raftTerm: toSafeNumber(wire.raft_term),
  };
}
