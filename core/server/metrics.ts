// The member's counters and histograms, exposed on /metrics in Prometheus text format with
// etcd's metric names where etcd has one, so existing dashboards work, and the event loop's delay
// under prom-client's names (a stall near the election timeout deposes a leader).
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** A cumulative histogram with fixed upper bounds, in seconds. */
export class Histogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = new Array<number>(bounds.length).fill(0);
  }

  observe(seconds: number): void {
    this.sum += seconds;
    this.count++;
    for (let i = 0; i < this.bounds.length; i++) if (seconds <= this.bounds[i]!) this.counts[i]!++;
  }

  render(name: string, help: string): string {
    const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} histogram`];
    this.bounds.forEach((bound, i) => lines.push(`${name}_bucket{le="${bound}"} ${this.counts[i]}`));
    lines.push(`${name}_bucket{le="+Inf"} ${this.count}`, `${name}_sum ${this.sum}`, `${name}_count ${this.count}`);
    return lines.join('\n');
  }
}

const diskBuckets = [0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192];

/** How finely the event loop's delay is sampled. */
const eventLoopResolutionMs = 10;
/**
 * Length of one window of the recent event-loop maximum: the gauge covers the current window and
 * the one before, so a scraper polling more often than this sees every stall once or twice.
 */
export const eventLoopWindowMs = 1_000;

export class MemberMetrics {
  /** The event loop's delay since the member started, in nanoseconds. */
  readonly eventLoopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: eventLoopResolutionMs });
  /** The event loop's delay in the current window (see `eventLoopWindowMs`), in nanoseconds. */
  private readonly recentEventLoopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: eventLoopResolutionMs });
  /** The largest delay of the previous window, in nanoseconds. */
  private previousWindowMaxNs = 0;
  private readonly windowTimer: NodeJS.Timeout;
  readonly walFsync = new Histogram(diskBuckets);
  readonly applyDuration = new Histogram(diskBuckets);
  /** The store's group commits (each flushes what the batches applied since the last one wrote). */
  readonly backendCommit = new Histogram(diskBuckets);
  leaderChanges = 0;
  proposalsApplied = 0;
  proposalsFailed = 0;
  proposalsPending = 0;
  messagesSent = 0;
  ranges = 0;
  snapshots = 0;

  constructor() {
    this.eventLoopDelay.enable();
    this.recentEventLoopDelay.enable();
    this.windowTimer = setInterval(() => {
      this.previousWindowMaxNs = this.recentEventLoopDelay.count > 0 ? this.recentEventLoopDelay.max : 0;
      this.recentEventLoopDelay.reset();
    }, eventLoopWindowMs);
    this.windowTimer.unref();
  }

  /** The largest event-loop delay of the last one to two windows, in nanoseconds. */
  recentEventLoopDelayMaxNs(): number {
    const current = this.recentEventLoopDelay.count > 0 ? this.recentEventLoopDelay.max : 0;
    return Math.max(current, this.previousWindowMaxNs);
  }

  close(): void {
    clearInterval(this.windowTimer);
    this.eventLoopDelay.disable();
    this.recentEventLoopDelay.disable();
  }
}

/** The event loop's delay as prom-client's gauges, in seconds (the sampling interval excluded). */
function eventLoopGauges(delay: IntervalHistogram): string[] {
  const seconds = (nanoseconds: number): number => (Number.isFinite(nanoseconds) ? nanoseconds / 1e9 : 0);
  const observed = delay.count > 0;
  return [
    gauge('nodejs_eventloop_lag_min_seconds', 'The minimum recorded event loop delay.', observed ? seconds(delay.min) : 0),
    gauge('nodejs_eventloop_lag_max_seconds', 'The maximum recorded event loop delay.', observed ? seconds(delay.max) : 0),
    gauge('nodejs_eventloop_lag_mean_seconds', 'The mean of the recorded event loop delays.', observed ? seconds(delay.mean) : 0),
    gauge('nodejs_eventloop_lag_p50_seconds', 'The 50th percentile of the recorded event loop delays.', observed ? seconds(delay.percentile(50)) : 0),
    gauge('nodejs_eventloop_lag_p99_seconds', 'The 99th percentile of the recorded event loop delays.', observed ? seconds(delay.percentile(99)) : 0),
  ];
}

export interface MetricsSnapshot {
  readonly hasLeader: boolean;
  readonly isLeader: boolean;
  readonly term: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly revision: number;
  readonly dbSizeBytes: number;
  readonly dbSizeInUseBytes: number;
  /** Watchers registered in the watch hub, over every stream. */
  readonly watchers: number;
}

function gauge(name: string, help: string, value: number, type = 'gauge'): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} ${value}`;
}

export function renderMetrics(metrics: MemberMetrics, now: MetricsSnapshot): string {
  return [
    gauge('etcd_server_has_leader', 'Whether or not a leader exists. 1 is existence, 0 is not.', now.hasLeader ? 1 : 0),
    gauge('etcd_server_is_leader', 'Whether or not this member is a leader. 1 if is, 0 otherwise.', now.isLeader ? 1 : 0),
    gauge('etcd_server_leader_changes_seen_total', 'The number of leader changes seen.', metrics.leaderChanges, 'counter'),
    gauge('etcd_server_proposals_committed_total', 'The total number of consensus proposals committed.', now.commitIndex),
    gauge('etcd_server_proposals_applied_total', 'The total number of consensus proposals applied.', now.appliedIndex),
    gauge('etcd_server_proposals_pending', 'The current number of pending proposals to commit.', metrics.proposalsPending),
    gauge('etcd_server_proposals_failed_total', 'The total number of failed proposals seen.', metrics.proposalsFailed, 'counter'),
    gauge('etcd_mvcc_db_total_size_in_bytes', 'Total size of the underlying database physically allocated in bytes.', now.dbSizeBytes),
    gauge('etcd_mvcc_db_total_size_in_use_in_bytes', 'Total size of the underlying database logically in use in bytes.', now.dbSizeInUseBytes),
    gauge('etcd_debugging_mvcc_current_revision', 'The current revision of store.', now.revision),
    gauge('etcd_debugging_mvcc_watcher_total', 'Total number of watchers.', now.watchers),
    gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', process.memoryUsage.rss()),
    gauge('nodejs_heap_size_used_bytes', 'Process heap size used from Node.js in bytes.', process.memoryUsage().heapUsed),
    gauge('rafter_raft_term', 'The current Raft term of this member.', now.term),
    gauge('rafter_raft_commit_index', 'The Raft commit index of this member.', now.commitIndex),
    gauge('rafter_raft_applied_index', 'The Raft applied index of this member.', now.appliedIndex),
    gauge('rafter_raft_messages_sent_total', 'Raft messages handed to the peer transport.', metrics.messagesSent, 'counter'),
    gauge('rafter_snapshots_saved_total', 'Raft snapshots saved by this member.', metrics.snapshots, 'counter'),
    ...eventLoopGauges(metrics.eventLoopDelay),
    gauge('rafter_eventloop_lag_max_recent_seconds', 'The maximum event loop delay of the last one to two seconds.', metrics.recentEventLoopDelayMaxNs() / 1e9),
    metrics.walFsync.render('etcd_disk_wal_fsync_duration_seconds', 'The latency distributions of fsync called by WAL.'),
    metrics.backendCommit.render('etcd_disk_backend_commit_duration_seconds', 'The latency distributions of commit called by backend.'),
    metrics.applyDuration.render('rafter_apply_duration_seconds', 'The latency distributions of applying a batch of committed entries to the store.'),
    '',
  ].join('\n');
}
