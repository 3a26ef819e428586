// One torture run, shared by the CI test and bench/torture.ts: a 3-member cluster of real
// processes with a small --snapshot-count, a seeded concurrent workload, a seeded fault scheduler
// for a given time, then every check: linearizability (per key), revision order, watches, lost
// writes, serializable reads, hashKV equal on every member, and the time to serve again once
// faults stop; a long run is checked in segments of its workload. It owns the sequence and the
// report; each check is in its own module.
import { performance } from 'node:perf_hooks';
import { EtcdClient } from '../../core/client/etcdClient.js';
import { FaultScheduler } from '../support/faultScheduler.js';
import type { FaultKind, FaultRecord } from '../support/faultScheduler.js';
import { RafterCluster } from '../support/rafterCluster.js';
import { Workload } from '../support/workload.js';
import type { WorkloadRecord } from '../support/workload.js';
import { resolveUnknownWrites } from './historyPatch.js';
import { checkLinearizability } from './linearizabilityChecker.js';
import type { LinearizabilityResult } from './linearizabilityChecker.js';
import { checkRevisions } from './revisionChecker.js';
import type { RevisionViolation } from './revisionChecker.js';
import { lostWrites } from './lostWrites.js';
import { checkSerializableReads, checkWatches } from './watchChecker.js';
import type { WatchRecord, WatchViolation } from './watchChecker.js';

/** Polls (50 ms apart) for every member to reach the same applied index and hashKV. */
export const hashConvergencePollsMax = 600;
const pollPauseMs = 50;

export interface TortureOptions {
  readonly seed: number;
  /** How long faults are injected under load. */
  readonly faultMs: number;
  readonly clients?: number;
  readonly keys?: number;
  readonly snapshotCount?: number;
  readonly faultKinds?: readonly FaultKind[];
  /** Take the fault kinds in order instead of drawing them. */
  readonly faultOrder?: 'random' | 'cycle';
  /** End the fault phase after this many faults, even before `faultMs`. */
  readonly faultsMax?: number;
  /** Check the run in segments of this length, each with its own workload (default one segment). */
  readonly segmentMs?: number;
  readonly holdMsMin?: number;
  readonly holdMsMax?: number;
  readonly quietMs?: number;
  /** One client pads some puts to sizes up to the request limit (default on). */
  readonly bigValues?: boolean;
  /** Progress lines (fault injected, phase reached); default silent. */
  readonly log?: (line: string) => void;
  /**
   * Give up after this long with an error that carries the run's progress lines and the members'
   * logs, so a run that stops making progress says where (default: no deadline).
   */
  readonly deadlineMs?: number;
}

export interface TortureReport {
  readonly seed: number;
  readonly wallMs: number;
  /** Workload segments, each checked on its own (see runTorture). */
  readonly segments: number;
  readonly operations: number;
  readonly knownOperations: number;
  readonly unknownOperations: number;
  readonly serializableReads: number;
  readonly watchEvents: number;
  readonly faults: readonly FaultRecord[];
  readonly linearizability: LinearizabilityResult;
  readonly revisionViolations: readonly RevisionViolation[];
  readonly watchViolations: readonly WatchViolation[];
  readonly serializableViolations: readonly WatchViolation[];
  /** Acknowledged writes whose effect no longer shows (see lostWrites.ts); 0 in a correct run. */
  readonly lostWrites: readonly string[];
  /** Whether one watcher saw every revision, so unknown writes and serializable values were resolved against it. */
  readonly completeWatchStream: boolean;
  readonly hashesEqual: boolean;
  readonly hashes: readonly string[];
  /** From the end of faults until every key could be read linearizably. */
  readonly finalRecoveryMs: number;
  readonly checkMs: number;
  /** Last log lines of every member, for a failure report. */
  readonly memberLogs: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** True when the watcher saw each revision from its start to `finalRevision` exactly once, in order. */
function isComplete(watch: WatchRecord, finalRevision: number): boolean {
  if (watch.endedBy !== null) return false;
  return watch.events.length === finalRevision - watch.startRevision + 1 && watch.events.every((event, i) => event.revision === watch.startRevision + i);
}

/** Every violation of a report as text (empty when the run passed every check). */
export function describeFailures(report: RecordChecks & Pick<TortureReport, 'hashesEqual' | 'hashes'>): string[] {
  return [
    ...report.linearizability.violations.map((v) => v.text),
    ...report.linearizability.inconclusiveKeys.map((key) => `key ${key}: the search ran out of steps (inconclusive)`),
    ...report.revisionViolations.map((v) => `revision rule ${v.rule}: ${v.text}`),
    ...report.watchViolations.map((v) => `watch rule ${v.rule}: ${v.text}`),
    ...report.serializableViolations.map((v) => `serializable rule ${v.rule}: ${v.text}`),
    ...report.lostWrites.map((text) => `lost write: ${text}`),
    ...(report.hashesEqual ? [] : [`hashKV differs between members: ${report.hashes.join(', ')}`]),
  ];
}

export async function hashesConverge(cluster: RafterCluster): Promise<{ equal: boolean; hashes: string[] }> {
  let hashes: string[] = [];
  for (let poll = 0; poll < hashConvergencePollsMax; poll++) {
    const clients = cluster.members.map((m) => new EtcdClient({ endpoints: [`127.0.0.1:${m.clientPort}`] }));
    try {
      const statuses = await Promise.all(clients.map((c) => c.maintenance.status({ timeoutMs: 2_000 })));
      if (new Set(statuses.map((s) => s.raftAppliedIndex)).size === 1) {
        const results = await Promise.all(clients.map((c) => c.maintenance.hashKV(0, { timeoutMs: 5_000 })));
        hashes = results.map((r) => `${r.hash}@${r.header.revision}`);
        if (new Set(hashes).size === 1) return { equal: true, hashes };
      }
    } catch {
      // a member still restarting; poll again
    } finally {
      for (const client of clients) client.close();
    }
    await sleep(pollPauseMs);
  }
  return { equal: false, hashes };
}

/** The checks of one finished workload record; the parts of the report that judge it. */
export type RecordChecks = Pick<
  TortureReport,
  'linearizability' | 'revisionViolations' | 'watchViolations' | 'serializableViolations' | 'lostWrites' | 'completeWatchStream' | 'checkMs'
>;

export function checkRecord(record: WorkloadRecord): RecordChecks {
  const checkStartMs = performance.now();
  const watchViolations = checkWatches(record.watches, record.history, record.finalRevision);
  const reference = record.watches.find((watch) => isComplete(watch, record.finalRevision));
  const history = reference ? resolveUnknownWrites(record.history, reference.events) : record.history;
  return {
    linearizability: checkLinearizability(history),
    revisionViolations: checkRevisions(history),
    watchViolations,
    serializableViolations: checkSerializableReads(record.serializableReads, reference?.events ?? [], reference ? record.startRevision : Infinity),
    lostWrites: lostWrites(history),
    completeWatchStream: reference !== undefined,
    checkMs: performance.now() - checkStartMs,
  };
}

function memberLogs(cluster: RafterCluster, lines: number): string {
  return cluster.members.map((m) => `--- ${m.name} (exit ${m.exitCode ?? 'running'})\n${m.log.slice(-lines).join('\n')}`).join('\n');
}

/** What one segment of a run adds to the report. */
interface SegmentResult {
  readonly checks: RecordChecks;
  readonly operations: number;
  readonly known: number;
  readonly unknown: number;
  readonly serializableReads: number;
  readonly watchEvents: number;
  readonly faults: readonly FaultRecord[];
  readonly recoveryMs: number;
}

/**
 * One segment: a fresh workload on its own key prefix under faults for `faultMs`, then stopped,
 * finished and checked. The cluster carries on to the next segment.
 */
async function runSegment(cluster: RafterCluster, options: TortureOptions, segment: number, faultMs: number, log: (line: string) => void): Promise<SegmentResult> {
  let workload: Workload | undefined;
  const scheduler = new FaultScheduler(cluster, {
    seed: options.seed + segment * 7_919,
    ...(options.faultKinds === undefined ? {} : { kinds: options.faultKinds }),
    ...(options.faultOrder === undefined ? {} : { order: options.faultOrder }),
    ...(options.faultsMax === undefined ? {} : { faultsMax: options.faultsMax }),
    holdMsMin: options.holdMsMin ?? 2_500,
    holdMsMax: options.holdMsMax ?? 5_000,
    quietMs: options.quietMs ?? 1_000,
    log,
    onMemberReplaced: (name, phase) => {
      if (phase === 'start') workload?.replacing(name);
      else workload?.replaced(name);
    },
    compactRevision: () => workload?.watchedRevision() ?? 0,
  });
  try {
    workload = await Workload.start({
      members: cluster.members.map((m) => ({ name: m.name, endpoint: `127.0.0.1:${m.clientPort}` })),
      seed: options.seed + segment,
      clients: options.clients ?? 6,
      keys: options.keys ?? 5,
      keyPrefix: segment === 0 ? '/lin/' : `/lin/s${segment}/`,
      bigValues: options.bigValues ?? true,
    });
    log(`segment ${segment + 1}: workload started at revision ${workload.startRevision}`);
    const faults = scheduler.run();
    await Promise.race([sleep(faultMs), faults]);
    scheduler.stop();
    await faults;
    log(`faults stopped after ${scheduler.records.length}; stopping the workload`);
    const faultsEndedMs = performance.now();
    await workload.stop();
    log('workload stopped; final reads');
    const record = await workload.finish();
    log(`workload finished: ${record.history.length} linearizable operations, final revision ${record.finalRevision}`);
    return {
      checks: checkRecord(record),
      operations: record.history.length + record.serializableReads.length,
      known: workload.counts.known,
      unknown: workload.counts.unknown,
      serializableReads: record.serializableReads.length,
      watchEvents: Math.max(...record.watches.map((w) => w.events.length)),
      faults: scheduler.records,
      recoveryMs: record.finalReadsDoneMs - faultsEndedMs,
    };
  } finally {
    scheduler.stop();
    await scheduler.heal(false).catch(() => undefined);
    workload?.abort();
  }
}

/** The checks of several segments as one. */
function mergeChecks(all: readonly RecordChecks[]): RecordChecks {
  const violations = all.flatMap((c) => c.linearizability.violations);
  const inconclusiveKeys = all.flatMap((c) => c.linearizability.inconclusiveKeys);
  return {
    linearizability: {
      ok: violations.length === 0 && inconclusiveKeys.length === 0,
      violations,
      inconclusiveKeys,
      operationsChecked: all.reduce((n, c) => n + c.linearizability.operationsChecked, 0),
      keysChecked: all.reduce((n, c) => n + c.linearizability.keysChecked, 0),
    },
    revisionViolations: all.flatMap((c) => c.revisionViolations),
    watchViolations: all.flatMap((c) => c.watchViolations),
    serializableViolations: all.flatMap((c) => c.serializableViolations),
    lostWrites: all.flatMap((c) => c.lostWrites),
    completeWatchStream: all.every((c) => c.completeWatchStream),
    checkMs: all.reduce((n, c) => n + c.checkMs, 0),
  };
}

/**
 * Runs the whole sequence; the cluster is always stopped and its directory removed. A long run
 * is cut into segments of `segmentMs` (default: one segment): the cluster and its faults carry on
 * throughout, while each segment's workload writes its own keys and its history is checked on its
 * own, which keeps every history small enough to check exactly.
 */
export async function runTorture(options: TortureOptions): Promise<TortureReport> {
  const startedMs = performance.now();
  const progress: string[] = [];
  const log = (line: string): void => {
    progress.push(`${((performance.now() - startedMs) / 1_000).toFixed(1)} s ${line}`);
    options.log?.(line);
  };
  const cluster = await RafterCluster.start({
    members: 3,
    snapshotCount: options.snapshotCount ?? 200,
    // Keep few entries behind each snapshot so lagging members need (and exercise) snapshot installs.
    snapshotCatchupEntries: options.snapshotCount ?? 200,
    extraArgs: ['--heartbeat-interval=100', '--election-timeout=1000'],
  });
  let deadline: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    if (options.deadlineMs !== undefined) {
      const deadlineMs = options.deadlineMs;
      deadline = setTimeout(() => reject(new Error(`no result within ${deadlineMs} ms`)), deadlineMs - (performance.now() - startedMs));
    }
  });
  try {
    return await Promise.race([expired, runSegments(cluster, options, startedMs, log)]);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`torture run with seed ${options.seed} failed: ${message}\nprogress:\n${progress.join('\n')}\nmember logs:\n${memberLogs(cluster, 60)}`, { cause: error });
  } finally {
    clearTimeout(deadline);
    await cluster.stop();
  }
}

async function runSegments(cluster: RafterCluster, options: TortureOptions, startedMs: number, log: (line: string) => void): Promise<TortureReport> {
  const segmentMs = options.segmentMs ?? options.faultMs;
  const segments: SegmentResult[] = [];
  for (let done = 0, segment = 0; done < options.faultMs; done += segmentMs, segment++) {
    segments.push(await runSegment(cluster, options, segment, Math.min(segmentMs, options.faultMs - done), log));
  }
  log('all segments checked; waiting for every member to reach the same applied index and hash');
  const hashes = await hashesConverge(cluster);
  const sum = (pick: (s: SegmentResult) => number): number => segments.reduce((n, s) => n + pick(s), 0);
  return {
    ...mergeChecks(segments.map((s) => s.checks)),
    seed: options.seed,
    wallMs: performance.now() - startedMs,
    segments: segments.length,
    operations: sum((s) => s.operations),
    knownOperations: sum((s) => s.known),
    unknownOperations: sum((s) => s.unknown),
    serializableReads: sum((s) => s.serializableReads),
    watchEvents: sum((s) => s.watchEvents),
    faults: segments.flatMap((s) => s.faults),
    hashesEqual: hashes.equal,
    hashes: hashes.hashes,
    finalRecoveryMs: segments.at(-1)?.recoveryMs ?? 0,
    memberLogs: memberLogs(cluster, 30),
  };
}
