// Segment files on disk: their names (`<seq>-<firstIndex>.wal`, both 16 hex digits, so names sort
// in log order), listing a WAL directory, creating a segment atomically (temporary file, fsync,
// rename, fsync of the directory) and fsyncing directories. What goes inside is wal.ts's business.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Index } from '../raft/types.js';
import { index as toIndex } from '../raft/types.js';
import { WalGapError } from './walErrors.js';

/** A segment found in a WAL directory. */
export interface SegmentFile {
  readonly name: string;
  readonly path: string;
  /** Invariant: segments of one WAL have consecutive seq numbers. */
  readonly seq: number;
  readonly firstIndex: Index;
}

/** What a WAL directory holds. */
export interface WalDirectory {
  /** In seq order, checked to be consecutive. */
  readonly segments: readonly SegmentFile[];
  /** Leftovers of segment creation interrupted by a crash. */
  readonly tempFiles: readonly string[];
}

/** Counts or observes fsyncs; tests use it to show that saves share them. */
export type FsyncObserver = (target: 'file' | 'dir') => void;

/** How a WAL or snapshot directory makes things durable. */
export interface SyncPolicy {
  /** Unsafe: skips every fsync. Only for tests that show lost writes are detected. */
  readonly unsafeNoFsync: boolean;
  readonly onFsync: FsyncObserver | undefined;
}

const segmentPattern = /^([0-9a-f]{16})-([0-9a-f]{16})\.wal$/;
export const tempSuffix = '.tmp';

/** The file name of segment `seq` started at `firstIndex`. */
export function segmentName(seq: number, firstIndex: Index): string {
  return `${seq.toString(16).padStart(16, '0')}-${firstIndex.toString(16).padStart(16, '0')}.wal`;
}

/**
 * Lists a WAL directory. Throws WalGapError when a segment is missing between two others.
 * Files that are neither segments nor temporary files are left alone and ignored.
 */
export async function listWalDirectory(dir: string): Promise<WalDirectory> {
  const names = (await fs.readdir(dir)).sort();
  const segments: SegmentFile[] = [];
  const tempFiles: string[] = [];
  for (const name of names) {
    if (name.endsWith(`.wal${tempSuffix}`)) {
      tempFiles.push(path.join(dir, name));
      continue;
    }
    const match = segmentPattern.exec(name);
    if (match === null) continue;
    const seq = Number.parseInt(match[1]!, 16);
    const firstIndex = Number.parseInt(match[2]!, 16);
    if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(firstIndex)) continue;
    segments.push({ name, path: path.join(dir, name), seq, firstIndex: toIndex(firstIndex) });
  }
  segments.sort((a, b) => a.seq - b.seq);
  for (let i = 1; i < segments.length; i++) {
    const before = segments[i - 1]!;
    const after = segments[i]!;
    if (after.seq !== before.seq + 1) {
      throw new WalGapError(
        `WAL segment missing in ${dir}: ${before.name} (seq ${before.seq}) is followed by ${after.name} (seq ${after.seq})`,
      );
    }
  }
  return { segments, tempFiles };
}

/** fsyncs a directory so that creations, renames and deletions in it survive a crash. */
export async function syncDirectory(dir: string, policy: SyncPolicy): Promise<void> {
  if (policy.unsafeNoFsync) return;
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
    policy.onFsync?.('dir');
  } finally {
    await handle.close();
  }
}

/**
 * Writes `contents` to `finalPath` atomically: a temporary file is written and fsynced, renamed
 * into place, and the directory fsynced. After a crash the file is either absent or complete.
 */
export async function writeFileAtomically(
  finalPath: string,
  contents: readonly Uint8Array[],
  policy: SyncPolicy,
): Promise<void> {
  const tempPath = finalPath + tempSuffix;
  const handle = await fs.open(tempPath, 'w');
  try {
    let position = 0;
    for (const piece of contents) {
      let done = 0;
      while (done < piece.length) {
        const { bytesWritten } = await handle.write(piece, done, piece.length - done, position);
        done += bytesWritten;
        position += bytesWritten;
      }
    }
    if (!policy.unsafeNoFsync) {
      await handle.datasync();
      policy.onFsync?.('file');
    }
  } finally {
    await handle.close();
  }
  await fs.rename(tempPath, finalPath);
  await syncDirectory(path.dirname(finalPath), policy);
}
