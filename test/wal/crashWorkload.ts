// The workload shared by the crash test and its child process: entries whose term, length and
// bytes are derived from their index, so the parent can tell intact records from damaged ones.
import type { Entry } from '../../core/raft/types.js';
import { index, term } from '../../core/raft/types.js';

export const crashSegmentBytes = 64 * 1024;
export const crashMetadata = { clusterId: 'c0ffee', memberId: '1' };

export function crashEntryData(i: number, t: number): Uint8Array {
  const length = 32 + ((i * 2654435761) >>> 0) % 480;
  const data = new Uint8Array(length);
  let x = (i * 1_000_003 + t * 7919) >>> 0;
  for (let k = 0; k < length; k++) {
    x = (x * 1103515245 + 12345) >>> 0;
    data[k] = x >>> 24;
  }
  return data;
}

export function crashEntry(i: number, t: number): Entry {
  return { index: index(i), term: term(t), type: 'normal', data: crashEntryData(i, t) };
}

/** Whether `entry` is exactly what the workload wrote at its index and term. */
export function isIntact(entry: Entry): boolean {
  const expected = crashEntryData(entry.index, entry.term);
  return entry.data.length === expected.length && expected.every((b, k) => entry.data[k] === b);
}
