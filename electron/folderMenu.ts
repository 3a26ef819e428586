// The File menu's "Open Data Folder" and "Open Logs Folder": the app's data folder (local
// clusters, saved connections, preferences) and its logs/ folder (one log file per local cluster
// member), opened in the system's file manager. Host-agnostic: the opener is Electron's shell in
// the app and a recorder in tests, so this runs under plain Node.
import { mkdir } from 'node:fs/promises';
import type { MenuItemConstructorOptions } from 'electron';
import { logsDir } from '../core/admin/appData.js';

/** Electron's shell.openPath contract: resolves with '' on success, otherwise an error message. */
export interface FolderOpener {
  openPath(folder: string): Promise<string>;
}

/** Opens `folder` (created first if missing); reports a failure through `onError`. */
export async function openFolder(folder: string, opener: FolderOpener, onError: (message: string) => void): Promise<void> {
  try {
    await mkdir(folder, { recursive: true });
    const failure = await opener.openPath(folder);
    if (failure !== '') onError(`Rafter could not open ${folder}: ${failure}`);
  } catch (error) {
    onError(`Rafter could not open ${folder}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The two menu items, for the app's data folder `dataDir`. */
export function folderMenuItems(dataDir: string, opener: FolderOpener, onError: (message: string) => void): MenuItemConstructorOptions[] {
  return [
    { label: 'Open Data Folder', click: () => void openFolder(dataDir, opener, onError) },
    { label: 'Open Logs Folder', click: () => void openFolder(logsDir(dataDir), opener, onError) },
  ];
}
