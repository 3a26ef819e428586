// A member's data directory: where the WAL, the snapshot files and the store live, and how a
// member's durable state is created for a new cluster or recovered after a restart.
//
//   <data-dir>/member/wal/    write-ahead log segments
//   <data-dir>/member/snap/   Raft snapshot files (metadata + membership image)
//   <data-dir>/member/db/     the LMDB store (its applied index says how much of the log it holds)
import fs from 'node:fs';
import path from 'node:path';
import { MemoryStorage } from '../raft/memoryStorage.js';
import { index, term, type ConfState, type HardState, type NodeId, type Snapshot, type SnapshotMeta } from '../raft/types.js';
import { Wal } from '../wal/wal.js';
import { WalSnapshotNotFoundError } from '../wal/walErrors.js';
import type { WalEvent } from '../wal/wal.js';
import { SnapshotFiles, type JsonValue, type SnapshotEvent } from '../snap/snapshotFiles.js';
import { Membership, type Member, type MembershipImage } from './membership.js';

export interface DataPaths {
  readonly root: string;
  readonly wal: string;
  readonly snap: string;
  readonly db: string;
  readonly tmp: string;
}

/** Where a member keeps its files; `walDir` ('' for none) is etcd's --wal-dir, a dedicated WAL directory. */
export function dataPaths(dataDir: string, walDir = ''): DataPaths {
  const member = path.join(dataDir, 'member');
  return { root: dataDir, wal: walDir === '' ? path.join(member, 'wal') : walDir, snap: path.join(member, 'snap'), db: path.join(member, 'db'), tmp: path.join(member, 'tmp') };
}

/** A configuration problem with the data directory the operator must fix. */
export class DataDirError extends Error {
  override readonly name = 'DataDirError';
}

/** What Raft snapshot data holds in Rafter: the membership as of the snapshot index. */
export interface SnapshotState {
  readonly membership: MembershipImage;
}

export function encodeSnapshotState(state: SnapshotState): Uint8Array {
  return Buffer.from(JSON.stringify(state), 'utf8');
}

export function decodeSnapshotState(data: Uint8Array): SnapshotState {
  const parsed = JSON.parse(Buffer.from(data).toString('utf8')) as SnapshotState;
  if (typeof parsed !== 'object' || parsed === null || typeof parsed.membership !== 'object') {
    throw new DataDirError('snapshot data does not hold a membership image');
  }
  return parsed;
}

export interface RecoveredState {
  readonly wal: Wal;
  readonly snapshotFiles: SnapshotFiles;
  readonly storage: MemoryStorage;
  readonly membership: Membership;
  readonly memberId: NodeId;
  readonly clusterId: string;
  /** The snapshot index raft starts from (entries after it are re-applied). */
  readonly snapshotIndex: number;
  /** True when this member joins an existing cluster and has no membership yet. */
  readonly joining: boolean;
  /** The members the cluster named when this member joined it (see ClusterMembers' remotes). */
  readonly remotes?: readonly Member[];
}

export interface StorageOptions {
  readonly unsafeNoFsync?: boolean;
  /** WAL segment size (default the WAL's 64 MiB). */
  readonly walSegmentBytes?: number;
  /** Snapshot files kept, 0 for all (default SnapshotFiles' own). */
  readonly snapshotsKept?: number;
  readonly log: (message: string) => void;
}

function walLogger(log: (message: string) => void) {
  return (event: WalEvent): void => {
    if (event.kind === 'tornTailTruncated') log(`WAL: cut a torn record at ${event.file}:${event.offset} (${event.bytesDropped} bytes: ${event.reason})`);
    else log(`WAL: removed leftover temporary file ${event.file}`);
  };
}

function snapLogger(log: (message: string) => void) {
  return (event: SnapshotEvent): void => {
    if (event.kind === 'damagedSnapshotSetAside') log(`snapshot ${event.file} is damaged (${event.reason}); set aside as ${event.movedTo}`);
    else if (event.kind === 'snapshotPurged') log(`purged old snapshot ${event.file}`);
  };
}

export function hasWal(paths: DataPaths): boolean {
  try {
    return fs.readdirSync(paths.wal).some((name) => name.endsWith('.wal'));
  } catch {
    return false;
  }
}

/**
 * Creates the durable state of a member of a brand-new cluster. The log starts after a snapshot at
 * `startIndex` holding the initial membership: 1 for an empty store, or the applied index of a
 * store restored from a snapshot file (so no new entry is mistaken for one it already holds).
 */
function snapshotOptions(options: StorageOptions): { unsafeNoFsync: boolean; logger: (event: SnapshotEvent) => void; keep?: number } {
  const base = { unsafeNoFsync: options.unsafeNoFsync ?? false, logger: snapLogger(options.log) };
  if (options.snapshotsKept === undefined) return base;
  return { ...base, keep: options.snapshotsKept === 0 ? Number.MAX_SAFE_INTEGER : options.snapshotsKept };
}

function walSegment(options: StorageOptions): { segmentBytes?: number } {
  return options.walSegmentBytes === undefined ? {} : { segmentBytes: options.walSegmentBytes };
}

export async function bootstrapNew(paths: DataPaths, membership: Membership, self: NodeId, options: StorageOptions, startIndex = 1): Promise<RecoveredState> {
  const conf: ConfState = {
    voters: membership.list().filter((m) => !m.isLearner).map((m) => m.id),
    learners: membership.list().filter((m) => m.isLearner).map((m) => m.id),
  };
  const meta: SnapshotMeta = { index: index(startIndex), term: term(1), conf };
  const data = encodeSnapshotState({ membership: membership.image() });
  const snapshotFiles = await SnapshotFiles.open(paths.snap, snapshotOptions(options));
  await snapshotFiles.save(meta, { membership: membership.image() } as unknown as JsonValue);
  const wal = await Wal.create(paths.wal, { clusterId: membership.clusterId, memberId: self }, { ...walSegment(options), unsafeNoFsync: options.unsafeNoFsync ?? false, logger: walLogger(options.log) });
  await wal.saveSnapshotMarker({ index: meta.index, term: meta.term });
  const hardState: HardState = { term: term(1), vote: null, commit: index(startIndex) };
  await wal.save(hardState, []);
  const storage = new MemoryStorage(conf);
  storage.applySnapshot({ meta, data });
  storage.setHardState(hardState);
  return { wal, snapshotFiles, storage, membership, memberId: self, clusterId: membership.clusterId, snapshotIndex: startIndex, joining: false };
}

/** Creates the durable state of a member joining an existing cluster (it will receive a snapshot). */
export async function bootstrapJoin(paths: DataPaths, clusterId: string, self: NodeId, options: StorageOptions): Promise<RecoveredState> {
  const snapshotFiles = await SnapshotFiles.open(paths.snap, snapshotOptions(options));
  const wal = await Wal.create(paths.wal, { clusterId, memberId: self }, { ...walSegment(options), unsafeNoFsync: options.unsafeNoFsync ?? false, logger: walLogger(options.log) });
  return { wal, snapshotFiles, storage: new MemoryStorage(), membership: new Membership(clusterId), memberId: self, clusterId, snapshotIndex: 0, joining: true };
}

/**
 * Recovers a member's durable state from its data directory: the newest snapshot file whose
 * marker the WAL also holds (a crash between saving the file and the marker leaves a newer file
 * the WAL does not know), then the WAL replayed after it.
 */
export async function recover(paths: DataPaths, options: StorageOptions): Promise<RecoveredState> {
  const snapshotFiles = await SnapshotFiles.open(paths.snap, snapshotOptions(options));
  const walOptions = { ...walSegment(options), unsafeNoFsync: options.unsafeNoFsync ?? false, logger: walLogger(options.log) };
  const candidates = (await snapshotFiles.list()).sort((a, b) => b.index - a.index);
  let opened: Awaited<ReturnType<typeof Wal.open>> | null = null;
  let newest: Awaited<ReturnType<SnapshotFiles['loadNewest']>> = null;
  for (const candidate of candidates) {
    const marker = { index: index(candidate.index), term: term(candidate.term) };
    try {
      opened = await Wal.open(paths.wal, { ...walOptions, snapshot: marker });
    } catch (error) {
      if (error instanceof WalSnapshotNotFoundError) continue;
      throw error;
    }
    newest = await snapshotFiles.loadNewest({ matching: [marker] });
    if (newest !== null && newest.meta.index === candidate.index) break;
    await opened.wal.close();
    opened = null;
    newest = null;
  }
  if (opened === null) {
    if (candidates.length > 0) throw new DataDirError(`no usable snapshot in ${paths.snap} matches the WAL in ${paths.wal}`);
    opened = await Wal.open(paths.wal, walOptions);
  }
  const storage = new MemoryStorage();
  let membership = new Membership(opened.metadata.clusterId);
  if (newest) {
    const state = newest.state as unknown as SnapshotState;
    membership = Membership.fromImage(state.membership);
    const snapshot: Snapshot = { meta: newest.meta, data: encodeSnapshotState(state) };
    storage.applySnapshot(snapshot);
  }
  storage.setHardState(opened.hardState);
  if (opened.entries.length > 0) storage.append(opened.entries);
  return {
    wal: opened.wal, snapshotFiles, storage, membership,
    memberId: opened.metadata.memberId as NodeId, clusterId: opened.metadata.clusterId,
    snapshotIndex: newest?.meta.index ?? 0, joining: newest === null,
  };
}
