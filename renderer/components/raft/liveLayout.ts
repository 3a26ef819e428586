// The geometry and colours of the live Raft diagram, as plain functions of the buffers and the
// playhead: where each member sits, which messages are in flight at the playhead and where along
// their path, and the members' state as the reading at or before the playhead had it.
import type { RaftLiveMember, RaftMessageRecord, RaftMessageType } from '../../contract';
import type { MemberReading } from '../../stores/raftLive';

/** The diagram's coordinate space (the SVG viewBox). */
export const diagramWidth = 800;
export const diagramHeight = 460;
export const nodeRadius = 46;
/** Recorded time a message takes to cross the diagram (real delivery takes well under 1 ms). */
export const travelMs = 300;
/** Most dots drawn at once; the oldest in flight are left out beyond it. */
export const dotsMax = 400;

export interface NodePosition {
  readonly memberId: string;
  readonly x: number;
  readonly y: number;
}

export interface Dot {
  readonly key: string;
  readonly x: number;
  readonly y: number;
  readonly color: string;
  readonly type: RaftMessageType;
  /** Drawn as a cross: the message was dropped there. */
  readonly dropped: boolean;
}

/** A colour per message kind; requests darker than their answers. */
export const messageColors: Record<RaftMessageType, string> = {
  heartbeat: '#e05d5d',
  heartbeatResp: '#f0a0a0',
  app: '#2f7de1',
  appResp: '#8cbcf5',
  vote: '#e08a1e',
  voteResp: '#f2c27a',
  preVote: '#b8a100',
  preVoteResp: '#e0d36a',
  snapshot: '#8e44ad',
  prop: '#7f8c8d',
  readIndex: '#16a085',
  readIndexResp: '#76d7c4',
  timeoutNow: '#d35400',
  transferLeader: '#d35400',
};

/** What the legend names. */
export const legendTypes: readonly { type: RaftMessageType; label: string }[] = [
  { type: 'heartbeat', label: 'heartbeat' },
  { type: 'heartbeatResp', label: 'heartbeat ack' },
  { type: 'app', label: 'append' },
  { type: 'appResp', label: 'append ack' },
  { type: 'preVote', label: 'pre-vote' },
  { type: 'preVoteResp', label: 'pre-vote answer' },
  { type: 'vote', label: 'vote request' },
  { type: 'voteResp', label: 'vote answer' },
  { type: 'snapshot', label: 'snapshot' },
];

export const roleColors: Record<NonNullable<RaftLiveMember['role']> | 'unreachable', string> = {
  leader: '#18a058',
  follower: '#2f7de1',
  candidate: '#e08a1e',
  preCandidate: '#b8a100',
  learner: '#8e44ad',
  unreachable: '#9a9a9a',
};

/** Members on a circle, the first at the top, in the order given. */
export function nodePositions(memberIds: readonly string[]): NodePosition[] {
  const centerX = diagramWidth / 2;
  const centerY = 225;
  const radius = memberIds.length <= 1 ? 0 : memberIds.length === 2 ? 220 : 165;
  return memberIds.map((memberId, i) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / Math.max(1, memberIds.length);
    return { memberId, x: Math.round(centerX + radius * Math.cos(angle)), y: Math.round(centerY + radius * Math.sin(angle)) };
  });
}

/** The first index whose message was sent at or after `ms` (messages sorted by time). */
export function firstAtOrAfter(messages: readonly RaftMessageRecord[], ms: number): number {
  let lo = 0;
  let hi = messages.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (messages[mid]!.atMs < ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The messages sent at or before `ms`, newest first, at most `limit`. */
export function messagesUpTo(messages: readonly RaftMessageRecord[], ms: number, limit: number): RaftMessageRecord[] {
  const end = firstAtOrAfter(messages, ms + 1);
  return messages.slice(Math.max(0, end - limit), end).reverse();
}

/**
 * The messages in flight at `playheadMs` and where they are: sent within the last `travelMs`,
 * moving from sender to receiver, requests and answers on either side of the line. A message the
 * sender's transport dropped stops halfway as a cross; one dropped on arrival, at the receiver.
 */
export function dotsAt(messages: readonly RaftMessageRecord[], positions: readonly NodePosition[], playheadMs: number): Dot[] {
  const byId = new Map(positions.map((position) => [position.memberId, position]));
  const start = Math.max(firstAtOrAfter(messages, playheadMs - travelMs), firstAtOrAfter(messages, playheadMs + 1) - dotsMax);
  const dots: Dot[] = [];
  for (let i = start; i < messages.length; i++) {
    const message = messages[i]!;
    if (message.atMs > playheadMs) break;
    const from = byId.get(message.from);
    const to = byId.get(message.to);
    if (!from || !to || from === to) continue;
    const droppedAtSender = message.droppedAt === 'sender';
    const end = droppedAtSender ? 0.5 : 1;
    const progress = Math.min(end, (playheadMs - message.atMs) / travelMs);
    const dx = to.x - from.x;
    const dy = to.y - from.y;
    const length = Math.hypot(dx, dy);
    const trimmed = nodeRadius / length;
    const along = trimmed + (1 - 2 * trimmed) * progress;
    // Messages from the lower id travel on one side of the line, answers on the other.
    const side = message.from < message.to ? 1 : -1;
    const offset = 7 * side;
    dots.push({
      key: `${message.seenBy}:${message.seq}`,
      x: from.x + dx * along + (-dy / length) * offset,
      y: from.y + dy * along + (dx / length) * offset,
      color: messageColors[message.type],
      type: message.type,
      dropped: message.dropped && progress >= end,
    });
  }
  return dots;
}

/** The reading in force at `ms`: the last taken at or before it, else the first. */
export function readingAt(readings: readonly MemberReading[], ms: number): MemberReading | null {
  let lo = 0;
  let hi = readings.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (readings[mid]!.takenAtMs <= ms) lo = mid + 1;
    else hi = mid;
  }
  return readings[Math.max(0, lo - 1)] ?? null;
}

/** What a message says of its sender's role, as of sending it (null: nothing). */
function senderRole(type: RaftMessageType): RaftLiveMember['role'] {
  if (type === 'heartbeat' || type === 'app' || type === 'snapshot' || type === 'timeoutNow') return 'leader';
  if (type === 'vote') return 'candidate';
  if (type === 'preVote') return 'preCandidate';
  if (type === 'heartbeatResp' || type === 'appResp' || type === 'voteResp') return 'follower';
  // A pre-vote answer carries the asker's proposed term, and its sender may be a pre-candidate itself.
  return null;
}

/**
 * The members as they were at `ms`: the reading in force then, with each member's role and term
 * taken from the last message it sent when that is newer than the reading — elections last a few
 * milliseconds, far less than the time between readings, so the messages tell a candidate's turn.
 * A pre-vote carries the term its sender would take, not the one it has. A member whose last
 * message its own transport dropped is shown cut off.
 */
export function membersAt(
  reading: MemberReading | null,
  messages: readonly RaftMessageRecord[],
  ms: number,
  /** Where to stop instead (one past a picked message): messages of the same millisecond after it are not yet sent. */
  endIndex?: number,
): RaftLiveMember[] {
  if (reading === null) return [];
  const end = endIndex ?? firstAtOrAfter(messages, ms + 1);
  const pending = new Set(reading.members.filter((member) => member.reachable).map((member) => member.memberId));
  const inferred = new Map<string, RaftMessageRecord>();
  for (let i = end - 1; i >= 0 && pending.size > 0; i--) {
    const message = messages[i]!;
    if (message.atMs <= reading.takenAtMs) break;
    if (!pending.has(message.from) || message.seenBy !== message.from || senderRole(message.type) === null) continue;
    pending.delete(message.from);
    inferred.set(message.from, message);
  }
  return reading.members.map((member) => {
    const message = inferred.get(member.memberId);
    if (!message) return member;
    const role = member.role === 'learner' ? 'learner' : senderRole(message.type);
    const term = message.type === 'preVote' ? message.term - 1 : message.term;
    // A message its own transport dropped says a partition cuts the sender off.
    return { ...member, role, term: Math.max(term, member.term ?? 0), cutOff: member.cutOff || message.droppedAt === 'sender' };
  });
}

/** The message log's filters: which kinds each shows. */
export const logFilters = {
  all: null,
  elections: ['preVote', 'preVoteResp', 'vote', 'voteResp', 'timeoutNow'],
  replication: ['app', 'appResp', 'snapshot'],
  heartbeats: ['heartbeat', 'heartbeatResp'],
} as const satisfies Record<string, readonly RaftMessageType[] | null>;
export type LogFilter = keyof typeof logFilters;

/** The messages a filter lets through (the same array for `all`). */
export function filterMessages(messages: readonly RaftMessageRecord[], filter: LogFilter): readonly RaftMessageRecord[] {
  const types: readonly RaftMessageType[] | null = logFilters[filter];
  return types === null ? messages : messages.filter((message) => types.includes(message.type));
}

/** What a message's outcome column says. */
export function messageOutcome(message: RaftMessageRecord): string {
  if (message.dropped) return 'dropped';
  if (message.type === 'voteResp' || message.type === 'preVoteResp') return message.reject ? 'rejected' : 'granted';
  if (message.type === 'appResp') return message.reject ? 'rejected' : 'ok';
  return '';
}
