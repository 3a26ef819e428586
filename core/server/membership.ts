// The cluster's membership as the server knows it: each member's id, name, peer and client URLs
// and learner flag, plus the ids removed for good. Ids are derived as etcd derives them (a hash of
// the peer URLs and the cluster token), so a member added with the same URLs at another time gets
// another id. The Raft configuration itself is core/raft's; this module keeps the attributes that
// Raft does not know and checks requests against them.
import { createHash } from 'node:crypto';
import { ServerError } from './errors.js';
import type { NodeId } from '../raft/types.js';

export interface Member {
  readonly id: NodeId;
  /** Empty until the member has started and published its name. */
  readonly name: string;
  readonly peerUrls: readonly string[];
  readonly clientUrls: readonly string[];
  readonly isLearner: boolean;
}

/** The serialisable form stored in snapshots. */
export interface MembershipImage {
  readonly clusterId: string;
  readonly members: readonly Member[];
  readonly removed: readonly string[];
}

function hashToId(parts: readonly string[]): NodeId {
  const digest = createHash('sha1').update(parts.join('')).digest();
  const id = digest.readBigUInt64BE(0);
  return (id === 0n ? 1n : id).toString(16) as NodeId;
}

/** etcd's member id: a hash of the sorted peer URLs, the cluster token and, for added members, a time. */
export function memberIdFor(peerUrls: readonly string[], clusterToken: string, nowMs?: number): NodeId {
  const parts = [...peerUrls].sort();
  parts.push(clusterToken);
  if (nowMs !== undefined) parts.push(String(nowMs));
  return hashToId(parts);
}

/** The cluster id: a hash of the sorted initial member ids. */
export function clusterIdFor(memberIds: readonly NodeId[]): string {
  const bytes = [...memberIds].sort().map((id) => {
    const buffer = Buffer.alloc(8);
    buffer.writeBigUInt64BE(BigInt(`0x${id}`));
    return buffer.toString('binary');
  });
  return hashToId(bytes);
}

/** Normalises a URL list the way members compare them (origin only, no trailing slash). */
export function normaliseUrls(urls: readonly string[]): string[] {
  return urls.map((text) => {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new ServerError('MEMBER_BAD_URLS');
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.port === '') throw new ServerError('MEMBER_BAD_URLS');
    return url.origin;
  });
}

/** Most learners a cluster may hold at once, as etcd allows. */
export const learnersMax = 1;

export class Membership {
  private readonly members = new Map<NodeId, Member>();
  private readonly removed = new Set<string>();

  constructor(readonly clusterId: string) {}

  static fromImage(image: MembershipImage): Membership {
    const membership = new Membership(image.clusterId);
    for (const member of image.members) membership.members.set(member.id, member);
    for (const id of image.removed) membership.removed.add(id);
    return membership;
  }

  image(): MembershipImage {
    return { clusterId: this.clusterId, members: this.list(), removed: [...this.removed].sort() };
  }

  list(): Member[] {
    return [...this.members.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  get(id: NodeId): Member | undefined {
    return this.members.get(id);
  }

  isRemoved(id: string): boolean {
    return this.removed.has(id);
  }

  /** Checks an add request before it is proposed; throws etcd's errors. */
  validateAdd(id: NodeId, peerUrls: readonly string[], isLearner: boolean): void {
    if (this.members.has(id) || this.removed.has(id)) throw new ServerError('MEMBER_EXISTS');
    const wanted = new Set(peerUrls);
    for (const member of this.members.values()) {
      if (member.peerUrls.some((url) => wanted.has(url))) throw new ServerError('PEER_URL_EXISTS');
    }
    if (isLearner && this.list().filter((m) => m.isLearner).length >= learnersMax) throw new ServerError('TOO_MANY_LEARNERS');
  }

  /** Checks a promote request; throws etcd's errors. */
  validatePromote(id: NodeId): void {
    const member = this.members.get(id);
    if (!member) throw new ServerError('MEMBER_NOT_FOUND');
    if (!member.isLearner) throw new ServerError('MEMBER_NOT_LEARNER');
  }

  validateUpdate(id: NodeId, peerUrls: readonly string[]): void {
    if (!this.members.has(id)) throw new ServerError('MEMBER_NOT_FOUND');
    const wanted = new Set(peerUrls);
    for (const member of this.members.values()) {
      if (member.id !== id && member.peerUrls.some((url) => wanted.has(url))) throw new ServerError('PEER_URL_EXISTS');
    }
  }

  /** Applied from the log: idempotent, so re-applying after a restart is harmless. */
  add(member: Member): void {
    if (this.removed.has(member.id)) return;
    this.members.set(member.id, member);
  }

  remove(id: NodeId): void {
    this.members.delete(id);
    this.removed.add(id);
  }

  promote(id: NodeId): void {
    const member = this.members.get(id);
    if (member) this.members.set(id, { ...member, isLearner: false });
  }

  updatePeerUrls(id: NodeId, peerUrls: readonly string[]): void {
    const member = this.members.get(id);
    if (member) this.members.set(id, { ...member, peerUrls });
  }

  publish(id: NodeId, name: string, clientUrls: readonly string[]): void {
    const member = this.members.get(id);
    if (member) this.members.set(id, { ...member, name, clientUrls });
  }
}
