// Snapshot files: Raft snapshot metadata (index, term, membership) plus a small opaque reference
// to the store's state, each in its own checksummed file written atomically. Owns saving, loading
// the newest intact one (setting damaged ones aside), and purging old files. The state itself (the
// LMDB database) and when to snapshot belong to core/mvcc and core/server.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ConfState, SnapshotMeta } from '../raft/types.js';
import { index as toIndex, nodeId, term as toTerm } from '../raft/types.js';
import { assert } from '../raft/assert.js';
import { crc32c } from '../wal/crc32c.js';
import { syncDirectory, tempSuffix, writeFileAtomically, type FsyncObserver, type SyncPolicy } from '../wal/segmentFiles.js';
import type { WalSnapshotMarker } from '../wal/walRecord.js';

/** Snapshot files kept by default; older ones are purged after each save. */
export const snapshotsKeptDefault = 5;
/** The largest snapshot file accepted, so a damaged length cannot make a load allocate wildly. */
export const snapshotFileBytesMax = 16 * 1024 * 1024;

/** A JSON value: what the store puts in a snapshot's state reference. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A loaded snapshot file. */
export interface SnapshotFile {
  readonly meta: SnapshotMeta;
  /** The store's opaque reference (e.g. applied index, database file name and checksum). */
  readonly state: JsonValue;
  readonly file: string;
}

export type SnapshotEvent =
  | { readonly kind: 'damagedSnapshotSetAside'; readonly file: string; readonly movedTo: string; readonly reason: string }
  | { readonly kind: 'snapshotPurged'; readonly file: string }
  | { readonly kind: 'tempFileRemoved'; readonly file: string };

export interface SnapshotFilesOptions {
  /** How many snapshot files to keep (at least 1). */
  readonly keep?: number;
  /** UNSAFE, tests only: skip every fsync. */
  readonly unsafeNoFsync?: boolean;
  readonly onFsync?: FsyncObserver;
  readonly logger?: (event: SnapshotEvent) => void;
}

const magic = 0x4e534652; // "RFSN"
const formatVersion = 1;
const headerBytes = 20;
const namePattern = /^([0-9a-f]{16})-([0-9a-f]{16})\.snap$/;
const brokenSuffix = '.broken';

interface Listed {
  readonly name: string;
  readonly index: number;
  readonly term: number;
}

/** The snapshot files of one member, in one directory. */
export class SnapshotFiles {
  private constructor(
    readonly dir: string,
    private readonly keep: number,
    private readonly policy: SyncPolicy,
    private readonly logger: ((event: SnapshotEvent) => void) | undefined,
  ) {}

  /** Opens (creating if needed) the snapshot directory and removes leftovers of interrupted saves. */
  static async open(dir: string, options: SnapshotFilesOptions = {}): Promise<SnapshotFiles> {
    const keep = options.keep ?? snapshotsKeptDefault;
    assert(Number.isSafeInteger(keep) && keep >= 1, `keep ${keep}`);
    await fs.mkdir(dir, { recursive: true });
    const policy: SyncPolicy = { unsafeNoFsync: options.unsafeNoFsync ?? false, onFsync: options.onFsync };
    const files = new SnapshotFiles(dir, keep, policy, options.logger);
    for (const name of await fs.readdir(dir)) {
      if (!name.endsWith(`.snap${tempSuffix}`)) continue;
      await fs.rm(path.join(dir, name), { force: true });
      files.logger?.({ kind: 'tempFileRemoved', file: path.join(dir, name) });
    }
    return files;
  }

  /**
   * Writes a snapshot file atomically (temporary file, fsync, rename, fsync of the directory) and
   * then purges all but the newest `keep` files. Resolves with the file's path once it is durable.
   */
  async save(meta: SnapshotMeta, state: JsonValue): Promise<string> {
    const payload = new TextEncoder().encode(
      JSON.stringify({ index: meta.index, term: meta.term, conf: meta.conf, state }),
    );
    assert(payload.length + headerBytes <= snapshotFileBytesMax, `snapshot file of ${payload.length} bytes over the limit`);
    const header = new Uint8Array(headerBytes);
    const view = new DataView(header.buffer);
    view.setUint32(0, magic, true);
    view.setUint32(4, formatVersion, true);
    view.setUint32(8, payload.length, true);
    view.setUint32(12, crc32c(payload), true);
    view.setUint32(16, crc32c(header, 0, 16), true);
    const file = path.join(this.dir, snapshotName(meta.index, meta.term));
    await writeFileAtomically(file, [header, payload], this.policy);
    await this.purge();
    return file;
  }

  /**
   * Loads the newest intact snapshot (by index, then term), or null when there is none. With
   * `matching`, only snapshots whose (index, term) is among those markers count (the WAL's markers:
   * a snapshot the WAL does not know of cannot be replayed from). A damaged file is renamed to
   * `<name>.broken`, reported to the logger, and the next older one tried.
   */
  async loadNewest(options: { readonly matching?: readonly WalSnapshotMarker[] } = {}): Promise<SnapshotFile | null> {
    const { matching } = options;
    for (const listed of (await this.list()).reverse()) {
      if (matching !== undefined && !matching.some((m) => m.index === listed.index && m.term === listed.term)) continue;
      const file = path.join(this.dir, listed.name);
      const loaded = await readSnapshotFile(file, listed);
      if (typeof loaded !== 'string') return loaded;
      const movedTo = file + brokenSuffix;
      await fs.rename(file, movedTo);
      await syncDirectory(this.dir, this.policy);
      this.logger?.({ kind: 'damagedSnapshotSetAside', file, movedTo, reason: loaded });
    }
    return null;
  }

  /** The snapshot files present, oldest first (by index, then term). */
  async list(): Promise<Array<{ readonly name: string; readonly index: number; readonly term: number }>> {
    const listed: Listed[] = [];
    for (const name of await fs.readdir(this.dir)) {
      const match = namePattern.exec(name);
      if (match === null) continue;
      listed.push({ name, term: Number.parseInt(match[1]!, 16), index: Number.parseInt(match[2]!, 16) });
    }
    return listed.sort((a, b) => a.index - b.index || a.term - b.term);
  }

  /** Deletes all but the newest `keep` snapshot files. */
  async purge(): Promise<void> {
    const listed = await this.list();
    const doomed = listed.slice(0, Math.max(0, listed.length - this.keep));
    for (const { name } of doomed) {
      await fs.rm(path.join(this.dir, name), { force: true });
      this.logger?.({ kind: 'snapshotPurged', file: path.join(this.dir, name) });
    }
    if (doomed.length > 0) await syncDirectory(this.dir, this.policy);
  }
}

/** The file name of the snapshot at (index, term); sorts by term, as etcd's names do. */
export function snapshotName(index: number, term: number): string {
  return `${term.toString(16).padStart(16, '0')}-${index.toString(16).padStart(16, '0')}.snap`;
}

/** Reads and verifies one snapshot file; returns the reason when it is damaged. */
async function readSnapshotFile(file: string, listed: Listed): Promise<SnapshotFile | string> {
  const stat = await fs.stat(file);
  if (stat.size > snapshotFileBytesMax) return `file of ${stat.size} bytes over the limit of ${snapshotFileBytesMax}`;
  const bytes = await fs.readFile(file);
  if (bytes.length < headerBytes) return `file of ${bytes.length} bytes is shorter than its header`;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  if (view.getUint32(16, true) !== crc32c(bytes, 0, 16)) return 'header checksum mismatch';
  if (view.getUint32(0, true) !== magic) return 'wrong magic number';
  if (view.getUint32(4, true) !== formatVersion) return `unsupported format version ${view.getUint32(4, true)}`;
  const length = view.getUint32(8, true);
  if (headerBytes + length !== bytes.length) return `length ${length} disagrees with the file size ${bytes.length}`;
  if (view.getUint32(12, true) !== crc32c(bytes, headerBytes)) return 'payload checksum mismatch';
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(headerBytes)));
  } catch (error) {
    return `payload is not JSON: ${String(error)}`;
  }
  const meta = parseMeta(parsed);
  if (meta === null) return 'payload lacks valid snapshot metadata';
  if (meta.index !== listed.index || meta.term !== listed.term) return 'file name disagrees with the metadata inside';
  const state = (parsed as { state?: JsonValue }).state ?? null;
  return { meta, state, file };
}

function parseMeta(value: unknown): SnapshotMeta | null {
  if (typeof value !== 'object' || value === null) return null;
  const { index, term, conf } = value as { index?: unknown; term?: unknown; conf?: unknown };
  if (!isCount(index) || !isCount(term) || typeof conf !== 'object' || conf === null) return null;
  const { voters, learners } = conf as { voters?: unknown; learners?: unknown };
  if (!isStringArray(voters) || !isStringArray(learners)) return null;
  const parsedConf: ConfState = { voters: voters.map(nodeId), learners: learners.map(nodeId) };
  return { index: toIndex(index), term: toTerm(term), conf: parsedConf };
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}
