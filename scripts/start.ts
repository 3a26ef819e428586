// `npm start`: runs the desktop app when Electron's binary is installed and can open a window;
// otherwise (saying why; see electronAvailability.ts) or with `--web`, builds the renderer if
// needed, starts the web host on 127.0.0.1 and prints the URL with its access token. The web console keeps its data in $RAFTER_HOME (default ~/.rafter): saved
// connections, preferences and local clusters, which are started again on the next run; the first
// run creates and opens a default 3-member local cluster. Options: --web, --port <n>, --rebuild.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AdminService } from '../core/admin/adminService.js';
import { appDataOptions, webDataDir } from '../core/admin/appData.js';
import { FolderLockedError } from '../core/admin/folderLock.js';
import { compiledMemberCommand } from '../core/admin/memberCommand.js';
import { startWebHost } from '../core/admin/webHost.js';
import type { WebHost } from '../core/admin/webHost.js';
import { buildCore } from './buildCore.js';
import { electronAvailability } from './electronAvailability.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const rendererDir = path.join(root, 'dist', 'renderer');
const args = process.argv.slice(2);

function option(name: string): string | undefined {
  const index = args.indexOf(name);
  return index === -1 ? undefined : args[index + 1];
}

function run(command: string, commandArgs: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, commandArgs, { cwd: root, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${commandArgs.join(' ')} exited with ${code}`))));
  });
}

async function buildRenderer(force: boolean): Promise<void> {
  if (!force && existsSync(path.join(rendererDir, 'index.html'))) return;
  console.log('Building the console…');
  await run(process.execPath, [path.join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn']);
}

async function startDesktop(binary: string): Promise<void> {
  await buildRenderer(args.includes('--rebuild'));
  await run(process.execPath, [path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'build/buildElectron.ts']);
  await run(binary, [path.join(root, 'dist', 'electron', 'main.mjs')]);
}

interface SavedHostAddress {
  port: number;
  token: string;
}

/**
 * Starts the web host on the port and token it had last time (saved in web-host.json, mode 0600),
 * so an open page finds it again after a restart and its event socket reconnects; falls back to a
 * free port when that one is taken. `--port` overrides the saved port.
 */
async function startHostAtSavedAddress(service: AdminService, dataDir: string): Promise<WebHost> {
  const file = path.join(dataDir, 'web-host.json');
  const none: Partial<SavedHostAddress> = {};
  const saved = await readFile(file, 'utf8')
    .then((text) => JSON.parse(text) as Partial<SavedHostAddress>)
    .catch(() => none);
  const token = typeof saved.token === 'string' && /^[0-9a-f]{64}$/.test(saved.token) ? saved.token : undefined;
  const portText = option('--port');
  const port = portText === undefined ? (typeof saved.port === 'number' ? saved.port : 0) : Number(portText);
  const options = { service, staticDir: rendererDir, ...(token === undefined ? {} : { token }) };
  const host = await startWebHost({ ...options, port }).catch((error: unknown) => {
    if (portText !== undefined || port === 0) throw error;
    return startWebHost({ ...options, port: 0 });
  });
  const address: SavedHostAddress = { port: host.port, token: host.token };
  await writeFile(file, JSON.stringify(address), { mode: 0o600 });
  return host;
}

async function startWeb(): Promise<void> {
  // Local cluster members run the compiled `rafter`: bring it up to date with core/ first.
  await buildCore();
  const dataDir = webDataDir();
  const service = new AdminService(appDataOptions(dataDir, compiledMemberCommand()));
  process.once('exit', () => service.killLocalMembersNow());
  console.log(`Console data: ${dataDir}`);
  try {
    await service.open();
  } catch (error) {
    if (!(error instanceof FolderLockedError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
  // Built once the data folder is ours: a second console is told at once, without a build.
  await buildRenderer(args.includes('--rebuild'));
  const created = await service.createFirstRunCluster().catch((error: unknown) => {
    console.error(`The default local cluster could not be created: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  });
  if (created) console.log(`First run: started the local cluster "${created.name}" (${created.members.length} members).`);
  const host = await startHostAtSavedAddress(service, dataDir);
  console.log(`Rafter console: ${host.url}`);
  console.log('The token in this URL is the only key to the console; do not share it. Ctrl+C stops the host.');
  const stop = (): void => {
    console.log('Stopping local cluster members (their data is kept)…');
    void Promise.all([service.close(), host.close()]).finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (args.includes('--web')) {
  await startWeb();
} else {
  const electron = electronAvailability({ root, platform: process.platform, env: process.env });
  if (electron.kind === 'available') {
    await startDesktop(electron.binary);
  } else {
    console.log(`The desktop app is not available: ${electron.reason}`);
    console.log('Serving the web console instead.');
    await startWeb();
  }
}
