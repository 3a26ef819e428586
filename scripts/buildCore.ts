// `npm run build`: compiles core/ to JavaScript in dist/core (tsc, incremental, so a second run
// with nothing changed takes a second or two) and copies the etcd .proto files it reads at run
// time. Members of local clusters, tests and benchmarks run this compiled `rafter` instead of
// transpiling TypeScript at every start; `npm install` runs it (prepare). The renderer and the
// desktop bundle are built elsewhere (build:renderer, build:electron).
import { spawn } from 'node:child_process';
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Where the compiled `rafter` command is. */
export const compiledCliPath = path.join(root, 'dist', 'core', 'cli', 'main.js');

/** Compiles core/ into dist/core; rejects with tsc's exit code when it reports errors. */
export async function buildCore(): Promise<void> {
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`tsc -p tsconfig.build.json exited with ${code}`))));
  });
  const from = path.join(root, 'core', 'api', 'proto');
  const to = path.join(root, 'dist', 'core', 'api', 'proto');
  await mkdir(to, { recursive: true });
  for (const file of await readdir(from)) {
    if (file.endsWith('.proto')) await copyFile(path.join(from, file), path.join(to, file));
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildCore().catch((error: unknown) => {
    console.error(`build: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
