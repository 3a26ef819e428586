// `rafter snapshot status FILE` and `rafter snapshot restore FILE --data-dir … --name …
// --initial-cluster … [--initial-cluster-token …] [--initial-advertise-peer-urls …]`, as
// etcdutl offers them. A snapshot file is what Maintenance.Snapshot streams: the store's database
// followed by a SHA-256 of it.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FlagError, parseMemberConfig } from './flags.js';
import { MvccStore } from '../mvcc/mvccStore.js';
import { clusterIdFor, memberIdFor, Membership, normaliseUrls } from '../server/membership.js';
import { bootstrapNew, dataPaths, hasWal, DataDirError } from '../server/dataDir.js';

const hashBytes = 32;

/** Checks the trailing SHA-256 and returns the database bytes' length. */
export function verifySnapshotFile(file: string): number {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new FlagError(`cannot read snapshot file ${file}`);
  }
  if (stat.size <= hashBytes) throw new FlagError(`${file} is too small to be a snapshot`);
  const dbBytes = stat.size - hashBytes;
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(1024 * 1024);
    let offset = 0;
    while (offset < dbBytes) {
      const n = fs.readSync(fd, buffer, 0, Math.min(buffer.length, dbBytes - offset), offset);
      hash.update(buffer.subarray(0, n));
      offset += n;
    }
    const trailer = Buffer.alloc(hashBytes);
    fs.readSync(fd, trailer, 0, hashBytes, dbBytes);
    if (!hash.digest().equals(trailer)) throw new FlagError(`${file}: snapshot checksum mismatch (the file is damaged or not a Rafter snapshot)`);
  } finally {
    fs.closeSync(fd);
  }
  return dbBytes;
}

function copyDatabase(file: string, dbBytes: number, target: string): void {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.copyFileSync(file, target);
  fs.truncateSync(target, dbBytes);
}

export interface SnapshotStatus {
  readonly hash: number;
  readonly revision: number;
  readonly totalKeys: number;
  readonly totalSize: number;
}

export function snapshotStatus(file: string): SnapshotStatus {
  const dbBytes = verifySnapshotFile(file);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rafter-snapshot-'));
  try {
    const copy = path.join(dir, 'copy.db');
    copyDatabase(file, dbBytes, copy);
    MvccStore.installSnapshot(copy, path.join(dir, 'db'));
    const store = MvccStore.open({ dir: path.join(dir, 'db') });
    try {
      const count = store.range({ key: Buffer.from([0]), rangeEnd: Buffer.from([0]), countOnly: true }).count;
      return { hash: store.hash(), revision: store.revision, totalKeys: count, totalSize: dbBytes };
    } finally {
      store.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function restoreSnapshot(file: string, argv: readonly string[]): Promise<string> {
  const config = parseMemberConfig(argv, {});
  const paths = dataPaths(config.dataDir, config.walDir);
  if (hasWal(paths)) throw new DataDirError(`data directory ${config.dataDir} already holds a member; restore into a new one`);
  const dbBytes = verifySnapshotFile(file);
  const members = [...config.initialCluster].map(([name, urls]) => {
    const peerUrls = normaliseUrls(urls.map(String));
    return { id: memberIdFor(peerUrls, config.initialClusterToken), name, peerUrls, clientUrls: [], isLearner: false };
  });
  const self = members.find((m) => m.name === config.name)!;
  const membership = new Membership(clusterIdFor(members.map((m) => m.id)));
  for (const member of members) membership.add(member);
  const copy = path.join(paths.tmp, 'restore.db');
  copyDatabase(file, dbBytes, copy);
  MvccStore.installSnapshot(copy, paths.db);
  fs.rmSync(copy, { force: true });
  const store = MvccStore.open({ dir: paths.db });
  const applied = store.appliedIndex();
  store.close();
  const state = await bootstrapNew(paths, membership, self.id, { log: () => undefined }, Math.max(1, applied));
  await state.wal.close();
  return `restored snapshot into ${config.dataDir} as member ${self.id} of cluster ${membership.clusterId}`;
}

export async function snapshotCommand(argv: readonly string[]): Promise<number> {
  const [verb, file, ...rest] = argv;
  if (verb === 'status' && file !== undefined) {
    const status = snapshotStatus(file);
    const json = rest.includes('-w') && rest[rest.indexOf('-w') + 1] === 'json';
    if (json) process.stdout.write(`${JSON.stringify(status)}\n`);
    else process.stdout.write(`${status.hash.toString(16)}, ${status.revision}, ${status.totalKeys}, ${status.totalSize}\n`);
    return 0;
  }
  if (verb === 'restore' && file !== undefined) {
    process.stdout.write(`${await restoreSnapshot(file, rest)}\n`);
    return 0;
  }
  throw new FlagError('usage: rafter snapshot status FILE | rafter snapshot restore FILE --data-dir DIR --name NAME --initial-cluster ...');
}
