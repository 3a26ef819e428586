// Decides whether `npm start` can open the desktop app here, and if not, says why in one sentence
// the user can act on. Electron is an optional dependency: where its binary cannot be downloaded
// during `npm install`, npm drops the package and the install still succeeds, so every way it can
// be missing is expected. Pure over the file system and the environment it is given; starting
// Electron or the web console is left to scripts/start.ts.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export type ElectronAvailability =
  | { readonly kind: 'available'; readonly binary: string }
  | { readonly kind: 'unavailable'; readonly reason: string };

/** What the decision reads from the host; tests pass their own. */
export interface ElectronHost {
  readonly root: string;
  readonly platform: NodeJS.Platform;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Whether the electron package (its JavaScript and types, not necessarily its binary) is installed. */
export function electronPackageInstalled(root: string): boolean {
  return existsSync(path.join(root, 'node_modules', 'electron', 'package.json'));
}

/** The Electron binary to run, or why the desktop app cannot open here. */
export function electronAvailability(host: ElectronHost): ElectronAvailability {
  const packageDir = path.join(host.root, 'node_modules', 'electron');
  if (!electronPackageInstalled(host.root)) {
    return {
      kind: 'unavailable',
      reason:
        "the optional dependency 'electron' is not installed: npm drops it when its install step cannot download " +
        "Electron's binary (from GitHub, or $ELECTRON_MIRROR). Run `npm install` again where that download works " +
        'to get the desktop app.',
    };
  }
  const pathFile = path.join(packageDir, 'path.txt');
  const binary = existsSync(pathFile) ? path.join(packageDir, 'dist', readFileSync(pathFile, 'utf8').trim()) : null;
  if (binary === null || !existsSync(binary)) {
    return {
      kind: 'unavailable',
      reason:
        "Electron's binary was not downloaded (ELECTRON_SKIP_BINARY_DOWNLOAD was set, or npm did not run install " +
        'scripts). `node node_modules/electron/install.js` downloads it.',
    };
  }
  const hasDisplay = (host.env['DISPLAY'] ?? '') !== '' || (host.env['WAYLAND_DISPLAY'] ?? '') !== '';
  if (host.platform === 'linux' && !hasDisplay) {
    return { kind: 'unavailable', reason: 'there is no display to open a window on (neither DISPLAY nor WAYLAND_DISPLAY is set).' };
  }
  return { kind: 'available', binary };
}
