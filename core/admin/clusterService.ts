// Cluster status over the etcd client: the member list joined with each member's Maintenance
// status, leader transfer, status ticks for subscribers, and the term timeline the console records
// while it reads status.
import type { EtcdClient } from '../client/etcdClient.js';
import type { MemberStatus as ClientMemberStatus } from '../client/maintenanceClient.js';
import type { ClusterHistory, ClusterStatus, MemberStatus, ProxyStatus, StatusSample, TermSample } from './api.js';
import type { EventHub } from './eventHub.js';
import { AdminFailure, attempt } from './result.js';
import { translateClientError } from './clientErrors.js';

/** Deadline of one member's status read; an unreachable member must not stall the page. */
export const memberStatusTimeoutMs = 2_000;
/** Interval between status ticks while someone subscribes to a connection's status. */
export const statusTickMs = 2_000;
/** Term samples kept per connection. */
export const termSamplesMax = 1_000;
/** Status ticks kept per connection for the charts (10 minutes at one tick every 2 s). */
export const statusSamplesMax = 300;

function memberStatus(
  member: { id: string; name: string; peerUrls: string[]; clientUrls: string[]; isLearner: boolean },
  status: ClientMemberStatus | Error,
): MemberStatus {
  const base = { id: member.id, name: member.name, peerUrls: member.peerUrls, clientUrls: member.clientUrls, isLearner: member.isLearner };
  if (status instanceof Error) {
    return {
      ...base,
      isLeader: false,
      healthy: false,
      error: status.message,
      version: null,
      term: null,
      raftIndex: null,
      raftAppliedIndex: null,
      dbSizeBytes: null,
      dbSizeInUseBytes: null,
    };
  }
  return {
    ...base,
    isLeader: status.leader === member.id,
    healthy: status.errors.length === 0,
    error: status.errors.length === 0 ? null : status.errors.join('; '),
    version: status.version,
    term: status.raftTerm,
    raftIndex: status.raftIndex,
    raftAppliedIndex: status.raftAppliedIndex,
    dbSizeBytes: status.dbSize,
    dbSizeInUseBytes: status.dbSizeInUse,
  };
}

export class ClusterService {
  private readonly timelines = new Map<string, TermSample[]>();
  /** Per connection, the last statusSamplesMax status ticks, oldest first (a ring: the oldest is dropped). */
  private readonly samples = new Map<string, StatusSample[]>();

  constructor(
    private readonly hub: EventHub,
    private readonly clientFor: (connectionId: string) => EtcdClient,
    /** The status of the local proxy in front of the connection's cluster, read now; null when there is none. */
    private readonly proxyStatusFor: (connectionId: string) => Promise<ProxyStatus> | null = () => null,
    /** Opens what the connection needs before its client is used (its SSH tunnel); throws when the connection does not exist. */
    private readonly ready: (connectionId: string) => Promise<void> = () => Promise.resolve(),
    /** Throws when the connection does not exist. */
    private readonly check: (connectionId: string) => void = (connectionId) => void clientFor(connectionId),
  ) {
    hub.setActivator('clusterStatus', (topic) => (topic.kind === 'clusterStatus' ? this.tick(topic.connectionId) : () => undefined));
  }

  async status(connectionId: string): Promise<ClusterStatus> {
    await this.ready(connectionId);
    const client = this.clientFor(connectionId);
    const proxy = this.proxyStatusFor(connectionId);
    const list = await client.cluster.memberList();
    const statuses = await Promise.all(
      list.members.map((member) => {
        const endpoint = member.clientUrls[0];
        if (endpoint === undefined) return Promise.resolve(new Error('The member has not started yet (no client URL).'));
        return client.maintenance.status({ endpoint, timeoutMs: memberStatusTimeoutMs }).catch((error: unknown) => {
          const translated = translateClientError(error);
          return new Error(translated?.message ?? String(error));
        });
      }),
    );
    // By name, then id: the pages list members in a stable order, whichever member answered.
    const members = list.members
      .map((member, index) => memberStatus(member, statuses[index]!))
      .sort((a, b) => a.name.localeCompare(b.name) || (BigInt(a.id) < BigInt(b.id) ? -1 : BigInt(a.id) > BigInt(b.id) ? 1 : 0));
    const answered = statuses.filter((status): status is ClientMemberStatus => !(status instanceof Error));
    const leaderId = answered.find((status) => status.leader !== '0')?.leader ?? null;
    const revision = Math.max(list.header.revision, ...answered.map((status) => status.header.revision));
    const status: ClusterStatus = { connectionId, clusterId: list.header.clusterId, leaderId, revision, members, takenAtMs: Date.now() };
    if (proxy) status.proxy = await proxy;
    this.record(status);
    return status;
  }

  /** Transfers leadership to `targetMemberId`, asking the current leader (only it may). */
  async moveLeader(connectionId: string, targetMemberId: string): Promise<void> {
    const status = await this.status(connectionId);
    const target = status.members.find((member) => member.id === targetMemberId);
    if (!target) throw new AdminFailure('not_found', `Member ${targetMemberId} is not in this cluster.`);
    if (target.isLearner) throw new AdminFailure('failed_precondition', 'A learner cannot become leader; promote it first.');
    const leader = status.members.find((member) => member.isLeader);
    const endpoint = leader?.clientUrls[0];
    if (!leader || endpoint === undefined) throw new AdminFailure('failed_precondition', 'The cluster has no reachable leader right now.');
    if (leader.id === targetMemberId) return;
    await this.clientFor(connectionId).maintenance.moveLeader(targetMemberId, { endpoint });
  }

  /** Term and leader changes seen so far for the connection, oldest first. */
  timeline(connectionId: string): TermSample[] {
    this.check(connectionId);
    return [...(this.timelines.get(connectionId) ?? [])];
  }

  /** The status ticks and term changes recorded for the connection, oldest first. */
  history(connectionId: string): ClusterHistory {
    this.check(connectionId);
    return { samples: [...(this.samples.get(connectionId) ?? [])], terms: this.timeline(connectionId) };
  }

  forget(connectionId: string): void {
    this.timelines.delete(connectionId);
    this.samples.delete(connectionId);
  }

  private record(status: ClusterStatus): void {
    const ticks = this.samples.get(status.connectionId) ?? [];
    if ((ticks.at(-1)?.takenAtMs ?? -1) < status.takenAtMs) {
      ticks.push({ takenAtMs: status.takenAtMs, revision: status.revision, applied: Object.fromEntries(status.members.map((member) => [member.name || member.id, member.raftAppliedIndex])) });
      if (ticks.length > statusSamplesMax) ticks.shift();
      this.samples.set(status.connectionId, ticks);
    }
    const terms = status.members.map((member) => member.term ?? 0);
    const term = Math.max(0, ...terms);
    const samples = this.timelines.get(status.connectionId) ?? [];
    const last = samples[samples.length - 1];
    if (last && last.term === term && last.leaderId === status.leaderId) return;
    samples.push({ takenAtMs: status.takenAtMs, term, leaderId: status.leaderId });
    if (samples.length > termSamplesMax) samples.shift();
    this.timelines.set(status.connectionId, samples);
  }

  /** Publishes a status tick now and every statusTickMs until the returned stop is called. */
  private tick(connectionId: string): () => void {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const run = async (): Promise<void> => {
      const status = await attempt(() => this.status(connectionId), translateClientError);
      if (stopped) return;
      this.hub.publish({ kind: 'clusterStatus', connectionId, status });
      timer = setTimeout(() => void run(), statusTickMs);
    };
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }
}
