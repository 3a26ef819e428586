// Reads Rafter's read-only raft inspection endpoints (`/rafter/v1/raft/...` on a member's client
// URL): the log window and the leader history behind the term timeline. Real etcd has no such
// endpoint (it answers 404); callers then report that the feature needs a Rafter member.
import http from 'node:http';
import https from 'node:https';
import type { EtcdClient } from '../client/etcdClient.js';
import type { FollowerProgress, RaftLogEntry, RaftLogWindow, RaftProgress, TermSample, TlsConfig } from './api.js';
import { AdminFailure } from './result.js';
import { tlsRequestOptions } from './memberHttp.js';

/** Largest inspection response read (a full window of 1,000 entries is far smaller). */
export const inspectionBytesMax = 8 * 1024 * 1024;
/** Deadline of one inspection request. */
export const inspectionTimeoutMs = 5_000;

/** Why the log window is missing when the member is not a Rafter member. */
export const notRafterMessage =
  'This member does not serve Rafter’s raft inspection endpoint — real etcd does not expose its Raft log. The member table shows its term, raft index and applied index.';

interface EntriesResponse {
  firstIndex: number;
  lastIndex: number;
  commit: number;
  applied: number;
  entries: { index: number; term: number; type: string; bytes: number; description: string }[];
}

interface PeerProgressResponse {
  match: number;
  next: number;
  state: FollowerProgress['state'];
  inflight: number;
  recentActive: boolean;
  isLearner: boolean;
}

interface StatusResponse {
  memberId: string;
  status: { role: string; term: number; commit: number; lastIndex: number; progress: Record<string, PeerProgressResponse> | null };
  leaderHistory: { term: number; leader: string | null; atMs: number }[];
}

/** Why replication progress is missing: no member answered as leader. */
export const noLeaderProgressMessage = 'No member answers as leader right now, so there is no replication progress to show.';

/**
 * How to reach a connection's members: its TLS settings, and where to dial a member's `host:port`
 * instead (an SSH tunnel's loopback port; the request still names the member: Host header, TLS
 * server name).
 */
export interface InspectionAccess {
  tls: TlsConfig | undefined;
  dial?: ((hostPort: string) => string | undefined) | undefined;
}

/** GETs `url` as JSON; null when the server has no such route (404). */
export function getInspection(url: string, access: InspectionAccess, timeoutMs = inspectionTimeoutMs): Promise<unknown> {
  const { tls } = access;
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  const options: https.RequestOptions = { method: 'GET', timeout: timeoutMs, headers: { accept: 'application/json', host: target.host } };
  const local = access.dial?.(target.host);
  if (local !== undefined) {
    const colon = local.lastIndexOf(':');
    options.hostname = local.slice(0, colon);
    options.port = Number(local.slice(colon + 1));
    // TLS checks the certificate against the member's own name, not the tunnel's address.
    if (secure) options.servername = target.hostname.replace(/^\[|\]$/g, '');
  }
  if (secure && tls) Object.assign(options, tlsRequestOptions(tls));
  return new Promise((resolve, reject) => {
    const request = (secure ? https : http).request(target, options, (response) => {
      const chunks: Buffer[] = [];
      let total = 0;
      response.on('data', (chunk: Buffer) => {
        total += chunk.length;
        if (total > inspectionBytesMax) {
          request.destroy(new Error(`The inspection response from ${target.host} is larger than ${inspectionBytesMax} bytes.`));
          return;
        }
        chunks.push(chunk);
      });
      response.on('end', () => {
        if (response.statusCode === 404) return resolve(null);
        const text = Buffer.concat(chunks).toString('utf8');
        if (response.statusCode !== 200) return reject(new AdminFailure('connection_failed', `${target.host} answered ${response.statusCode}: ${text.slice(0, 200)}`));
        try {
          resolve(JSON.parse(text) as unknown);
        } catch {
          reject(new AdminFailure('internal', `${target.host} answered the inspection request with something other than JSON.`));
        }
      });
    });
    request.on('timeout', () => request.destroy(new AdminFailure('deadline_exceeded', `${target.host} did not answer within ${timeoutMs} ms.`)));
    request.on('error', (error) => reject(error instanceof AdminFailure ? error : new AdminFailure('connection_failed', `Cannot reach ${target.host}: ${error.message}`)));
    request.end();
  });
}

/** A member's client URL, by its decimal id. */
async function memberClientUrl(client: EtcdClient, memberId: string): Promise<string> {
  const { members } = await client.cluster.memberList();
  const member = members.find((candidate) => candidate.id === memberId);
  if (!member) throw new AdminFailure('not_found', `Member ${memberId} is not in this cluster.`);
  const url = member.clientUrls[0];
  if (url === undefined) throw new AdminFailure('failed_precondition', `Member ${member.name || memberId} has not started yet.`);
  return url.replace(/\/+$/, '');
}

function entryType(type: string): RaftLogEntry['type'] {
  return type === 'confChange' ? 'confChange' : 'normal';
}

/** The window of `limit` log entries from `fromIndex` (or the newest) of member `memberId`. */
export async function raftLogWindow(
  client: EtcdClient,
  access: InspectionAccess,
  memberId: string,
  fromIndex: number | null,
  limit: number,
): Promise<RaftLogWindow> {
  const base = await memberClientUrl(client, memberId);
  const query = new URLSearchParams({ limit: String(limit) });
  if (fromIndex !== null) query.set('from', String(fromIndex));
  const response = (await getInspection(`${base}/rafter/v1/raft/entries?${query.toString()}`, access)) as EntriesResponse | null;
  if (response === null) throw new AdminFailure('unavailable', notRafterMessage);
  return {
    memberId,
    firstIndex: response.firstIndex,
    lastIndex: response.lastIndex,
    commitIndex: response.commit,
    appliedIndex: response.applied,
    snapshotIndex: response.firstIndex - 1,
    entries: response.entries.map((entry) => ({
      index: entry.index,
      term: entry.term,
      type: entryType(entry.type),
      summary: entry.description,
      bytes: entry.bytes,
    })),
  };
}

/** A hex member id (as Rafter's inspection endpoint writes it) in the contract's decimal form. */
export function decimalId(hex: string | null): string | null {
  if (hex === null || !/^[0-9a-fA-F]{1,16}$/.test(hex)) return null;
  return BigInt(`0x${hex}`).toString(10);
}

/** The inspection status of every member that answers (null for those that do not). */
async function memberStatuses(client: EtcdClient, access: InspectionAccess): Promise<(StatusResponse | null)[]> {
  const { members } = await client.cluster.memberList();
  const urls = members.flatMap((member) => (member.clientUrls[0] === undefined ? [] : [member.clientUrls[0].replace(/\/+$/, '')]));
  // Asked in parallel: an unreachable member must not hold the page up for its full deadline.
  return Promise.all(urls.map((url) => getInspection(`${url}/rafter/v1/raft/status`, access).catch(() => null) as Promise<StatusResponse | null>));
}

/**
 * Each follower's replication progress as the leader of the highest term sees it (Rafter's
 * `status.progress`, present on the leader only). Fails with `unavailable` when no member serves
 * the inspection endpoint (real etcd), and when none answers as leader.
 */
export async function raftProgress(client: EtcdClient, access: InspectionAccess): Promise<RaftProgress> {
  const responses = await memberStatuses(client, access);
  if (responses.every((response) => response === null)) throw new AdminFailure('unavailable', notRafterMessage);
  const leader = responses
    .filter((response): response is StatusResponse => response?.status.role === 'leader' && response.status.progress !== null)
    .sort((a, b) => b.status.term - a.status.term)[0];
  const leaderId = decimalId(leader?.memberId ?? null);
  if (!leader?.status.progress || leaderId === null) throw new AdminFailure('unavailable', noLeaderProgressMessage);
  const followers = Object.entries(leader.status.progress)
    .filter(([hex]) => hex !== leader.memberId)
    .flatMap(([hex, progress]): FollowerProgress[] => {
      const memberId = decimalId(hex);
      if (memberId === null) return [];
      const { match, next, state, inflight, recentActive, isLearner } = progress;
      return [{ memberId, matchIndex: match, nextIndex: next, state, inflight, recentActive, isLearner }];
    })
    .sort((a, b) => (BigInt(a.memberId) < BigInt(b.memberId) ? -1 : 1));
  return { leaderId, term: leader.status.term, commitIndex: leader.status.commit, lastIndex: leader.status.lastIndex, followers };
}

/**
 * The leader changes a Rafter member recorded itself (from before the console connected), as
 * term samples; empty when no member serves the inspection endpoint (real etcd).
 */
export async function recordedLeaderHistory(client: EtcdClient, access: InspectionAccess): Promise<TermSample[]> {
  const responses = await memberStatuses(client, access);
  const longest = responses.reduce<StatusResponse | null>(
    (best, response) => (response && (!best || response.leaderHistory.length > best.leaderHistory.length) ? response : best),
    null,
  );
  return (longest?.leaderHistory ?? []).map((change) => ({ takenAtMs: change.atMs, term: change.term, leaderId: decimalId(change.leader) }));
}

/** Merges term samples by time, keeping one sample per change of term or leader. */
export function mergeTermSamples(...sources: TermSample[][]): TermSample[] {
  const merged = sources.flat().sort((a, b) => a.takenAtMs - b.takenAtMs);
  return merged.filter((sample, index) => {
    const previous = merged[index - 1];
    return !previous || previous.term !== sample.term || previous.leaderId !== sample.leaderId;
  });
}
