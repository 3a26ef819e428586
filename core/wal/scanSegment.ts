// Walks the frames of one segment file held in memory, checking every length and checksum, and
// classifies the first damaged frame: a torn tail (a write cut short by a crash, safe to cut off
// in the newest segment) or corruption (refuse to open). Replay rules live in replayWal.ts.
import {
  allZero,
  decodePayload,
  frameHeaderBytes,
  frameHeaderProblem,
  payloadCrcAt,
  readFrameHeader,
  type WalRecord,
} from './walRecord.js';

/** Where and why a segment stopped being readable. */
export interface SegmentDamage {
  readonly offset: number;
  readonly reason: string;
  /**
   * True when the damage can only be an interrupted final write: a short or zero-filled tail, or a
   * checksum mismatch in a record that ends the file (possibly followed by zeros only).
   */
  readonly torn: boolean;
}

/** Called for each valid frame in order; `end` is the offset just past the frame. */
export type RecordVisitor = (record: WalRecord, offset: number, end: number) => void;

/**
 * Visits every valid record of `bytes` in order and returns the first damage found, or null when
 * the whole buffer is valid frames. Entry data handed to `visit` are views into `bytes`.
 */
export function scanSegment(bytes: Uint8Array, visit: RecordVisitor): SegmentDamage | null {
  const length = bytes.length;
  let at = 0;
  while (at < length) {
    if (length - at < frameHeaderBytes) {
      return { offset: at, reason: `incomplete record header (${length - at} bytes at end of file)`, torn: true };
    }
    const header = readFrameHeader(bytes, at);
    if (header === null) {
      if (allZero(bytes, at, length)) return { offset: at, reason: 'zero-filled tail', torn: true };
      return { offset: at, reason: 'record header checksum mismatch', torn: false };
    }
    const problem = frameHeaderProblem(bytes, at, header);
    if (problem !== null) return { offset: at, reason: problem, torn: false };
    const end = at + frameHeaderBytes + header.payloadBytes;
    if (end > length) {
      return {
        offset: at,
        reason: `record of ${header.payloadBytes} bytes extends ${end - length} bytes past the end of the file`,
        torn: true,
      };
    }
    if (payloadCrcAt(bytes, at, header.payloadBytes) !== header.payloadCrc) {
      const last = allZero(bytes, end, length);
      return { offset: at, reason: 'record payload checksum mismatch', torn: last };
    }
    const record = decodePayload(header.type, bytes, at + frameHeaderBytes, end);
    if (typeof record === 'string') return { offset: at, reason: record, torn: false };
    visit(record, at, end);
    at = end;
  }
  return null;
}
