// The desktop shell's main process: one instance, one window, the menu, the CSP and navigation
// rules, and the IPC handlers (grouped by feature) over the AdminService. Everything the console
// does is in core/admin; this file only wires Electron to it.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, safeStorage, session, shell } from 'electron';
import type { IpcMainInvokeEvent } from 'electron';
import { AdminService } from '../core/admin/adminService.js';
import { appDataOptions } from '../core/admin/appData.js';
import { registerAppScheme, serveAppScheme } from './appProtocol.js';
import { filePicker } from './fileDialogs.js';
import { folderMenuItems } from './folderMenu.js';
import { registerCluster } from './ipc/cluster.js';
import { registerConnections } from './ipc/connections.js';
import { registerEvents } from './ipc/events.js';
import { ipcContext } from './ipc/ipcContext.js';
import { registerKeys } from './ipc/keys.js';
import { registerLeasesAndAuth } from './ipc/leasesAndAuth.js';
import { registerPreferences } from './ipc/preferences.js';
import { registerSnapshots } from './ipc/snapshots.js';
import { registerWatches } from './ipc/watches.js';
import { installMenu } from './menu.js';
import { keychainSecrets } from './secretStore.js';
import { appPageUrl, isAppPage, isExternalLink, windowOptions } from './windowOptions.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** Bundled layout: dist/electron/main.mjs and preload.cjs next to dist/renderer/, served as app://console/. */
const rendererDir = path.join(here, '..', 'renderer');
let mainWindow: BrowserWindow | null = null;

function isTrusted(event: IpcMainInvokeEvent): boolean {
  return event.senderFrame !== null && isAppPage(event.senderFrame.url);
}

function createWindow(): BrowserWindow {
  const window = new BrowserWindow(windowOptions(path.join(here, 'preload.cjs')));
  window.once('ready-to-show', () => window.show());
  window.on('closed', () => {
    mainWindow = null;
  });
  void window.loadURL(appPageUrl);
  return window;
}

function lockDownContents(): void {
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event, url) => {
      if (!isAppPage(url)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      if (isExternalLink(url)) void shell.openExternal(url);
      return { action: 'deny' };
    });
  });
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
}

async function start(): Promise<void> {
  await app.whenReady();
  // Everything the app remembers lives under userData; local clusters (data and definitions) in
  // userData/clusters. Members run the bundled `rafter` (dist/electron/rafter.mjs) with Electron's
  // own Node.
  // Saved passwords are encrypted with the operating system's keychain, where there is one.
  const secrets = keychainSecrets(safeStorage, process.platform);
  const service = new AdminService({
    ...appDataOptions(app.getPath('userData'), [process.execPath, path.join(here, 'rafter.mjs')], { ELECTRON_RUN_AS_NODE: '1' }, secrets.cipher),
    ...(secrets.passwordNotice === null ? {} : { passwordNotice: secrets.passwordNotice }),
  });
  try {
    await service.open();
  } catch (error) {
    // Another console (a web console, or another user session) holds the data folder.
    dialog.showErrorBox('Rafter cannot start', error instanceof Error ? error.message : String(error));
    app.exit(1);
    return;
  }
  // First run: an embedded 3-member local cluster, started, saved and opened on.
  await service.createFirstRunCluster().catch((error: unknown) => console.error('Rafter could not create the default local cluster', error));
  serveAppScheme(rendererDir);
  lockDownContents();
  installMenu(process.platform === 'darwin', folderMenuItems(app.getPath('userData'), shell, (message) => dialog.showErrorBox('Rafter', message)));
  const context = ipcContext(ipcMain, service, isTrusted);
  registerConnections(context);
  registerCluster(context);
  registerKeys(context);
  registerWatches(context);
  registerSnapshots(context, filePicker(() => mainWindow));
  registerLeasesAndAuth(context);
  registerPreferences(context);
  registerEvents(ipcMain, service, isTrusted);
  mainWindow = createWindow();
  app.on('activate', () => {
    mainWindow ??= createWindow();
  });
  // Members are stopped gracefully (their data stays for the next start) before the app exits.
  let quitting = false;
  app.on('before-quit', (event) => {
    if (quitting) return;
    quitting = true;
    event.preventDefault();
    void service.close().finally(() => app.quit());
  });
  process.once('exit', () => service.killLocalMembersNow());
}

registerAppScheme();
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  start().catch((error: unknown) => {
    console.error('Rafter failed to start', error);
    // A damaged saved file (it is named in the message) must not fail silently.
    dialog.showErrorBox('Rafter cannot start', error instanceof Error ? error.message : String(error));
    app.exit(1);
  });
}
