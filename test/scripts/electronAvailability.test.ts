import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { electronAvailability } from '../../scripts/electronAvailability.js';

describe('whether npm start can open the desktop app', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'rafter-electron-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function installPackage(withBinary: boolean): Promise<string> {
    const packageDir = path.join(root, 'node_modules', 'electron');
    await mkdir(path.join(packageDir, 'dist'), { recursive: true });
    await writeFile(path.join(packageDir, 'package.json'), '{"name":"electron"}');
    if (!withBinary) return '';
    await writeFile(path.join(packageDir, 'path.txt'), 'electron');
    const binary = path.join(packageDir, 'dist', 'electron');
    await writeFile(binary, '');
    return binary;
  }

  it('says npm dropped the optional dependency when the package is missing', () => {
    const result = electronAvailability({ root, platform: 'linux', env: { DISPLAY: ':0' } });
    expect(result.kind).toBe('unavailable');
    expect(result.kind === 'unavailable' && result.reason).toMatch(/optional dependency 'electron' is not installed.*npm install/);
  });

  it('says the binary was not downloaded when only the package is there', async () => {
    await installPackage(false);
    const result = electronAvailability({ root, platform: 'linux', env: { DISPLAY: ':0' } });
    expect(result.kind === 'unavailable' && result.reason).toMatch(/binary was not downloaded.*install\.js/);
  });

  it('needs a display on Linux, X11 or Wayland', async () => {
    const binary = await installPackage(true);
    const headless = electronAvailability({ root, platform: 'linux', env: {} });
    expect(headless.kind === 'unavailable' && headless.reason).toMatch(/no display/);
    expect(electronAvailability({ root, platform: 'linux', env: { WAYLAND_DISPLAY: 'wayland-0' } })).toEqual({ kind: 'available', binary });
    expect(electronAvailability({ root, platform: 'darwin', env: {} })).toEqual({ kind: 'available', binary });
  });
});
