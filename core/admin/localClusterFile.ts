// The saved definitions of local clusters: one JSON file (`clusters.json`) in the directory that
// holds the clusters' data, naming each cluster, its token, its connection, its members (name,
// URLs, learner flag, id) and its grpc-proxy if it runs one. It is what lets the console restart
// the same members and proxy, on the same data and ports, after the app restarts. The members'
// data directories themselves are left to the members.
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { LocalClusterSecurity } from './api.js';
import { array, boolean, integer, literal, nullable, object, string } from './validate.js';
import type { Validator } from './validate.js';

/** File name of the definitions, inside the local clusters' base directory. */
export const localClusterFileName = 'clusters.json';
/** Version written into the file; a file of another version is refused, never guessed at. */
export const localClusterFileFormat = 'rafter-local-clusters/1';
/** Most clusters and members one file may hold (the supervisor's own limits are lower). */
const savedClustersMax = 64;
const savedMembersMax = 64;

/** One member as saved: enough to start its process again on the same data. */
export interface SavedLocalMember {
  name: string;
  clientUrl: string;
  peerUrl: string;
  initialCluster: string;
  initialState: 'new' | 'existing';
  isLearner: boolean;
  memberId: string | null;
  /** The user stopped it: it stays stopped when the app starts again (absent in older files: false). */
  stoppedByUser?: boolean;
}

/** The cluster's grpc-proxy as saved: its address and namespace (it forwards to the members of the day). */
export interface SavedLocalProxy {
  clientUrl: string;
  namespace: string;
  /** The connection through the proxy; null when none was made. */
  connectionId: string | null;
}

/** One cluster as saved. Invariant: its data lives in `<baseDir>/<id>/<member name>`. */
export interface SavedLocalCluster {
  id: string;
  name: string;
  token: string;
  connectionId: string;
  nextMemberNumber: number;
  members: SavedLocalMember[];
  /** Absent when the cluster runs no proxy (and in files written before proxies). */
  proxy?: SavedLocalProxy;
  /**
   * TLS and authentication as created (absent in older files: plaintext, no authentication). Its
   * TLS material lives in `<baseDir>/<id>/tls`; the root password only in the connections' secret store.
   */
  security?: LocalClusterSecurity;
}

const text = string({ minLength: 1, maxLength: 4096 });
const savedMember: Validator<SavedLocalMember> = object({
  name: text,
  clientUrl: text,
  peerUrl: text,
  initialCluster: string({ minLength: 1, maxLength: 64 * 1024 }),
  initialState: literal('new', 'existing'),
  isLearner: boolean,
  memberId: nullable(string({ minLength: 1, maxLength: 20, pattern: /^[0-9]+$/ })),
}, { stoppedByUser: boolean });
const savedProxy: Validator<SavedLocalProxy> = object({
  clientUrl: text,
  namespace: string({ maxLength: 4096 }),
  connectionId: nullable(string({ minLength: 1, maxLength: 64 })),
});
const savedCluster: Validator<SavedLocalCluster> = object({
  id: string({ minLength: 1, maxLength: 255, pattern: /^[A-Za-z0-9_-]+$/, patternText: 'a directory name' }),
  name: text,
  token: text,
  connectionId: string({ maxLength: 64 }),
  nextMemberNumber: integer(1, 1_000_000),
  members: array(savedMember, savedMembersMax),
}, { proxy: savedProxy, security: object({ tls: literal('off', 'auto', 'ca'), auth: boolean }) });
const savedFile = object({ format: literal(localClusterFileFormat), clusters: array(savedCluster, savedClustersMax) });

/** The path of the definitions file for clusters under `baseDir`. */
export function localClusterFile(baseDir: string): string {
  return path.join(baseDir, localClusterFileName);
}

/**
 * Reads the saved clusters under `baseDir`; null when nothing was ever saved there (first run).
 * Throws when the file exists but is not a definitions file this version can read.
 */
export async function readLocalClusters(baseDir: string): Promise<SavedLocalCluster[] | null> {
  const file = localClusterFile(baseDir);
  const content = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (content === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch {
    throw new Error(`${file} is not JSON; move it away to start without the saved local clusters.`);
  }
  return savedFile(parsed, file).clusters;
}

/** Replaces the saved clusters under `baseDir` (written beside, then renamed: never half a file). */
export async function writeLocalClusters(baseDir: string, clusters: readonly SavedLocalCluster[]): Promise<void> {
  const file = localClusterFile(baseDir);
  const temporary = `${file}.tmp`;
  await writeFile(temporary, JSON.stringify({ format: localClusterFileFormat, clusters }, null, 2), { mode: 0o600 });
  await rename(temporary, file);
}
