// Bundles the desktop shell: electron/main.ts as an ES module (Electron, Node built-ins and npm
// dependencies stay external; electron-builder ships node_modules) and electron/preload.ts as one
// self-contained CommonJS file, because a sandboxed preload can require nothing but `electron`.
// The etcd .proto files are read at run time from the bundle's directory, so they are copied too.
// core/cli/main.ts is bundled as rafter.mjs, the member command the desktop app runs (with
// ELECTRON_RUN_AS_NODE) for local clusters.
import { copyFile, readdir } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import packageJson from '../package.json' with { type: 'json' };

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'dist', 'electron');
const builtins = [...builtinModules, ...builtinModules.map((name) => `node:${name}`)];
const dependencies = Object.keys(packageJson.dependencies);

function isExternal(id: string, allowed: readonly string[]): boolean {
  return allowed.some((name) => id === name || id.startsWith(`${name}/`));
}

/** One Node-targeted bundle of `input` into dist/electron. */
async function bundle(input: string, fileName: string, format: 'es' | 'cjs', external: (id: string) => boolean, emptyOutDir: boolean): Promise<void> {
  await build({
    configFile: false,
    logLevel: 'warn',
    build: {
      outDir,
      emptyOutDir,
      ssr: true,
      target: 'node20',
      minify: false,
      rollupOptions: { input: path.join(root, input), external, output: { format, entryFileNames: fileName } },
    },
  });
}

/** Builds main.mjs, rafter.mjs and preload.cjs into dist/electron. */
export async function buildElectron(): Promise<void> {
  await bundle('electron/main.ts', 'main.mjs', 'es', (id) => isExternal(id, ['electron', ...builtins, ...dependencies]), true);
  await bundle('core/cli/main.ts', 'rafter.mjs', 'es', (id) => isExternal(id, [...builtins, ...dependencies]), false);
  await bundle('electron/preload.ts', 'preload.cjs', 'cjs', (id) => id === 'electron', false);
  const protoDirectory = path.join(root, 'core', 'api', 'proto');
  for (const file of await readdir(protoDirectory)) {
    if (file.endsWith('.proto')) await copyFile(path.join(protoDirectory, file), path.join(outDir, file));
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await buildElectron();
