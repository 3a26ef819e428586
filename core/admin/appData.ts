// Where the console keeps what it remembers: the app's data folder (the desktop app's userData,
// or $RAFTER_HOME / ~/.rafter for the web console) holding connections.json, preferences.json,
// clusters/ (the local clusters' data and their saved definitions) and logs/ (their members' logs). Never a temp directory: local
// clusters and their keys must survive a restart of the app.
import os from 'node:os';
import path from 'node:path';
import type { AdminServiceOptions } from './adminService.js';
import type { MemberCommand } from './localMember.js';
import type { SecretCipher } from './secretFile.js';

/** Where the logs of local cluster members go, inside the data folder. */
export function logsDir(dataDir: string): string {
  return path.join(dataDir, 'logs');
}

/** The web console's data folder: $RAFTER_HOME when set, otherwise ~/.rafter. */
export function webDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const home = env.RAFTER_HOME;
  return home !== undefined && home !== '' ? path.resolve(home) : path.join(os.homedir(), '.rafter');
}

/**
 * AdminService options that keep everything under `dataDir`. With a null `memberCommand` local
 * clusters are unavailable (a build without the member process); with a null `secretCipher`
 * passwords are never saved (the web console).
 */
export function appDataOptions(
  dataDir: string,
  memberCommand: MemberCommand | null,
  memberEnv: Readonly<Record<string, string>> = {},
  secretCipher: SecretCipher | null = null,
): AdminServiceOptions {
  return {
    connectionsFile: path.join(dataDir, 'connections.json'),
    preferencesFile: path.join(dataDir, 'preferences.json'),
    localClusters: memberCommand ? { baseDir: path.join(dataDir, 'clusters'), memberCommand, memberEnv, logsDir: logsDir(dataDir) } : null,
    lockFolder: dataDir,
    secrets: secretCipher ? { file: path.join(dataDir, 'secrets.json'), cipher: secretCipher } : null,
  };
}
