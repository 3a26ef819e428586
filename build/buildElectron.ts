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

/** Builds main.mjs, rafter.mjs and preload.cjs into dist/electron. */
export async function buildElectron(): Promise<void> {
  await build({
    configFile: false,
    logLevel: 'warn',
    build: {
      outDir,
      emptyOutDir: true,
      ssr: true,
      target: 'node20',
      minify: false,
      rollupOptions: {
        input: path.join(root, 'electron', 'main.ts'),
        external: (id) => isExternal(id, ['electron', ...builtins, ...dependencies]),
        output: { format: 'es', entryFileNames: 'main.mjs' },
      },
    },
  });
  await build({
    configFile: false,
    logLevel: 'warn',
    build: {
      outDir,
      emptyOutDir: false,
      ssr: true,
      target: 'node20',
      minify: false,
      rollupOptions: {
        input: path.join(root, 'core', 'cli', 'main.ts'),
        external: (id) => isExternal(id, [...builtins, ...dependencies]),
        output: { format: 'es', entryFileNames: 'rafter.mjs' },
      },
    },
  });
  await build({
    configFile: false,
    logLevel: 'warn',
    build: {
      outDir,
      emptyOutDir: false,
      ssr: true,
      target: 'node20',
      minify: false,
      rollupOptions: {
        input: path.join(root, 'electron', 'preload.ts'),
        external: ['electron'],
        output: { format: 'cjs', entryFileNames: 'preload.cjs' },
      },
    },
  });
  const protoDirectory = path.join(root, 'core', 'api', 'proto');
  for (const file of await readdir(protoDirectory)) {
    if (file.endsWith('.proto')) await copyFile(path.join(protoDirectory, file), path.join(outDir, file));
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await buildElectron();
