// Shared helpers for WAL tests: temporary directories cleaned up after each test, entries whose
// data are derived from their index and term (so any damage or mix-up is visible), and a recorder
// for the WAL's log events and fsyncs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import type { Entry, HardState } from '../../core/raft/types.js';
import { index, nodeId, term } from '../../core/raft/types.js';
import type { WalEvent } from '../../core/wal/index.js';

const created: string[] = [];

/** Registers an afterEach hook that removes every directory made by tempDir in this file. */
export function cleanUpTempDirs(): void {
  afterEach(() => {
    for (const dir of created.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });
}

export function tempDir(prefix = 'rafter-wal-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** Deterministic data for entry (i, t): its length and bytes depend on both. */
export function entryData(i: number, t: number, length = 8 + ((i * 7 + t) % 40)): Uint8Array {
  const data = new Uint8Array(length);
  for (let k = 0; k < length; k++) data[k] = (i * 31 + t * 17 + k * 13) & 0xff;
  return data;
}

export function makeEntry(i: number, t: number, length?: number): Entry {
  return { index: index(i), term: term(t), type: i % 5 === 0 ? 'confChange' : 'normal', data: entryData(i, t, length) };
}

/** Entries from..to inclusive at term t. */
export function makeEntries(from: number, to: number, t: number): Entry[] {
  const entries: Entry[] = [];
  for (let i = from; i <= to; i++) entries.push(makeEntry(i, t));
  return entries;
}

export function hardState(t: number, commit: number, vote: string | null = null): HardState {
  return { term: term(t), commit: index(commit), vote: vote === null ? null : nodeId(vote) };
}

export const metadata = { clusterId: 'cdf818194e3a8c32', memberId: '8e9e05c52164694d' };

/** Collects log events and counts fsyncs, to pass as WAL options. */
export function recorder(): {
  events: WalEvent[];
  fileSyncs: () => number;
  options: { logger: (e: WalEvent) => void; onFsync: (target: 'file' | 'dir') => void };
} {
  const events: WalEvent[] = [];
  let files = 0;
  return {
    events,
    fileSyncs: () => files,
    options: {
      logger: (e) => events.push(e),
      onFsync: (target) => {
        if (target === 'file') files++;
      },
    },
  };
}

/** Plain objects for comparing entries with toEqual regardless of Buffer or Uint8Array. */
export function plain(entries: readonly Entry[]): Array<{ index: number; term: number; type: string; data: number[] }> {
  return entries.map((e) => ({ index: e.index, term: e.term, type: e.type, data: Array.from(e.data) }));
}

/** Segment file paths of a WAL directory, oldest first. */
export function segmentPaths(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.wal'))
    .sort()
    .map((n) => path.join(dir, n));
}
