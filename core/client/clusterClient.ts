// The Cluster service: list, add (as voter or learner), remove, update peer URLs, promote.
// Member ids are uint64: decimal strings here (idToHex gives etcdctl's hex form).
import type {
  Member as WireMember,
  MemberAddResponse,
  MembersResponse,
} from '../api/proto/adminMessages.js';
import { status as grpcStatus } from '@grpc/grpc-js';
import { idToHex, toIdString } from './bytes.js';
import type { CallOptions, Connection } from './connection.js';
import { EtcdError } from './etcdError.js';
import { toHeader } from './header.js';
import type { ResponseHeader } from './header.js';

export interface Member {
  /** Member id (uint64) as a decimal string. */
  readonly id: string;
  /** Member id as etcd prints it (hex). */
  readonly idHex: string;
  /** Empty until the member has started. */
  readonly name: string;
  readonly peerUrls: string[];
  /** Empty until the member has started. */
  readonly clientUrls: string[];
  readonly isLearner: boolean;
}

export interface MembersResult {
  readonly header: ResponseHeader;
  readonly members: Member[];
}

export interface MemberAddResult extends MembersResult {
  /** The member just added. */
  readonly member: Member;
}

/** A member id: decimal string (as returned), bigint, or safe number. */
export type MemberId = string | bigint | number;

function toMember(wire: WireMember): Member {
  return {
    id: wire.ID,
    idHex: idToHex(wire.ID),
    name: wire.name,
    peerUrls: wire.peerURLs,
    clientUrls: wire.clientURLs,
    isLearner: wire.isLearner,
  };
}

function toMembers(wire: MembersResponse): MembersResult {
  return { header: toHeader(wire.header), members: wire.members.map(toMember) };
}

/** Membership calls. Errors are EtcdError with etcd's code and message. */
export class ClusterClient {
  constructor(private readonly connection: Connection) {}

  /** The members; `linearizable` (etcd 3.5+) reads them through consensus. */
  async memberList(options: { linearizable?: boolean } & CallOptions = {}): Promise<MembersResult> {
    const request = options.linearizable ? { linearizable: true } : {};
    const wire = await this.connection.unary<MembersResponse>('etcdserverpb.Cluster', 'MemberList', request, {
      ...options,
      idempotent: true,
    });
    return toMembers(wire);
  }

  /** Adds a member with these peer URLs, as a non-voting learner with `isLearner`. */
  async memberAdd(peerUrls: string[], options: { isLearner?: boolean } & CallOptions = {}): Promise<MemberAddResult> {
    const wire = await this.connection.unary<MemberAddResponse>(
      'etcdserverpb.Cluster',
      'MemberAdd',
      { peerURLs: peerUrls, isLearner: options.isLearner ?? false },
      { ...options, idempotent: false },
    );
    const result = toMembers({ header: wire.header, members: wire.members });
    if (wire.member === null) {
      throw new EtcdError(grpcStatus.INTERNAL, 'MemberAdd response carries no member', 'etcdserverpb.Cluster/MemberAdd', '');
    }
    return { ...result, member: toMember(wire.member) };
  }

  /** Removes a member; NOT_FOUND "etcdserver: member not found" for an unknown id. */
  async memberRemove(id: MemberId, options: CallOptions = {}): Promise<MembersResult> {
    const wire = await this.connection.unary<MembersResponse>(
      'etcdserverpb.Cluster',
      'MemberRemove',
      { ID: toIdString(id) },
      { ...options, idempotent: false },
    );
    return toMembers(wire);
  }

  /** Replaces a member's peer URLs. */
  async memberUpdate(id: MemberId, peerUrls: string[], options: CallOptions = {}): Promise<MembersResult> {
    const wire = await this.connection.unary<MembersResponse>(
      'etcdserverpb.Cluster',
      'MemberUpdate',
      { ID: toIdString(id), peerURLs: peerUrls },
      { ...options, idempotent: true },
    );
    return toMembers(wire);
  }

  /**
   * Promotes a learner to a voter. Fails with "etcdserver: can only promote a learner member which
   * is in sync with leader" until the learner has caught up.
   */
  async memberPromote(id: MemberId, options: CallOptions = {}): Promise<MembersResult> {
    const wire = await this.connection.unary<MembersResponse>(
      'etcdserverpb.Cluster',
      'MemberPromote',
      { ID: toIdString(id) },
      { ...options, idempotent: true },
    );
    return toMembers(wire);
  }
}
