// Auto-compaction policies, as etcd's --auto-compaction-mode: `periodic` keeps a retention
// window of time, `revision` keeps the last N revisions. A policy only decides WHEN and TO WHICH
// revision to compact; the server proposes the Compact through Raft (on the leader) and the store
// applies it. Time comes from an injected clock, so apply stays deterministic.
import { assert } from '../raft/assert.js';
import type { Revision } from './types.js';

/** Milliseconds since some epoch. */
export type Clock = () => number;

/** Decides auto-compactions. Call `poll` periodically (the server's timer, on the leader). */
export interface CompactionPolicy {
  /** The revision to compact to now, or null when no compaction is due. */
  poll(currentRevision: Revision, compactRevision: Revision): Revision | null;
}

/** etcd's sampling cap for periodic mode: windows longer than this are sampled hourly. */
export const periodicSampleIntervalMaxMs = 60 * 60 * 1000;
/** Samples of (time, revision) periodic mode keeps: one retention window at 1/10 resolution. */
export const periodicSamplesMax = 11;
/** etcd's interval between checks in revision mode. */
export const revisionCheckIntervalMsDefault = 5 * 60 * 1000;

/**
 * Periodic mode: compacts to the revision that was current `retentionMs` ago, checked every
 * retention/10 (hourly at most), so history younger than the retention is always readable.
 */
export class PeriodicCompactionPolicy implements CompactionPolicy {
  private readonly samples: { atMs: number; revision: Revision }[] = [];
  private readonly intervalMs: number;
  private lastSampleMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly retentionMs: number,
    private readonly clock: Clock,
  ) {
    assert(retentionMs > 0, 'retention is positive');
    this.intervalMs = Math.min(Math.max(1, Math.floor(retentionMs / 10)), periodicSampleIntervalMaxMs);
  }

  poll(currentRevision: Revision, compactRevision: Revision): Revision | null {
    const now = this.clock();
    if (now - this.lastSampleMs < this.intervalMs) return null;
    this.lastSampleMs = now;
    this.samples.push({ atMs: now, revision: currentRevision });
    let target: Revision | null = null;
    while (this.samples.length > 0 && now - this.samples[0]!.atMs >= this.retentionMs) {
      target = this.samples.shift()!.revision;
    }
    while (this.samples.length > periodicSamplesMax) this.samples.shift();
    return target !== null && target > compactRevision ? target : null;
  }
}

/** Revision mode: keeps the last `retainRevisions` revisions, checked every `checkIntervalMs`. */
export class RevisionCompactionPolicy implements CompactionPolicy {
  private lastCheckMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly retainRevisions: number,
    private readonly clock: Clock,
    private readonly checkIntervalMs = revisionCheckIntervalMsDefault,
  ) {
    assert(retainRevisions > 0, 'revisions to keep is positive');
  }

  poll(currentRevision: Revision, compactRevision: Revision): Revision | null {
    const now = this.clock();
    if (now - this.lastCheckMs < this.checkIntervalMs) return null;
    this.lastCheckMs = now;
    const target = currentRevision - this.retainRevisions;
    return target > compactRevision ? target : null;
  }
}
