// CI check of the README's first command on a machine that cannot download Electron's binary:
// a fresh copy of HEAD (git archive) is installed with `npm ci --prefer-offline` while Electron's
// download is pointed at a loopback server that refuses it (ELECTRON_SKIP_BINARY_DOWNLOAD unset),
// then `npm start` must say why the desktop app is unavailable and serve the web console, checked
// with an HTTP GET of the URL it prints. Every step is bounded; the copy is removed afterwards.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Bounds of each step; the whole check takes about a minute from a warm npm cache. */
const installTimeoutMs = 300_000;
const startTimeoutMs = 180_000;
const stopTimeoutMs = 30_000;
/** What `npm start` printed, kept for the failure message. */
const outputCharsMax = 20_000;

function fail(message: string): never {
  console.error(`fresh install check: FAILED: ${message}`);
  process.exit(1);
}

/** A loopback server standing in for Electron's download site: it refuses every request and counts them. */
async function refusingMirror(): Promise<{ url: string; requests: string[]; close: () => Promise<void> }> {
  const requests: string[] = [];
  const server = http.createServer((request, response) => {
    requests.push(request.url ?? '');
    response.writeHead(403).end('downloads are blocked in this check');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: 'inherit', timeout: timeoutMs });
    child.on('error', reject);
    child.on('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code ?? signal}`))));
  });
}

/** Waits for `npm start` to print the console's URL; rejects if it exits or takes too long. */
function consoleUrl(child: ChildProcess, output: { text: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no console URL within ${startTimeoutMs} ms`)), startTimeoutMs);
    const onData = (chunk: Buffer): void => {
      output.text = (output.text + chunk.toString('utf8')).slice(-outputCharsMax);
      const match = /Rafter console: (http:\/\/\S+)/.exec(output.text);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited with ${code} before serving the console`));
    });
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // npm start runs tsx, which runs the script: signal the whole process group.
  process.kill(-child.pid!, 'SIGINT');
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), stopTimeoutMs);
  await exited;
  clearTimeout(timer);
}

async function main(): Promise<void> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'rafter-fresh-'));
  const copy = path.join(scratch, 'rafter');
  const mirror = await refusingMirror();
  let child: ChildProcess | undefined;
  try {
    await mkdir(copy);
    execFileSync('sh', ['-c', `git -C "${root}" archive --format=tar HEAD | tar -x -C "${copy}"`], { stdio: 'inherit' });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ELECTRON_MIRROR: mirror.url,
      electron_config_cache: path.join(scratch, 'electron-cache'),
      RAFTER_HOME: path.join(scratch, 'home'),
    };
    delete env['ELECTRON_SKIP_BINARY_DOWNLOAD'];
    delete env['npm_config_electron_skip_binary_download'];
    await run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], copy, env, installTimeoutMs);
    if (mirror.requests.length === 0) fail("npm ci never tried to download Electron's binary, so the check proved nothing");
    console.log(`fresh install check: npm ci succeeded; Electron's download was refused (${mirror.requests[0]})`);
    if (existsSync(path.join(copy, 'node_modules', 'electron', 'path.txt'))) fail('electron has a binary although its download was refused');

    child = spawn('npm', ['start'], { cwd: copy, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const output = { text: '' };
    const url = await consoleUrl(child, output).catch((error: unknown) => fail(`${String(error)}\n${output.text}`));
    if (!output.text.includes('The desktop app is not available:')) fail(`npm start did not say why the desktop app is unavailable:\n${output.text}`);
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    const page = await response.text();
    if (response.status !== 200 || !page.includes('<div id="app">')) fail(`GET ${url} answered ${response.status}:\n${page.slice(0, 500)}`);
    console.log(`fresh install check: npm start serves the web console (GET ${url.replace(/[0-9a-f]{64}/, '<token>')} → 200)`);
  } finally {
    if (child) await stop(child);
    await mirror.close();
    await rm(scratch, { recursive: true, force: true });
  }
}

await main();
