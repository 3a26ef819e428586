// A read-only view of a stopped member's WAL for the console's Raft page and for operators: every
// record with its place on disk, plus the first damage found. It never modifies anything: a torn
// tail is reported, not cut. Replay semantics (which entries win) are replayWal.ts's.
import fs from 'node:fs/promises';
import type { EntryType, Index, Term } from '../raft/types.js';
import { scanSegment, type SegmentDamage } from './scanSegment.js';
import { listWalDirectory } from './segmentFiles.js';
import type { WalRecord } from './walRecord.js';

/** Records listed at most by default, so a huge WAL cannot exhaust memory. */
export const inspectRecordsMaxDefault = 100_000;

/** Turns an entry's data into something printable (JSON-able); it must not keep `data`. */
export type EntryDecoder = (entry: {
  readonly index: Index;
  readonly term: Term;
  readonly type: EntryType;
  readonly data: Uint8Array;
}) => unknown;

export interface InspectedRecord {
  /** Segment file name. */
  readonly segment: string;
  /** Byte offset of the record's frame in the segment. */
  readonly offset: number;
  readonly type: WalRecord['kind'];
  /** Entry or snapshot-marker index; hard state commit; segment first index. */
  readonly index: Index | null;
  /** Entry, snapshot-marker or hard-state term. */
  readonly term: Term | null;
  readonly entryType: EntryType | null;
  /** Frame size in bytes, header included. */
  readonly size: number;
  /** Entry: the decoder's output (omitted without a decoder). Other records: their fields. */
  readonly decoded?: unknown;
}

export interface InspectedSegment {
  readonly name: string;
  readonly seq: number;
  readonly firstIndex: Index;
  readonly bytes: number;
}

export interface WalInspection {
  readonly segments: InspectedSegment[];
  readonly records: InspectedRecord[];
  /** True when `recordsMax` stopped the listing early. */
  readonly truncated: boolean;
  /** The first damaged record, if any; nothing after it is listed. `torn` is meaningful only in the last segment. */
  readonly damage: (SegmentDamage & { readonly segment: string; readonly lastSegment: boolean }) | null;
}

export interface InspectOptions {
  readonly decode?: EntryDecoder;
  readonly recordsMax?: number;
}

/**
 * Lists the records of the WAL in `dir` in file order (superseded entries included: this shows the
 * disk, not the replayed log). Read-only. Throws WalGapError when a segment is missing.
 */
export async function inspectWal(dir: string, options: InspectOptions = {}): Promise<WalInspection> {
  const recordsMax = options.recordsMax ?? inspectRecordsMaxDefault;
  const { segments } = await listWalDirectory(dir);
  const inspected: InspectedSegment[] = [];
  const records: InspectedRecord[] = [];
  let truncated = false;
  for (const file of segments) {
    if (truncated) {
      const { size } = await fs.stat(file.path);
      inspected.push({ name: file.name, seq: file.seq, firstIndex: file.firstIndex, bytes: size });
      continue;
    }
    const bytes = await fs.readFile(file.path);
    inspected.push({ name: file.name, seq: file.seq, firstIndex: file.firstIndex, bytes: bytes.length });
    const damage = scanSegment(bytes, (record, offset, end) => {
      if (records.length >= recordsMax) {
        truncated = true;
        return;
      }
      records.push(describe(record, file.name, offset, end - offset, options.decode));
    });
    if (damage !== null) {
      const lastSegment = file === segments[segments.length - 1];
      return { segments: inspected, records, truncated, damage: { ...damage, segment: file.name, lastSegment } };
    }
  }
  return { segments: inspected, records, truncated, damage: null };
}

function describe(
  record: WalRecord,
  segment: string,
  offset: number,
  size: number,
  decode: EntryDecoder | undefined,
): InspectedRecord {
  const base = { segment, offset, size, type: record.kind, entryType: null };
  switch (record.kind) {
    case 'entry': {
      const { index, term, type } = record.entry;
      const described = { ...base, index, term, entryType: type };
      return decode === undefined ? described : { ...described, decoded: decode(record.entry) };
    }
    case 'hardState': {
      const { term, vote, commit } = record.hardState;
      return { ...base, index: commit, term, decoded: { term, vote, commit } };
    }
    case 'snapshotMarker':
      return { ...base, index: record.marker.index, term: record.marker.term, decoded: { ...record.marker } };
    case 'metadata':
      return { ...base, index: null, term: null, decoded: { ...record.metadata } };
    case 'segmentHeader':
      return { ...base, index: record.header.firstIndex, term: null, decoded: { ...record.header } };
  }
}
