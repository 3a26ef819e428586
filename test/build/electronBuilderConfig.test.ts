// The packaging configuration `npm run dist` uses: the Electron version it packages is the one
// package.json pins, every platform has its targets, and the electron npm package (an optional
// dependency, so a production one to electron-builder) stays out of the app.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface BuilderConfig {
  electronVersion: string;
  files: string[];
  npmRebuild: boolean;
  linux: { target: string[] };
  mac: { target: string[] };
  win: { target: string[] };
}

async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await readFile(path.join(root, file), 'utf8')) as T;
}

describe('electron-builder configuration', () => {
  it('packages the Electron version package.json pins', async () => {
    const config = await readJson<BuilderConfig>('build/electron-builder.json');
    const packageJson = await readJson<{ optionalDependencies: Record<string, string> }>('package.json');
    expect(config.electronVersion).toBe(packageJson.optionalDependencies['electron']);
  });

  it('builds an AppImage and a .deb for Linux, a dmg for macOS and an NSIS installer for Windows', async () => {
    const config = await readJson<BuilderConfig>('build/electron-builder.json');
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.mac.target).toEqual(['dmg']);
    expect(config.win.target).toEqual(['nsis']);
    // Native modules (lmdb) ship their prebuilt binaries; rebuilding them would need a compiler and the network.
    expect(config.npmRebuild).toBe(false);
  });

  it('leaves the electron package and its downloader out of the app', async () => {
    const config = await readJson<BuilderConfig>('build/electron-builder.json');
    expect(config.files).toContain('!**/node_modules/electron{,/**}');
    expect(config.files).toContain('!**/node_modules/@electron/get{,/**}');
  });
});
