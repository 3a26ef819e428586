// Finds how to run `rafter` (the member process) from this installation: Node on the compiled
// command, dist/core/cli/main.js (`npm run build`; `npm install` builds it). Returns null where it
// is not there (not built, or the packaged desktop app, which passes its own bundled command), and
// local clusters then report that they are unavailable.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { MemberCommand } from './localMember.js';

/**
 * The compiled `rafter` of this checkout, or null when it has not been built. This module runs
 * either from source (core/admin, next to dist/) or compiled (dist/core/admin, next to cli/).
 */
export function compiledMemberCommand(): MemberCommand | null {
  const candidates = [new URL('../cli/main.js', import.meta.url), new URL('../../dist/core/cli/main.js', import.meta.url)];
  const found = candidates.map((url) => fileURLToPath(url)).find((file) => existsSync(file));
  return found === undefined ? null : [process.execPath, found];
}
