// `npm start`: runs the desktop app when Electron's binary is installed; otherwise (or with
// `--web`) builds the renderer if needed, starts the web host on 127.0.0.1 and prints the URL with
// its access token. Options: --web, --port <n>, --rebuild.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AdminService } from '../core/admin/adminService.js';
import { startWebHost } from '../core/admin/webHost.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const rendererDir = path.join(root, 'dist', 'renderer');
const args = process.argv.slice(2);

function option(name: string): string | undefined {
  const index = args.indexOf(name);
  return index === -1 ? undefined : args[index + 1];
}

/** The Electron binary's path, or null when only the npm package (types) is installed. */
function electronBinary(): string | null {
  const pathFile = path.join(root, 'node_modules', 'electron', 'path.txt');
  if (!existsSync(pathFile)) return null;
  const binary = path.join(root, 'node_modules', 'electron', 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : null;
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

async function startWeb(): Promise<void> {
  await buildRenderer(args.includes('--rebuild'));
  const service = new AdminService();
  await service.open();
  const portText = option('--port');
  const host = await startWebHost({ service, staticDir: rendererDir, port: portText === undefined ? 0 : Number(portText) });
  console.log(`Rafter console: ${host.url}`);
  console.log('The token in this URL is the only key to the console; do not share it. Ctrl+C stops the host.');
  const stop = (): void => {
    service.close();
    void host.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

const binary = args.includes('--web') ? null : electronBinary();
if (binary === null && !args.includes('--web')) console.log('Electron is not installed here; serving the web console instead.');
await (binary === null ? startWeb() : startDesktop(binary));
