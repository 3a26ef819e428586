// etcd's Cluster and Maintenance services.
import { createHash } from 'node:crypto';
import type { EtcdBackend, MemberInfo } from './backend.js';
import type { CallContext } from './handlers.js';
import type { Credentials } from '../auth/credentials.js';
import { fromHexId, header, toBigInt, toMemberId, toNumber } from './convert.js';
import { InvalidRequestError } from './grpcStatus.js';
import type * as admin from './proto/adminMessages.js';
import type { AlarmType } from '../mvcc/types.js';

/** Bytes per Snapshot stream message, as etcd sends them. */
const snapshotChunkBytes = 32 * 1024;

function memberToWire(m: MemberInfo): admin.Member {
  return { ID: fromHexId(m.id), name: m.name, peerURLs: [...m.peerUrls], clientURLs: [...m.clientUrls], isLearner: m.isLearner };
}

/** etcd's cluster service stamps its answers without a revision. */
const clusterHeader = (backend: EtcdBackend): ReturnType<typeof header> => header(backend.header(), 0);

export function clusterHandlers(backend: EtcdBackend) {
  const members = (list: MemberInfo[]): { header: ReturnType<typeof header>; members: admin.Member[] } => ({
    header: clusterHeader(backend), members: list.map(memberToWire),
  });
  return {
    async MemberAdd(q: admin.MemberAddRequest, { credentials }: CallContext): Promise<admin.MemberAddResponse> {
      const added = await backend.memberAdd(q.peerURLs, q.isLearner ?? false, credentials);
      return { header: clusterHeader(backend), member: memberToWire(added.member), members: added.members.map(memberToWire) };
    },
    async MemberRemove(q: admin.MemberRemoveRequest, { credentials }: CallContext) {
      return members(await backend.memberRemove(toMemberId(q.ID), credentials));
    },
    async MemberUpdate(q: admin.MemberUpdateRequest, { credentials }: CallContext) {
      return members(await backend.memberUpdate(toMemberId(q.ID), q.peerURLs, credentials));
    },
    async MemberList(q: admin.MemberListRequest, { credentials }: CallContext) {
      return members(await backend.memberList(q.linearizable ?? false, credentials));
    },
    async MemberPromote(q: admin.MemberPromoteRequest, { credentials }: CallContext) {
      return members(await backend.memberPromote(toMemberId(q.ID), credentials));
    },
  };
}

const alarmTypes = new Set<string>(['NOSPACE', 'CORRUPT']);

// etcd 3.4 answers Alarm and Defragment without a header at all.
export function maintenanceHandlers(backend: EtcdBackend) {
  const alarmsToWire = (list: { memberId: bigint; alarm: AlarmType }[]): admin.AlarmMember[] =>
    list.map((a) => ({ memberID: a.memberId.toString(), alarm: a.alarm }));
  return {
    async Status(_q: object, { credentials }: CallContext): Promise<admin.StatusResponse> {
      const s = await backend.status(credentials);
      return {
        header: header(backend.header()), version: s.version, dbSize: String(s.dbSize), leader: fromHexId(s.leader),
        raftIndex: String(s.raftIndex), raftTerm: String(s.raftTerm), raftAppliedIndex: String(s.raftAppliedIndex),
        errors: [...s.errors], dbSizeInUse: String(s.dbSizeInUse), isLearner: s.isLearner,
      };
    },
    async Alarm(q: admin.AlarmRequest, { credentials }: CallContext): Promise<admin.AlarmResponse> {
      const action = q.action;
      if (action === 'GET') return { header: null, alarms: alarmsToWire(await backend.alarmList(credentials)) };
      const alarm = q.alarm ?? 'NONE';
      if (!alarmTypes.has(alarm)) throw new InvalidRequestError(`etcdserver: unknown alarm type ${alarm}`);
      const memberId = toBigInt(q.memberID);
      const list = action === 'ACTIVATE'
        ? await backend.alarmActivate(memberId, alarm as AlarmType, credentials)
        : await backend.alarmDeactivate(memberId, alarm as AlarmType, credentials);
      return { header: null, alarms: alarmsToWire(list) };
    },
    async Defragment(_q: object, { credentials }: CallContext): Promise<{ header: null }> {
      await backend.defragment(credentials);
      return { header: null };
    },
    async Hash(_q: object, { credentials }: CallContext): Promise<admin.HashResponse> {
      const hash = await backend.hash(credentials);
      return { header: header(backend.header()), hash };
    },
    async HashKV(q: admin.HashKVRequest, { credentials }: CallContext): Promise<admin.HashKVResponse> {
      const result = await backend.hashKv(toNumber(q.revision), credentials);
      return { header: header(backend.header(), result.revision), hash: result.hash, compact_revision: String(result.compactRevision), hash_revision: String(result.hashRevision) };
    },
    async MoveLeader(q: admin.MoveLeaderRequest, { credentials }: CallContext): Promise<{ header: ReturnType<typeof header> }> {
      await backend.moveLeader(toMemberId(q.targetID), credentials);
      return { header: header(backend.header()) };
    },
  };
}

/** The Snapshot stream: the database in chunks, then etcd's trailing SHA-256 of everything sent. */
export async function* snapshotStream(backend: EtcdBackend, credentials: Credentials): AsyncIterable<admin.SnapshotResponse> {
  const snapshot = await backend.snapshot(credentials);
  const hash = createHash('sha256');
  let remaining = snapshot.sizeBytes + 32;
  for await (const chunk of snapshot.chunks) {
    for (let offset = 0; offset < chunk.length; offset += snapshotChunkBytes) {
      const part = Buffer.from(chunk.subarray(offset, offset + snapshotChunkBytes));
      hash.update(part);
      remaining -= part.length;
      yield { header: header(backend.header()), remaining_bytes: String(remaining), blob: part, version: '' };
    }
  }
  yield { header: header(backend.header()), remaining_bytes: '0', blob: hash.digest(), version: '' };
}
