// The write-ahead log: the durability point of a member. Owns appending records with group commit
// (many saves share one write and one fdatasync), segment rotation, releasing segments a snapshot
// covers, and opening (replay plus cutting a torn tail). Record layout is walRecord.ts's, replay
// rules replayWal.ts's, file naming segmentFiles.ts's. What to save and when is core/server's.
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { FileHandle } from 'node:fs/promises';
import { fail } from '../raft/assert.js';
import type { Entry, HardState, Index } from '../raft/types.js';
import { index as toIndex, term as toTerm } from '../raft/types.js';
import { ChunkPool, CommitBatch } from './commitBatch.js';
import { replayWal } from './replayWal.js';
import {
  listWalDirectory,
  segmentName,
  syncDirectory,
  writeFileAtomically,
  type FsyncObserver,
  type SegmentFile,
  type SyncPolicy,
} from './segmentFiles.js';
import { WalClosedError, WalExistsError, WalNotFoundError, WalRecordTooLargeError } from './walErrors.js';
import { acquireWalLock, type WalLock } from './walLock.js';
import {
  encodeControl,
  encodeEntry,
  entryFits,
  entryRecordBytes,
  recordPayloadBytesMax,
  type WalMetadata,
  type WalSnapshotMarker,
} from './walRecord.js';

/** Default size at which a segment is closed and a new one started. */
export const segmentBytesDefault = 64 * 1024 * 1024;
/** A batch stops taking saves at this size; later saves wait for the next write and fsync. */
export const batchBytesMax = 16 * 1024 * 1024;

/** Something the WAL did on its own that an operator should know about. */
export type WalEvent =
  | {
      readonly kind: 'tornTailTruncated';
      readonly file: string;
      readonly offset: number;
      readonly bytesDropped: number;
      readonly reason: string;
    }
  | { readonly kind: 'tempFileRemoved'; readonly file: string };

export type WalLogger = (event: WalEvent) => void;

export interface WalOptions {
  /** Rotate to a new segment before a write would take the current one past this size. */
  readonly segmentBytes?: number;
  /**
   * UNSAFE, tests only: skip every fsync, so "durable" saves can be lost by a power failure or a
   * crash of the machine. Exists so fault tests can show that such losses are detected.
   */
  readonly unsafeNoFsync?: boolean;
  readonly logger?: WalLogger;
  /** Called after each fsync (of a segment or a directory); tests count group commits with it. */
  readonly onFsync?: FsyncObserver;
}

export interface WalOpenOptions extends WalOptions {
  /** The snapshot the caller restored: entries up to it are not returned; its marker must exist. */
  readonly snapshot?: WalSnapshotMarker;
}

/** An opened WAL and the durable state it replayed. */
export interface WalOpenResult {
  readonly wal: Wal;
  readonly metadata: WalMetadata;
  /** The last hard state saved (term 0, no vote, commit 0 if none was). */
  readonly hardState: HardState;
  /**
   * The log after the snapshot index, contiguous, with superseded tails already dropped. Entry data
   * are read-only views into the segment bytes read at open.
   */
  readonly entries: Entry[];
  /** Distinct snapshot markers still in the WAL, oldest first. */
  readonly snapshots: WalSnapshotMarker[];
}

interface WrittenState {
  lastIndex: Index;
  hardState: HardState;
  latestMarker: WalSnapshotMarker;
}

const initialHardState: HardState = { term: toTerm(0), vote: null, commit: toIndex(0) };
const initialMarker: WalSnapshotMarker = { index: toIndex(0), term: toTerm(0) };

/** How a save is made durable (Wal.save). */
export interface SaveOptions {
  /**
   * false: resolve once written, without an fdatasync of its own; the save becomes durable with
   * the next synced save, a segment rotation or close. For a hard state whose term and vote are
   * unchanged and no entries (etcd's raft.MustSync): losing a commit index costs nothing, since
   * Raft learns it again. Default true.
   */
  readonly sync?: boolean;
  /**
   * true: start writing now instead of at the end of the event-loop turn (where saves made in the
   * same turn share one write). The bytes are in the OS before save returns and the fdatasync is
   * under way in the thread pool, so the caller can do synchronous work while the disk syncs
   * (the member applies entries already durable meanwhile). Default false.
   */
  readonly immediate?: boolean;
}

/**
 * A write-ahead log in one directory. Saves are durable (fdatasynced) when their promise resolves
 * (unless saved with `sync: false`) and become durable in the order they were called. A lock file
 * keeps a second writer out.
 */
export class Wal {
  private readonly pool = new ChunkPool();
  private readonly queue: CommitBatch[] = [];
  private lastBatch: CommitBatch | null = null;
  private flushRunning = false;
  private flushed: Promise<void> = Promise.resolve();
  private failure: WalClosedError | null = null;
  private closing = false;
  /** True while the current segment holds only its prologue. */
  private segmentFresh: boolean;
  /** True while the current segment holds bytes written without an fdatasync since. */
  private unsynced = false;
  /** Log state as saves have requested it (durable or still queued). */
  private savedLastIndex: Index;
  private savedMarkerIndex: Index;

  private constructor(
    readonly dir: string,
    readonly metadata: WalMetadata,
    private readonly segmentBytes: number,
    private readonly policy: SyncPolicy,
    private readonly lock: WalLock,
    private readonly segments: SegmentFile[],
    private handle: FileHandle,
    private position: number,
    private readonly written: WrittenState,
    segmentFresh: boolean,
  ) {
    this.segmentFresh = segmentFresh;
    this.savedLastIndex = written.lastIndex;
    this.savedMarkerIndex = written.latestMarker.index;
  }

  /**
   * Creates a new WAL in `dir` (made if missing) and holds its lock until close. Throws
   * WalExistsError if `dir` already holds one, WalLockedError if a live process has it open.
   */
  static async create(dir: string, metadata: WalMetadata, options: WalOptions = {}): Promise<Wal> {
    const { segmentBytes, policy, logger } = resolveOptions(options);
    await fs.mkdir(dir, { recursive: true });
    await syncDirectory(path.dirname(path.resolve(dir)), policy);
    const lock = await acquireWalLock(dir);
    try {
      const listing = await listWalDirectory(dir);
      if (listing.segments.length > 0) throw new WalExistsError(`a WAL already exists in ${dir}`);
      await removeTempFiles(dir, listing.tempFiles, policy, logger);
      const written: WrittenState = {
        lastIndex: toIndex(0),
        hardState: initialHardState,
        latestMarker: initialMarker,
      };
      const { file, bytes } = await createSegment(dir, 0, toIndex(1), metadata, written, policy);
      const handle = await fs.open(file.path, 'r+');
      return new Wal(dir, metadata, segmentBytes, policy, lock, [file], handle, bytes, written, true);
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  /**
   * Opens the WAL in `dir`, verifies every record and replays it. A torn final record is cut off
   * (the file truncated) and reported to the logger. Throws WalNotFoundError, WalCorruptionError
   * (naming file and byte offset), WalGapError (missing segment, or the log does not reach back
   * to the snapshot), WalSnapshotNotFoundError and WalLockedError (a live process has it open).
   * A refused open changes nothing on disk.
   */
  static async open(dir: string, options: WalOpenOptions = {}): Promise<WalOpenResult> {
    const resolved = resolveOptions(options);
    const isDirectory = await fs.stat(dir).then(
      (stat) => stat.isDirectory(),
      (error: unknown) => {
        if (isMissingFile(error)) return false;
        throw error;
      },
    );
    if (!isDirectory) throw new WalNotFoundError(`no WAL directory at ${dir}`);
    const lock = await acquireWalLock(dir);
    try {
      return await Wal.replayAndOpen(dir, options.snapshot, resolved, lock);
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  private static async replayAndOpen(
    dir: string,
    snapshot: WalSnapshotMarker | undefined,
    { segmentBytes, policy, logger }: ResolvedOptions,
    lock: WalLock,
  ): Promise<WalOpenResult> {
    const listing = await listWalDirectory(dir);
    const outcome = await replayWal(dir, listing.segments, { snapshot });
    await removeTempFiles(dir, listing.tempFiles, policy, logger);
    const last = outcome.segments[outcome.segments.length - 1]!;
    const handle = await fs.open(last.path, 'r+');
    try {
      const torn = outcome.tornTail;
      if (torn !== null) {
        await handle.truncate(torn.damage.offset);
        if (!policy.unsafeNoFsync) {
          await handle.sync();
          policy.onFsync?.('file');
        }
        logger?.({
          kind: 'tornTailTruncated',
          file: torn.file.path,
          offset: torn.damage.offset,
          bytesDropped: torn.fileBytes - torn.damage.offset,
          reason: torn.damage.reason,
        });
      }
    } catch (error) {
      await handle.close();
      throw error;
    }
    const written: WrittenState = {
      lastIndex: outcome.lastIndex,
      hardState: outcome.hardState,
      latestMarker: outcome.latestMarker,
    };
    const segments = [...outcome.segments];
    const wal = new Wal(dir, outcome.metadata, segmentBytes, policy, lock, segments, handle, outcome.tailBytes, written, false);
    const { metadata, hardState, entries, snapshots } = outcome;
    return { wal, metadata, hardState, entries, snapshots };
  }

  /** The index of the last entry saved (durable or queued), or of a later snapshot marker. */
  get lastIndex(): Index {
    return this.savedLastIndex;
  }

  /** File names of the segments, oldest first. */
  segmentNames(): string[] {
    return this.segments.map((s) => s.name);
  }

  /**
   * Saves `entries` and then `hardState` (either may be absent) and resolves once they are on
   * disk. Entries must be contiguous, start at most one past the last index and after the last
   * snapshot marker; an entry at or below the last index replaces it and drops the tail after it
   * (a new leader overwriting an uncommitted suffix). The data are copied before this returns, so
   * the caller may reuse its buffers. Rejects with WalRecordTooLargeError (nothing saved) or
   * WalClosedError.
   */
  save(hardState: HardState | null, entries: readonly Entry[], options: SaveOptions = {}): Promise<void> {
    const refusal = this.refusal();
    if (refusal !== null) return Promise.reject(refusal);
    let expected = entries[0]?.index;
    for (const entry of entries) {
      if (entry.index !== expected) fail(`entries not contiguous: ${entry.index} where ${expected} was expected`);
      if (!(Number.isSafeInteger(entry.term) && entry.term >= 0)) fail(`entry ${entry.index} has term ${entry.term}`);
      expected = toIndex(entry.index + 1);
      if (!entryFits(entry.data.length)) {
        return Promise.reject(
          new WalRecordTooLargeError(
            `entry ${entry.index} has ${entry.data.length} bytes of data; a record holds at most ${recordPayloadBytesMax} bytes`,
          ),
        );
      }
    }
    const first = entries[0];
    if (first !== undefined) {
      if (!(Number.isSafeInteger(first.index) && first.index >= 1)) fail(`entry index ${first.index}`);
      if (first.index > this.savedLastIndex + 1) fail(`entry ${first.index} leaves a gap after ${this.savedLastIndex}`);
      if (first.index <= this.savedMarkerIndex) fail(`entry ${first.index} is covered by snapshot ${this.savedMarkerIndex}`);
    }
    if (first === undefined && hardState === null) return this.lastBatch?.done ?? Promise.resolve();
    const batch = this.openBatch();
    if (options.sync !== false) batch.syncNeeded = true;
    for (const entry of entries) {
      const size = entryRecordBytes(entry.data.length);
      const { chunk, at } = batch.reserve(size);
      if (encodeEntry(chunk, at, entry) !== at + size) fail(`entry ${entry.index} encoded to an unexpected length`);
    }
    if (entries.length > 0) this.savedLastIndex = entries[entries.length - 1]!.index;
    if (hardState !== null) {
      this.append(batch, encodeControl({ kind: 'hardState', hardState }));
      batch.hardStateAfter = hardState;
    }
    batch.lastIndexAfter = this.savedLastIndex;
    this.kick(options.immediate === true);
    return batch.done;
  }

  /**
   * Saves a marker that a snapshot at (index, term) exists; resolves once it is on disk. Save the
   * snapshot file first, then the marker, then call releaseTo. A marker past the last index (a
   * snapshot installed from the leader) restarts the log after it.
   */
  saveSnapshotMarker(marker: WalSnapshotMarker): Promise<void> {
    const refusal = this.refusal();
    if (refusal !== null) return Promise.reject(refusal);
    if (!(Number.isSafeInteger(marker.index) && marker.index >= 0)) fail(`snapshot index ${marker.index}`);
    const batch = this.openBatch();
    batch.syncNeeded = true;
    this.append(batch, encodeControl({ kind: 'snapshotMarker', marker }));
    batch.markers.push(marker);
    if (marker.index > this.savedMarkerIndex) this.savedMarkerIndex = marker.index;
    if (marker.index > this.savedLastIndex) this.savedLastIndex = marker.index;
    batch.lastIndexAfter = this.savedLastIndex;
    this.kick();
    return batch.done;
  }

  /**
   * Deletes the segments that replay from the snapshot at `snapshotIndex` no longer needs: every
   * segment before the last one started at or below `snapshotIndex + 1`. The newest segment is
   * always kept. Call after the snapshot's marker was saved: every segment begins with the newest
   * marker, hard state and metadata at its creation, so what is kept still replays from there.
   * With `filesMax` (etcd's --max-wals), only the oldest of those segments go, and only while more
   * than `filesMax` segment files remain; 0 keeps them all.
   */
  async releaseTo(snapshotIndex: Index, filesMax?: number): Promise<void> {
    const refusal = this.refusal();
    if (refusal !== null) throw refusal;
    let keepFrom = 0;
    this.segments.forEach((segment, i) => {
      if (segment.firstIndex <= snapshotIndex + 1) keepFrom = i;
    });
    keepFrom = Math.min(keepFrom, this.segments.length - 1);
    if (filesMax !== undefined) keepFrom = filesMax === 0 ? 0 : Math.min(keepFrom, Math.max(0, this.segments.length - filesMax));
    const doomed = this.segments.splice(0, keepFrom);
    for (const segment of doomed) await fs.unlink(segment.path);
    if (doomed.length > 0) await syncDirectory(this.dir, this.policy);
  }

  /** Waits for every queued save to become durable, then closes the file. Idempotent. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await this.flushed;
    try {
      if (this.failure === null) await this.syncWritten();
      await this.handle.close();
    } finally {
      await this.lock.release();
    }
  }

  private refusal(): WalClosedError | null {
    if (this.failure !== null) return this.failure;
    if (this.closing) return new WalClosedError(`WAL in ${this.dir} is closed`);
    return null;
  }

  private openBatch(): CommitBatch {
    const last = this.queue[this.queue.length - 1];
    if (last !== undefined && last.bytes < batchBytesMax) return last;
    const batch = new CommitBatch(this.pool);
    this.queue.push(batch);
    this.lastBatch = batch;
    return batch;
  }

  private append(batch: CommitBatch, frame: Uint8Array): void {
    const { chunk, at } = batch.reserve(frame.length);
    chunk.set(frame, at);
  }

  /** Starts the flush loop on the next turn of the event loop, so saves made meanwhile join. */
  private kick(immediate = false): void {
    if (this.flushRunning) return;
    this.flushRunning = true;
    this.flushed = immediate ? this.flushLoop() : new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flushLoop());
  }

  private async flushLoop(): Promise<void> {
    try {
      for (;;) {
        const batch = this.queue.shift();
        if (batch === undefined) break;
        try {
          await this.commit(batch);
        } catch (error) {
          this.fail(error, batch);
          break;
        }
      }
    } finally {
      this.flushRunning = false;
    }
  }

  /** One group commit: rotate if needed, one vectored write, one fdatasync (unless no save asked for one). */
  private async commit(batch: CommitBatch): Promise<void> {
    if (!this.segmentFresh && this.position + batch.bytes > this.segmentBytes) await this.rotate();
    writeFully(this.handle.fd, batch.views(), this.position);
    this.position += batch.bytes;
    this.segmentFresh = false;
    this.unsynced = true;
    if (batch.syncNeeded) await this.syncWritten();
    if (batch.lastIndexAfter !== null) this.written.lastIndex = batch.lastIndexAfter;
    if (batch.hardStateAfter !== null) this.written.hardState = batch.hardStateAfter;
    for (const marker of batch.markers) {
      if (marker.index >= this.written.latestMarker.index) this.written.latestMarker = marker;
    }
    batch.finish(null);
  }

  /** fdatasyncs the current segment if it holds bytes written since its last fdatasync. */
  private async syncWritten(): Promise<void> {
    if (!this.unsynced) return;
    if (!this.policy.unsafeNoFsync) {
      await this.handle.datasync();
      this.policy.onFsync?.('file');
    }
    this.unsynced = false;
  }

  /** Syncs and closes the current segment and starts the next with a full prologue. */
  private async rotate(): Promise<void> {
    await this.syncWritten();
    const current = this.segments[this.segments.length - 1]!;
    const seq = current.seq + 1;
    const firstIndex = toIndex(this.written.lastIndex + 1);
    const { file, bytes } = await createSegment(this.dir, seq, firstIndex, this.metadata, this.written, this.policy);
    const handle = await fs.open(file.path, 'r+');
    const previous = this.handle;
    this.handle = handle;
    this.position = bytes;
    this.segmentFresh = true;
    this.segments.push(file);
    await previous.close();
  }

  private fail(error: unknown, batch: CommitBatch): void {
    const cause = error instanceof Error ? error : new Error(String(error));
    this.failure = new WalClosedError(`WAL in ${this.dir} failed and refuses further writes: ${cause.message}`, {
      cause,
    });
    batch.finish(this.failure);
    for (const queued of this.queue.splice(0)) queued.finish(this.failure);
  }
}

interface ResolvedOptions {
  readonly segmentBytes: number;
  readonly policy: SyncPolicy;
  readonly logger: WalLogger | undefined;
}

function resolveOptions(options: WalOptions): ResolvedOptions {
  const segmentBytes = options.segmentBytes ?? segmentBytesDefault;
  if (!(Number.isSafeInteger(segmentBytes) && segmentBytes > 0)) fail(`segmentBytes ${segmentBytes}`);
  return {
    segmentBytes,
    policy: { unsafeNoFsync: options.unsafeNoFsync ?? false, onFsync: options.onFsync },
    logger: options.logger,
  };
}

async function createSegment(
  dir: string,
  seq: number,
  firstIndex: Index,
  metadata: WalMetadata,
  written: WrittenState,
  policy: SyncPolicy,
): Promise<{ file: SegmentFile; bytes: number }> {
  const name = segmentName(seq, firstIndex);
  const file: SegmentFile = { name, path: path.join(dir, name), seq, firstIndex };
  const prologue = [
    encodeControl({ kind: 'segmentHeader', header: { seq, firstIndex } }),
    encodeControl({ kind: 'metadata', metadata }),
    encodeControl({ kind: 'hardState', hardState: written.hardState }),
    encodeControl({ kind: 'snapshotMarker', marker: written.latestMarker }),
  ];
  await writeFileAtomically(file.path, prologue, policy);
  return { file, bytes: prologue.reduce((sum, frame) => sum + frame.length, 0) };
}

async function removeTempFiles(
  dir: string,
  files: readonly string[],
  policy: SyncPolicy,
  logger: WalLogger | undefined,
): Promise<void> {
  for (const file of files) {
    await fs.rm(file, { force: true });
    logger?.({ kind: 'tempFileRemoved', file });
  }
  if (files.length > 0) await syncDirectory(dir, policy);
}

/**
 * Writes `views` at `position`, synchronously: the bytes go to the OS's page cache (what takes time
 * is the fdatasync after it, which runs in the thread pool), and a synchronous write lets a save
 * have its fdatasync under way before the caller's next synchronous work.
 */
function writeFully(fd: number, views: Uint8Array[], position: number): void {
  let pending = views;
  let at = position;
  while (pending.length > 0) {
    const bytesWritten = fsSync.writevSync(fd, pending, at);
    if (bytesWritten === 0) throw new Error(`writev wrote nothing at offset ${at}`);
    at += bytesWritten;
    let skip = bytesWritten;
    const rest: Uint8Array[] = [];
    for (const view of pending) {
      if (skip >= view.length) {
        skip -= view.length;
        continue;
      }
      rest.push(view.subarray(skip));
      skip = 0;
    }
    pending = rest;
  }
}

function isMissingFile(error: unknown): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === 'ENOENT';
}
