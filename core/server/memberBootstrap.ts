// How a member opens its durable state: recovered from its data directory, bootstrapped for a new
// cluster from --initial-cluster, or created empty to join an existing cluster (whose id and this
// member's id it asks a running member for). Also rebuilds typed errors that come back from calls
// forwarded to the leader.
import fs from 'node:fs';
import type tls from 'node:tls';
import type { MemberConfig } from './memberConfig.js';
import type { MemberInfo } from '../api/backend.js';
import { LeaseNotFoundError } from '../mvcc/errors.js';
import type { NodeId } from '../raft/types.js';
import { PeerTransport } from '../transport/peerTransport.js';
import { bootstrapJoin, bootstrapNew, dataPaths, hasWal, recover, DataDirError, type RecoveredState } from './dataDir.js';
import { ServerError } from './errors.js';
import { forceNewCluster } from './forceNewCluster.js';
import { clusterIdFor, memberIdFor, Membership, normaliseUrls, type Member as MemberRecord } from './membership.js';

type Log = (level: 'info' | 'warn', message: string) => void;

/** Opens or creates the member's data directory; throws DataDirError with a one-line reason. */
export async function openDurableState(config: MemberConfig, unsafeNoFsync: boolean, log: Log, peerTls?: tls.ConnectionOptions): Promise<RecoveredState> {
  const paths = dataPaths(config.dataDir, config.walDir);
  try {
    fs.mkdirSync(paths.root, { recursive: true });
    fs.accessSync(paths.root, fs.constants.R_OK | fs.constants.W_OK);
  } catch (error) {
    throw new DataDirError(`cannot use data directory ${paths.root}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const storageOptions = { unsafeNoFsync, walSegmentBytes: config.walSegmentBytes, snapshotsKept: config.maxSnapshots, log: (message: string) => log('warn', message) };
  let recovered: RecoveredState;
  const selfPeerUrls = normaliseUrls(config.initialAdvertisePeerUrls.map(String));
  const existing = hasWal(paths);
  if (existing) {
    recovered = await recover(paths, storageOptions);
    if (recovered.membership.isRemoved(recovered.memberId)) {
      await recovered.wal.close();
      throw new DataDirError(`member ${recovered.memberId} was removed from cluster ${recovered.clusterId}; start it with a new data directory to join again`);
    }
    log('info', `restarted member ${recovered.memberId} of cluster ${recovered.clusterId} from ${paths.root}`);
    if (config.forceNewCluster) {
      const removed = await forceNewCluster(recovered);
      if (removed.length === 0) log('info', '--force-new-cluster: this member is already the only member of its cluster');
      else log('warn', `--force-new-cluster: member ${recovered.memberId} is now the only member of cluster ${recovered.clusterId}; removed ${removed.join(', ')}`);
    }
  } else if (config.initialClusterState === 'new') {
    const members: MemberRecord[] = [...config.initialCluster].map(([name, urls]) => {
      const peerUrls = normaliseUrls(urls.map(String));
      return { id: memberIdFor(peerUrls, config.initialClusterToken), name, peerUrls, clientUrls: [], isLearner: false };
    });
    const self = members.find((m) => m.name === config.name)!;
    if (self.peerUrls.join(',') !== selfPeerUrls.join(',')) {
      throw new DataDirError(`--initial-cluster gives ${config.name} the peer URLs ${self.peerUrls.join(',')} but --initial-advertise-peer-urls says ${selfPeerUrls.join(',')}`);
    }
    const membership = new Membership(clusterIdFor(members.map((m) => m.id)));
    for (const member of members) membership.add(member);
    recovered = await bootstrapNew(paths, membership, self.id, storageOptions);
    log('info', `started member ${self.id} of new cluster ${membership.clusterId}`);
  } else {
    const lookup = await lookupCluster(config, selfPeerUrls, peerTls);
    const joined = await bootstrapJoin(paths, lookup.clusterId, lookup.memberId, storageOptions);
    log('info', `joining cluster ${lookup.clusterId} as member ${lookup.memberId}`);
    // Until the leader's snapshot brings the membership, reach the peers the lookup named; and
    // keep them as remotes in case that snapshot predates them.
    const remotes = lookup.members.map((peer) => ({ ...peer, id: peer.id as NodeId }));
    for (const peer of remotes) joined.membership.add(peer);
    recovered = { ...joined, remotes };
  }
  // etcd too ignores the flag without a WAL to start from.
  if (config.forceNewCluster && !existing) log('warn', `--force-new-cluster has no effect: ${paths.root} held no data to start from`);
  return recovered;
}

/** Rebuilds the typed error a leader answered a forwarded call with, from etcd's message. */
export function toServerError(message: string): Error {
  for (const code of ['NO_LEADER', 'NOT_LEADER', 'LEARNER_NOT_READY', 'MEMBER_NOT_LEARNER', 'MEMBER_NOT_FOUND', 'TIMEOUT', 'STOPPED', 'NOT_ENOUGH_STARTED', 'UNHEALTHY', 'MEMBER_EXISTS', 'PEER_URL_EXISTS', 'TOO_MANY_LEARNERS'] as const) {
    const probe = new ServerError(code);
    if (probe.message === message) return probe;
  }
  if (message === new LeaseNotFoundError(0n).message) return new LeaseNotFoundError(0n);
  return new ServerError('INVALID_ARGUMENT', message);
}

/** Asks the members of an existing cluster for its id and this member's id (by peer URLs). */
async function lookupCluster(config: MemberConfig, selfPeerUrls: readonly string[], peerTls: tls.ConnectionOptions | undefined): Promise<{ clusterId: string; memberId: NodeId; members: MemberInfo[] }> {
  const probe = new PeerTransport({ clusterId: '', memberId: '', onMessage: () => undefined, onSnapshot: () => Promise.resolve(), ...(peerTls ? { tls: { client: peerTls } } : {}) });
  const errors: string[] = [];
  try {
    for (const [name, urls] of config.initialCluster) {
      if (name === config.name) continue;
      for (const url of urls) {
        try {
          const answer = (await probe.query(url.origin, '', { call: 'members' })) as { clusterId: string; members: MemberInfo[] };
          const self = answer.members.find((m) => m.peerUrls.join(',') === selfPeerUrls.join(','));
          if (!self) throw new DataDirError(`cluster ${answer.clusterId} has no member with peer URLs ${selfPeerUrls.join(',')}: add it first (etcdctl member add)`);
          return { clusterId: answer.clusterId, memberId: self.id as NodeId, members: answer.members };
        } catch (error) {
          if (error instanceof DataDirError) throw error;
          errors.push(`${url.origin}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    }
  } finally {
    await probe.close();
  }
  throw new DataDirError(`cannot reach the existing cluster to join it (${errors.join('; ') || 'no other member in --initial-cluster'})`);
}
