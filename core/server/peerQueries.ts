// Queries a member answers for its peers over the peer port: the member list (for a member
// joining an existing cluster), "you were removed", and the calls only the leader can answer for
// a follower (lease renewal and time-to-live, configuration changes). Failures travel back as
// etcd's message text, from which the asker rebuilds the typed error. Asking is member.ts's.
import type { Lessor } from '../lease/lessor.js';
import type { ConfChange } from '../raft/confChange.js';
import type { NodeId } from '../raft/types.js';
import type { ClusterMembers } from './clusterMembers.js';
import { ServerError } from './errors.js';
import type { Member as MemberRecord } from './membership.js';
import type { RaftDriver } from './raftDriver.js';

export interface PeerQueryHost {
  readonly clusterId: string;
  readonly clusterMembers: ClusterMembers;
  readonly driver: RaftDriver;
  readonly lessor: Lessor;
}

interface PeerQuery {
  readonly call?: string;
  readonly id?: string;
  readonly withKeys?: boolean;
  readonly by?: unknown;
  readonly change?: { type: ConfChange['type']; nodeId: NodeId };
  readonly member?: MemberRecord | null;
}

/** Answers one peer query; rejects with etcd's message text. */
export async function answerPeerQuery(host: PeerQueryHost, request: unknown): Promise<unknown> {
  const q = request as PeerQuery;
  try {
    switch (q.call) {
      case 'members':
        return { clusterId: host.clusterId, members: host.clusterMembers.list() };
      case 'removed':
        host.clusterMembers.toldRemovedBy(q.by);
        return null;
      case 'leaseRenew':
        requireLeader(host);
        return host.lessor.renew(BigInt(q.id ?? '0'));
      case 'leaseTimeToLive': {
        requireLeader(host);
        const ttl = host.lessor.timeToLive(BigInt(q.id ?? '0'), q.withKeys ?? false);
        return { ttl: ttl.ttlSeconds, granted: ttl.grantedTtlSeconds, keys: ttl.keys.map((k) => Buffer.from(k).toString('base64')) };
      }
      case 'confChange':
        requireLeader(host);
        if (q.change === undefined) throw new ServerError('INVALID_ARGUMENT', 'etcdserver: a configuration change query carries no change');
        await host.clusterMembers.proposeConfChange(q.change, q.member ?? null);
        return { applied: host.driver.applied };
      default:
        throw new Error(`unknown query ${String(q.call)}`);
    }
  } catch (error) {
    throw new Error(error instanceof Error ? error.message : String(error));
  }
}

function requireLeader(host: PeerQueryHost): void {
  if (!host.driver.isLeader()) throw new ServerError('NOT_LEADER');
}
