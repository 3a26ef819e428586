// Replay: reads every segment of a WAL directory in order, verifies every record, and rebuilds
// the durable state (metadata, hard state, the log after a snapshot, snapshot markers). Decides
// which damage is a torn tail that may be cut off and which is corruption that refuses to open.
// Appending, rotation and release are wal.ts's.
import fs from 'node:fs/promises';
import type { Entry, HardState, Index } from '../raft/types.js';
import { index as toIndex, term as toTerm } from '../raft/types.js';
import { scanSegment, type SegmentDamage } from './scanSegment.js';
import type { SegmentFile } from './segmentFiles.js';
import { WalCorruptionError, WalGapError, WalNotFoundError, WalSnapshotNotFoundError } from './walErrors.js';
import type { WalMetadata, WalRecord, WalSnapshotMarker } from './walRecord.js';

/** A torn tail found in the newest segment: cut at `damage.offset`. */
export interface TornTail {
  readonly file: SegmentFile;
  readonly damage: SegmentDamage;
  readonly fileBytes: number;
}

/** Everything replay rebuilt. */
export interface ReplayOutcome {
  readonly metadata: WalMetadata;
  readonly hardState: HardState;
  /**
   * Entries after the snapshot index, contiguous. Their data are views into the segment bytes read
   * from disk (no copy per entry, which kept replay busy collecting garbage); treat them as read-only.
   */
  readonly entries: Entry[];
  /** Distinct snapshot markers, in the order first seen. */
  readonly snapshots: WalSnapshotMarker[];
  /** Index of the last entry in the log (or of a later snapshot marker). */
  readonly lastIndex: Index;
  readonly latestMarker: WalSnapshotMarker;
  readonly segments: readonly SegmentFile[];
  /** Valid bytes of the newest segment (after cutting a torn tail). */
  readonly tailBytes: number;
  readonly tornTail: TornTail | null;
}

const emptyHardState: HardState = { term: toTerm(0), vote: null, commit: toIndex(0) };

class ReplayState {
  metadata: WalMetadata | null = null;
  hardState: HardState = emptyHardState;
  entries: Entry[] = [];
  snapshots: WalSnapshotMarker[] = [];
  latestMarker: WalSnapshotMarker = { index: toIndex(0), term: toTerm(0) };
  lastIndex: Index;

  constructor(
    readonly snapshotIndex: Index,
    firstIndex: Index,
  ) {
    this.lastIndex = toIndex(firstIndex - 1);
  }

  /** Applies one record; returns a reason when it breaks the log's structure. */
  apply(record: WalRecord, segment: SegmentFile, isFirstRecord: boolean): string | null {
    if (isFirstRecord !== (record.kind === 'segmentHeader')) {
      return isFirstRecord ? 'segment does not start with a segment header' : 'segment header in the middle of a segment';
    }
    switch (record.kind) {
      case 'segmentHeader': {
        const { seq, firstIndex } = record.header;
        if (seq !== segment.seq || firstIndex !== segment.firstIndex) {
          return `segment header says seq ${seq} first index ${firstIndex}, the file name disagrees`;
        }
        return null;
      }
      case 'metadata': {
        const m = record.metadata;
        if (this.metadata === null) this.metadata = m;
        else if (this.metadata.clusterId !== m.clusterId || this.metadata.memberId !== m.memberId) {
          return 'metadata differs from the metadata of earlier records';
        }
        return null;
      }
      case 'hardState':
        this.hardState = record.hardState;
        return null;
      case 'snapshotMarker':
        return this.applyMarker(record.marker);
      case 'entry':
        return this.applyEntry(record.entry);
    }
  }

  private applyMarker(marker: WalSnapshotMarker): string | null {
    if (!this.snapshots.some((s) => s.index === marker.index && s.term === marker.term)) this.snapshots.push(marker);
    if (marker.index >= this.latestMarker.index) this.latestMarker = marker;
    if (marker.index > this.lastIndex) {
      // The log restarts after an installed snapshot: nothing before it is part of the log.
      this.lastIndex = marker.index;
      this.entries = [];
    }
    return null;
  }

  private applyEntry(entry: Entry): string | null {
    if (entry.index > this.lastIndex + 1) {
      return `entry ${entry.index} does not follow the last index ${this.lastIndex}`;
    }
    if (entry.index < 1) return 'entry index 0';
    // A record at or below the last index replaces that entry and everything after it.
    const keep = Math.max(0, entry.index - 1 - this.snapshotIndex);
    if (keep < this.entries.length) this.entries.length = keep;
    const previous = this.entries[keep - 1];
    if (previous !== undefined && previous.term > entry.term) {
      return `entry ${entry.index} has term ${entry.term}, below the term ${previous.term} of the entry before it`;
    }
    if (entry.index > this.snapshotIndex) this.entries.push(entry);
    this.lastIndex = entry.index;
    return null;
  }
}

/** How to replay. */
export interface ReplayOptions {
  readonly snapshot: WalSnapshotMarker | undefined;
}

/**
 * Replays `segments` (as listed by listWalDirectory). Throws WalNotFoundError, WalCorruptionError
 * (naming file and offset), WalGapError, WalSnapshotNotFoundError. Never modifies a file: a torn
 * tail is returned in `tornTail` for the caller to cut.
 */
export async function replayWal(
  dir: string,
  segments: readonly SegmentFile[],
  options: ReplayOptions,
): Promise<ReplayOutcome> {
  const first = segments[0];
  const last = segments[segments.length - 1];
  if (first === undefined || last === undefined) throw new WalNotFoundError(`no WAL segments in ${dir}`);
  const snapshotIndex = options.snapshot?.index ?? toIndex(0);
  const state = new ReplayState(snapshotIndex, first.firstIndex);
  let tailBytes = 0;
  let tornTail: TornTail | null = null;
  for (const file of segments) {
    const bytes = await fs.readFile(file.path);
    let recordCount = 0;
    const damage = scanSegment(bytes, (record, offset) => {
      const problem = state.apply(record, file, recordCount === 0);
      if (problem !== null) throw new WalCorruptionError(file.path, offset, problem);
      recordCount++;
    });
    if (recordCount === 0 && damage === null) throw new WalCorruptionError(file.path, 0, 'empty segment file');
    const isLast = file === last;
    if (damage !== null) {
      if (!isLast || !damage.torn || recordCount === 0) throw new WalCorruptionError(file.path, damage.offset, damage.reason);
      tornTail = { file, damage, fileBytes: bytes.length };
    }
    if (isLast) tailBytes = damage === null ? bytes.length : damage.offset;
  }
  if (state.metadata === null) throw new WalCorruptionError(first.path, 0, 'no metadata record');
  checkSnapshot(dir, state, options.snapshot);
  return {
    metadata: state.metadata,
    hardState: state.hardState,
    entries: state.entries,
    snapshots: state.snapshots,
    lastIndex: state.lastIndex,
    latestMarker: state.latestMarker,
    segments,
    tailBytes,
    tornTail,
  };
}

function checkSnapshot(dir: string, state: ReplayState, snapshot: WalSnapshotMarker | undefined): void {
  const snapshotIndex = snapshot?.index ?? 0;
  if (snapshot !== undefined && snapshot.index > 0) {
    const sameIndex = state.snapshots.filter((s) => s.index === snapshot.index);
    if (!sameIndex.some((s) => s.term === snapshot.term)) {
      const terms = sameIndex.map((s) => s.term).join(', ');
      throw new WalSnapshotNotFoundError(
        `WAL in ${dir} holds no snapshot marker at index ${snapshot.index} term ${snapshot.term}` +
          (terms === '' ? '' : ` (found term ${terms} at that index)`),
      );
    }
  }
  const firstEntry = state.entries[0];
  const contiguous =
    state.entries.length === state.lastIndex - snapshotIndex &&
    (firstEntry === undefined || firstEntry.index === snapshotIndex + 1);
  if (!contiguous) {
    throw new WalGapError(
      `WAL in ${dir} does not hold every entry after snapshot index ${snapshotIndex}: ` +
        `it holds ${state.entries.length} entries from index ${firstEntry?.index ?? 'none'} up to ${state.lastIndex}`,
    );
  }
}
