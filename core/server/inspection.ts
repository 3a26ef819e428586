// The member's HTTP endpoints besides the JSON gateway: /health, /version, /metrics, and Rafter's
// own routes under /rafter/v1 — read-only Raft inspection for the console (status, progress, a
// window of log entries, the term timeline, the live message tap) and, only when the member was started with
// --unsafe-fault-injection, the transport fault hooks used by tests and the console's partition
// button. With auth enabled, log entries are described without keys or user and role names.
import type { HttpEndpoints } from '../api/clientServer.js';
import { decodeConfChange } from '../raft/confChange.js';
import type { Member } from './member.js';
import { etcdApiVersion, rafterVersion } from './member.js';
import { renderMetrics } from './metrics.js';
import { describeRequest } from './internalRequest.js';
import { tapPageMax, tapWaitMsMax } from './messageTap.js';

/** Most log entries one inspection request returns. */
export const inspectEntriesMax = 1_000;

function describeEntry(entry: { index: number; term: number; type: string; data: Uint8Array }, hideNames: boolean) {
  let description: string;
  if (entry.type === 'confChange') {
    try {
      const change = decodeConfChange(entry.data);
      description = `${change.type} ${change.nodeId}`;
    } catch {
      description = 'undecodable configuration change';
    }
  } else if (entry.data.length === 0) description = 'leader no-op';
  else description = describeRequest(entry.data, hideNames);
  return { index: entry.index, term: entry.term, type: entry.type, bytes: entry.data.length, description };
}

/** A whole number query parameter in [min, max]; `fallback` when absent or not a number. */
function integerParam(query: URLSearchParams, name: string, min: number, max: number, fallback: number): number {
  const value = Number(query.get(name) ?? Number.NaN);
  return Number.isSafeInteger(value) ? Math.min(max, Math.max(min, value)) : fallback;
}

/**
 * The console's live view of Raft traffic: subscribes to the member's message tap (a lease each
 * read renews), waits up to `waitMs` for a message after the cursor `after` of tap `tap`, and
 * answers the records with the member's Raft state now. A cursor of another tap (the member
 * restarted) reads from the oldest record held.
 */
async function readMessages(member: Member, query: URLSearchParams) {
  const tap = member.messageTap;
  tap.subscribe();
  const after = query.get('tap') === tap.tapId ? integerParam(query, 'after', 0, Number.MAX_SAFE_INTEGER, 0) : 0;
  await tap.whenRecordAfter(after, integerParam(query, 'waitMs', 0, tapWaitMsMax, 0));
  const page = tap.read(after, integerParam(query, 'limit', 1, tapPageMax, tapPageMax));
  const status = member.raftStatus();
  return {
    memberId: member.memberId, name: member.config.name, ...page,
    status: {
      role: status.role, term: status.term, leader: status.leader, vote: status.vote, commit: status.commit, applied: status.applied,
      lastIndex: status.lastIndex, isLearner: status.conf.learners.includes(member.memberId),
    },
    faults: member.transportFaults(),
  };
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

export function inspectionRoutes(member: Member): HttpEndpoints {
  return {
    health: () => member.health(),
    version: () => ({ etcdserver: etcdApiVersion, etcdcluster: etcdApiVersion, rafter: rafterVersion }),
    metrics: () => {
      const status = member.raftStatus();
      const sizes = member.storeSizes();
      return renderMetrics(member.metrics, {
        hasLeader: status.leader !== null, isLeader: status.role === 'leader', term: status.term, commitIndex: status.commit,
        appliedIndex: status.applied, revision: member.header().revision, dbSizeBytes: sizes.dbSizeBytes, dbSizeInUseBytes: sizes.dbSizeInUseBytes,
        watchers: member.watcherCount,
      });
    },
    rafter: (method, path, query, body) => {
      if (method === 'GET' && path === '/rafter/v1/raft/status') {
        return Promise.resolve({
          memberId: member.memberId, clusterId: member.clusterId, name: member.config.name,
          status: member.raftStatus(), leaderHistory: member.leaderHistory.slice(-200),
          transport: member.transportStats(), faults: member.transportFaults(),
          messageTap: { active: member.messageTap.active, recorded: member.messageTap.recorded },
        });
      }
      if (method === 'GET' && path === '/rafter/v1/raft/messages') return readMessages(member, query);
      if (method === 'GET' && path === '/rafter/v1/raft/entries') {
        const status = member.raftStatus();
        const limit = Math.min(inspectEntriesMax, Math.max(1, Number(query.get('limit') ?? 100) || 100));
        const fromParam = query.get('from');
        const from = fromParam === null ? Math.max(1, status.lastIndex - limit + 1) : Math.max(1, Number(fromParam) || 1);
        return Promise.resolve({ firstIndex: status.snapshotIndex + 1, lastIndex: status.lastIndex, commit: status.commit, applied: status.applied, entries: member.logEntries(from, limit).map((entry) => describeEntry(entry, member.auth.store.enabled)) });
      }
      if (path === '/rafter/v1/faults') {
        if (!member.config.unsafeFaultInjection) return Promise.reject(new Error('fault injection is disabled (start the member with --unsafe-fault-injection)'));
        if (method === 'POST') {
          const b = (body ?? {}) as Record<string, unknown>;
          const delayMs = typeof b.delayMs === 'number' && b.delayMs >= 0 && b.delayMs <= 60_000 ? b.delayMs : 0;
          member.setTransportFaults({ dropTo: stringList(b.dropTo), dropFrom: stringList(b.dropFrom), delayMs, holdSnapshots: b.holdSnapshots === true });
        }
        return Promise.resolve(member.transportFaults());
      }
      return Promise.resolve(null);
    },
  };
}
