// Reads every member's Raft message tap (`/rafter/v1/raft/messages` on its client URL) for the
// console's live view: in parallel, each read continuing from the caller's cursor and waiting a
// little for traffic, answered as the members' Raft state plus the messages in time order. Each
// message is kept once, as its sender saw it; the receivers' records add only what a fault dropped
// on arrival. Drawing and replay are the renderer's.
import type { Member } from '../client/clusterClient.js';
import type { EtcdClient } from '../client/etcdClient.js';
import type { RaftLiveMember, RaftMessageRecord, RaftMessageType, RaftTraffic, RaftTrafficCursor } from './api.js';
import { decimalId, getInspection, notRafterMessage, type InspectionAccess } from './raftInspection.js';
import { AdminFailure } from './result.js';

/** Time a member's read may take beyond its wait before it counts as unreachable. */
export const trafficReadSlackMs = 1_500;
/**
 * The same for a member the caller holds no cursor for while it holds others (it did not answer
 * last time): short, so a frozen member (SIGSTOP) does not hold every read up for long.
 */
export const trafficRetrySlackMs = 250;
/** How long one endpoint gets to answer the member list before the next is asked. */
export const memberListTimeoutMs = 1_000;

interface TapRecord {
  seq: number;
  atMs: number;
  direction: 'send' | 'receive';
  type: RaftMessageType;
  from: string;
  to: string;
  term: number;
  index: number;
  entries: number;
  commit: number;
  reject: boolean;
  dropped: boolean;
}

interface MessagesResponse {
  memberId: string;
  name: string;
  tapId: string;
  lastSeq: number;
  sampledOut: number;
  missed: number;
  records: TapRecord[];
  status: { role: RaftLiveMember['role']; term: number; leader: string | null; commit: number; applied: number; lastIndex: number; isLearner: boolean };
  faults: { dropTo: string[]; dropFrom: string[] };
}

function unreachable(memberId: string, name: string, error: string): RaftLiveMember {
  return {
    memberId, name, reachable: false, error, role: null, term: null, leaderId: null, commitIndex: null, lastIndex: null, appliedIndex: null,
    cutOff: false, cursor: null, sampledOut: 0, missed: 0,
  };
}

function liveMember(memberId: string, name: string, response: MessagesResponse): RaftLiveMember {
  const { status } = response;
  return {
    memberId,
    name: name || response.name,
    reachable: true,
    error: null,
    role: status.isLearner ? 'learner' : status.role,
    term: status.term,
    leaderId: decimalId(status.leader),
    commitIndex: status.commit,
    lastIndex: status.lastIndex,
    appliedIndex: status.applied,
    cutOff: response.faults.dropTo.length > 0 || response.faults.dropFrom.length > 0,
    cursor: { memberId, tapId: response.tapId, afterSeq: response.lastSeq },
    sampledOut: response.sampledOut,
    missed: response.missed,
  };
}

function messageRecord(seenBy: string, record: TapRecord): RaftMessageRecord | null {
  const from = decimalId(record.from);
  const to = decimalId(record.to);
  if (from === null || to === null) return null;
  const { seq, atMs, type, term, index, entries, commit, reject, dropped } = record;
  const droppedAt = !dropped ? null : record.direction === 'send' ? 'sender' : 'receiver';
  return { seenBy, seq, atMs, type, from, to, term, index, entries, commit, reject, dropped, droppedAt };
}

/**
 * The member list from the first of the connection's endpoints that answers within
 * memberListTimeoutMs, the current one first. A member paused with SIGSTOP keeps its connections
 * open and answers nothing, so the endpoint calls happen to go to must not hold every read up
 * until the call's deadline (which is not a failover).
 */
async function memberListFromAny(client: EtcdClient): Promise<Member[]> {
  const current = client.currentEndpoint;
  let last: unknown = null;
  for (const endpoint of [current, ...client.endpoints.filter((other) => other !== current)]) {
    try {
      return (await client.cluster.memberList({ endpoint, timeoutMs: memberListTimeoutMs })).members;
    } catch (error) {
      last = error;
    }
  }
  throw last;
}

/**
 * One read of every member's tap, continuing from `cursors`. Fails with `unavailable` when no
 * member serves the tap (real etcd); a member that does not answer is listed as unreachable.
 */
export async function raftTraffic(client: EtcdClient, access: InspectionAccess, cursors: readonly RaftTrafficCursor[], waitMs: number): Promise<RaftTraffic> {
  const members = await memberListFromAny(client);
  const byMember = new Map(cursors.map((cursor) => [cursor.memberId, cursor]));
  let served = false;
  const reads = members.map(async (member): Promise<{ live: RaftLiveMember; messages: RaftMessageRecord[] }> => {
    const url = member.clientUrls[0]?.replace(/\/+$/, '');
    if (url === undefined) return { live: unreachable(member.id, member.name, 'It has not started yet.'), messages: [] };
    const cursor = byMember.get(member.id);
    const query = new URLSearchParams({ tap: cursor?.tapId ?? '', after: String(cursor?.afterSeq ?? 0), waitMs: String(waitMs) });
    try {
      const slackMs = cursor === undefined && cursors.length > 0 ? trafficRetrySlackMs : trafficReadSlackMs;
      const response = (await getInspection(`${url}/rafter/v1/raft/messages?${query.toString()}`, access, waitMs + slackMs)) as MessagesResponse | null;
      if (response === null) return { live: unreachable(member.id, member.name, notRafterMessage), messages: [] };
      served = true;
      const kept = response.records.filter((record) => record.direction === 'send' || record.dropped);
      return { live: liveMember(member.id, member.name, response), messages: kept.flatMap((record) => messageRecord(member.id, record) ?? []) };
    } catch (error) {
      return { live: unreachable(member.id, member.name, error instanceof Error ? error.message : String(error)), messages: [] };
    }
  });
  const answers = await Promise.all(reads);
  if (!served && answers.every((answer) => answer.live.error === notRafterMessage)) throw new AdminFailure('unavailable', notRafterMessage);
  const messages = answers.flatMap((answer) => answer.messages).sort((a, b) => a.atMs - b.atMs);
  return { takenAtMs: Date.now(), members: answers.map((answer) => answer.live), messages };
}
