// The member's side of cluster membership: the Cluster API (list, add, remove, update, promote)
// and leader transfer (MoveLeader), configuration changes proposed through Raft and applied with
// the attributes Raft does not know (names, URLs, learner flags), the transport's peer set kept in
// step, removed members told to stop, and this member publishing its own name and client URLs.
// Forwarding to the leader, proposing and stopping are the host's (member.ts); the membership
// rules are membership.ts's.
import type { MemberInfo } from '../api/backend.js';
import type { MemberConfig } from './memberConfig.js';
import type { ConfChange } from '../raft/confChange.js';
import { ConfChangeRefusedError, ProposalDroppedError, TransferRefusedError } from '../raft/errors.js';
import type { NodeId } from '../raft/types.js';
import type { PeerTransport } from '../transport/peerTransport.js';
import { encodeConfChangeContext, type ConfChangeContext } from './applier.js';
import { ServerError } from './errors.js';
import type { InternalRequest } from './internalRequest.js';
import { memberIdFor, Membership, normaliseUrls, type Member as MemberRecord, type MembershipImage } from './membership.js';
import type { RaftDriver } from './raftDriver.js';
import { checkAddMember, checkPromoteMember, checkRemoveMember, type ReconfigurationView } from './reconfigurationCheck.js';
import type { RequestIdGenerator, Waiters } from './waiters.js';

/** Share of the leader's commit index a learner must have replicated before it may be promoted (etcd's). */
const learnerReadyFraction = 0.9;
/** Attempts to publish this member's attributes, one election timeout apart. */
const publishAttemptsMax = 20;
/** Election timeouts a leader transfer may take before MoveLeader fails. */
const leaderTransferTimeouts = 6;
/** A removed peer is told of its removal at most once per this many election timeouts. */
const removedNoticeTimeouts = 4;
/**
 * A peer counts as active for --strict-reconfig-check while the connection to it is up and it was
 * heard from within this many election timeouts (a leader hears from each follower every heartbeat).
 */
const activePeerTimeouts = 2;

/** What cluster membership needs from the member that hosts it. */
export interface ClusterMembersHost {
  readonly memberId: NodeId;
  readonly config: MemberConfig;
  readonly driver: RaftDriver;
  readonly transport: PeerTransport;
  readonly waiters: Waiters;
  readonly ids: RequestIdGenerator;
  readonly requestTimeoutMs: number;
  readonly log: (level: 'info' | 'warn', message: string) => void;
  /** The client URLs this member serves on (known once it listens). */
  clientUrls(): readonly string[];
  isStopped(): boolean;
  stop(reason: string): void;
  /** Proposes a request through Raft and resolves once it is applied here. */
  propose(request: InternalRequest): Promise<unknown>;
  /** Resolves once this member has applied everything committed when it was called (ReadIndex). */
  linearizable(): Promise<void>;
  /** Sends a query to the leader's peer port and resolves with its answer. */
  forwardToLeader(request: Record<string, unknown>): Promise<unknown>;
}

export class ClusterMembers {
  private membership: Membership;
  /** Removed peer → when it may be told again (ms since the epoch). */
  private readonly removedNotices = new Map<string, number>();
  /** Removed peer → the peer URL it had, to tell it. */
  private readonly removedPeerUrls = new Map<string, string>();
  /** Peer → when a message from it last arrived (ms since the epoch). */
  private readonly lastHeardMs = new Map<string, number>();
  /**
   * The members a joining member learned of from the cluster it joined ("remotes", as etcd calls
   * them), kept for as long as this process runs. The first snapshot it is sent may predate its
   * own addition and that of the leader sending it; installing that snapshot must not make the
   * leader a stranger, or the entries that would bring the newer membership are dropped and the
   * member never catches up. A remote is a peer until the membership removes it.
   */
  private readonly remotes = new Map<string, MemberRecord>();

  constructor(
    private readonly host: ClusterMembersHost,
    membership: Membership,
    remotes: readonly MemberRecord[] = [],
  ) {
    this.membership = membership;
    for (const remote of remotes) if (remote.id !== host.memberId) this.remotes.set(remote.id, remote);
  }

  /** A member of the cluster, or a remote learned at joining that the membership has not removed. */
  get(id: NodeId): MemberRecord | undefined {
    const member = this.membership.get(id);
    if (member !== undefined) return member;
    const remote = this.remotes.get(id);
    return remote !== undefined && !this.membership.isRemoved(id) ? remote : undefined;
  }

  image(): MembershipImage {
    return this.membership.image();
  }

  /** Replaces the membership with one from an installed snapshot. */
  restore(image: MembershipImage): void {
    this.membership = Membership.fromImage(image);
    this.syncTransportPeers();
  }

  list(): MemberInfo[] {
    return this.membership.list().map((m) => ({ id: m.id, name: m.name, peerUrls: m.peerUrls, clientUrls: m.clientUrls, isLearner: m.isLearner }));
  }

  /** Points the transport at every other member's peer URLs and drops peers no longer members. */
  syncTransportPeers(): void {
    const wanted = new Set<string>();
    for (const member of this.membership.list()) {
      if (member.id === this.host.memberId) continue;
      wanted.add(member.id);
      this.host.transport.setPeer(member.id, member.peerUrls);
    }
    for (const remote of this.remotes.values()) {
      if (wanted.has(remote.id) || this.membership.isRemoved(remote.id)) continue;
      wanted.add(remote.id);
      this.host.transport.setPeer(remote.id, remote.peerUrls);
    }
    for (const peer of this.host.transport.peers()) if (!wanted.has(peer)) this.host.transport.removePeer(peer);
  }

  /**
   * Whether a message from `peer` must be dropped because it was removed. A removed member keeps
   * talking until it learns of its removal (it may never receive the entry that removed it), so
   * it is told, at most once per few election timeouts, and then stops.
   */
  dropFromRemoved(peer: string): boolean {
    if (!this.membership.isRemoved(peer)) {
      this.lastHeardMs.set(peer, Date.now());
      return false;
    }
    const now = Date.now();
    if ((this.removedNotices.get(peer) ?? 0) > now) return true;
    this.removedNotices.set(peer, now + this.host.config.electionTimeoutMs * removedNoticeTimeouts);
    const url = this.removedPeerUrls.get(peer);
    if (url !== undefined) this.host.transport.query(url, peer, { call: 'removed', by: this.host.memberId }).catch(() => undefined);
    return true;
  }

  /** A peer says this member was removed: believed only from a current member. */
  toldRemovedBy(by: unknown): void {
    if (typeof by === 'string' && this.get(by as NodeId)) this.stopRemoved();
  }

  private stopRemoved(): void {
    this.host.log('warn', 'this member has been removed from the cluster; shutting down');
    setImmediate(() => this.host.stop('removed from the cluster'));
  }

  /** Applies a committed configuration change to Raft and to the membership. */
  applyConfChange(change: ConfChange, context: ConfChangeContext): void {
    this.host.driver.node.applyConfChange(change);
    const id = change.nodeId;
    switch (change.type) {
      case 'addVoter':
      case 'addLearner':
        if (context.member) this.membership.add({ ...context.member, isLearner: change.type === 'addLearner' });
        break;
      case 'promoteLearner':
        this.membership.promote(id);
        break;
      case 'removeVoter': {
        const url = this.membership.get(id)?.peerUrls[0];
        if (url !== undefined) this.removedPeerUrls.set(id, url);
        this.membership.remove(id);
        break;
      }
    }
    this.syncTransportPeers();
    if (change.type === 'removeVoter' && id === this.host.memberId) this.stopRemoved();
  }

  /** Applies a committed attribute or peer-URL update. */
  applyRequest(request: InternalRequest): void {
    if (request.kind === 'memberAttributes') this.membership.publish(request.memberId as NodeId, request.name, request.clientUrls);
    else if (request.kind === 'memberUpdate') {
      this.membership.updatePeerUrls(request.memberId as NodeId, request.peerUrls);
      this.syncTransportPeers();
    }
  }

  async memberList(linearizable: boolean): Promise<MemberInfo[]> {
    if (linearizable) await this.host.linearizable();
    return this.list();
  }

  async memberAdd(peerUrls: readonly string[], isLearner: boolean): Promise<{ member: MemberInfo; members: MemberInfo[] }> {
    const urls = normaliseUrls(peerUrls);
    if (urls.length === 0) throw new ServerError('MEMBER_BAD_URLS');
    const id = memberIdFor(urls, this.host.config.initialClusterToken, Date.now());
    const member: MemberRecord = { id, name: '', peerUrls: urls, clientUrls: [], isLearner };
    await this.proposeConfChange({ type: isLearner ? 'addLearner' : 'addVoter', nodeId: id }, member);
    return { member, members: this.list() };
  }

  async memberRemove(id: string): Promise<MemberInfo[]> {
    if (!this.membership.get(id as NodeId)) throw new ServerError('MEMBER_NOT_FOUND');
    await this.proposeConfChange({ type: 'removeVoter', nodeId: id as NodeId }, null);
    return this.list();
  }

  async memberUpdate(id: string, peerUrls: readonly string[]): Promise<MemberInfo[]> {
    const urls = normaliseUrls(peerUrls);
    this.membership.validateUpdate(id as NodeId, urls);
    await this.host.propose({ kind: 'memberUpdate', memberId: id, peerUrls: urls });
    return this.list();
  }

  async memberPromote(id: string): Promise<MemberInfo[]> {
    this.membership.validatePromote(id as NodeId);
    await this.proposeConfChange({ type: 'promoteLearner', nodeId: id as NodeId }, null);
    return this.list();
  }

  /**
   * Proposes a configuration change and resolves once it is applied here. A follower forwards it
   * to the leader (which answers once applied there) and then waits to apply it too, so the member
   * list it answers with already shows the change.
   */
  async proposeConfChange(change: Omit<ConfChange, 'context'>, member: MemberRecord | null): Promise<void> {
    const driver = this.host.driver;
    if (!driver.isLeader()) {
      const answer = (await this.host.forwardToLeader({ call: 'confChange', change: { type: change.type, nodeId: change.nodeId }, member })) as { applied?: number } | null;
      if (typeof answer?.applied === 'number') await driver.waitApplied(answer.applied);
      return;
    }
    if (change.type === 'promoteLearner') this.checkLearnerReady(change.nodeId);
    // etcd's order: the quorum check before the request is checked against the membership.
    if (this.host.config.strictReconfigCheck) this.checkQuorumKept(change, member);
    if (member && (change.type === 'addVoter' || change.type === 'addLearner')) this.membership.validateAdd(member.id, member.peerUrls, member.isLearner);
    const requestId = this.host.ids.take();
    const context = encodeConfChangeContext({ requestId: requestId.toString(), member });
    const applied = this.host.waiters.wait<void>(requestId, this.host.requestTimeoutMs);
    try {
      driver.withNode((node) => node.proposeConfChange({ ...change, context }));
    } catch (error) {
      this.host.waiters.fail(requestId, confChangeError(error));
    }
    await applied;
  }

  /**
   * --strict-reconfig-check: refuses a change that would leave too few started or active voters
   * for a quorum (reconfigurationCheck.ts), judged by the leader, which hears from every member.
   */
  private checkQuorumKept(change: Omit<ConfChange, 'context'>, member: MemberRecord | null): void {
    const view = this.reconfigurationView();
    const refusal =
      change.type === 'removeVoter'
        ? this.membership.get(change.nodeId)?.isLearner === true
          ? null
          : checkRemoveMember(view, change.nodeId)
        : change.type === 'promoteLearner'
          ? checkPromoteMember(view)
          : checkAddMember(view, member?.isLearner ?? change.type === 'addLearner');
    if (refusal === null) return;
    this.host.log('warn', `refused a membership change (${change.type} ${change.nodeId}): ${new ServerError(refusal).message}`);
    throw new ServerError(refusal);
  }

  private reconfigurationView(): ReconfigurationView {
    const self = this.host.memberId;
    const since = Date.now() - this.host.config.electionTimeoutMs * activePeerTimeouts;
    return {
      self,
      voters: this.membership.list().filter((m) => !m.isLearner).map((m) => ({ id: m.id, started: m.name !== '' })),
      isActive: (id) => id === self || (this.host.transport.isConnected(id) && (this.lastHeardMs.get(id) ?? 0) >= since),
    };
  }

  /**
   * etcd's rule for promotion: the learner must have replicated at least 90% of the leader's log,
   * so promoting it never adds a voter that cannot yet take part in quorums.
   */
  private checkLearnerReady(id: NodeId): void {
    const status = this.host.driver.status();
    const progress = status.progress?.[id];
    if (!progress || progress.match < learnerReadyFraction * status.commit) throw new ServerError('LEARNER_NOT_READY');
  }

  /**
   * Hands leadership to `targetId` (etcd's MoveLeader, on the leader only) and resolves once it
   * leads, or fails after six election timeouts.
   */
  async moveLeader(targetId: string): Promise<void> {
    const { driver, config } = this.host;
    if (!driver.isLeader()) throw new ServerError('NOT_LEADER');
    const target = targetId as NodeId;
    if (!this.membership.get(target) || this.membership.get(target)?.isLearner) throw new ServerError('BAD_LEADER_TRANSFEREE');
    try {
      driver.withNode((node) => node.transferLeader(target));
    } catch (error) {
      if (error instanceof TransferRefusedError) throw new ServerError('BAD_LEADER_TRANSFEREE');
      throw error;
    }
    const deadline = Date.now() + config.electionTimeoutMs * leaderTransferTimeouts;
    while (driver.leader() !== target) {
      if (Date.now() > deadline) throw new ServerError('TIMEOUT_LEADER_FAIL');
      await driver.waitForLeader(config.heartbeatIntervalMs);
      await new Promise((resolve) => setTimeout(resolve, config.heartbeatIntervalMs).unref());
    }
  }

  /** Proposes this member's name and client URLs until they are applied (bounded retries). */
  async publishAttributes(): Promise<void> {
    const { host } = this;
    for (let attempt = 0; attempt < publishAttemptsMax && !host.isStopped(); attempt++) {
      const self = this.membership.get(host.memberId);
      if (self && self.name === host.config.name && self.clientUrls.join(',') === host.clientUrls().join(',')) return;
      try {
        await host.propose({ kind: 'memberAttributes', memberId: host.memberId, name: host.config.name, clientUrls: [...host.clientUrls()] });
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, host.config.electionTimeoutMs).unref());
      }
    }
  }
}

/** Raft's refusal of a configuration change as the error etcd answers with. */
function confChangeError(error: unknown): Error {
  if (error instanceof ConfChangeRefusedError) {
    if (error.reason === 'learnerBehind') return new ServerError('LEARNER_NOT_READY');
    if (error.reason === 'notLearner') return new ServerError('MEMBER_NOT_LEARNER');
    if (error.reason === 'notMember') return new ServerError('MEMBER_NOT_FOUND');
    if (error.reason === 'changePending') return new ServerError('NOT_CAPABLE', 'etcdserver: a membership change is already in progress');
    return new ServerError('INVALID_ARGUMENT', `etcdserver: ${error.message}`);
  }
  if (error instanceof ProposalDroppedError) return new ServerError('NO_LEADER');
  return error instanceof Error ? error : new Error(String(error));
}
