// Finds how to run `rafter` (the member process) from this installation: in a source checkout,
// Node with the tsx loader on core/cli/main.ts. Returns null where the member sources are not
// shipped (the packaged desktop app), and local clusters then report that they are unavailable.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { MemberCommand } from './localMember.js';

/** The `rafter` command of a source checkout, or null when there is none next to this module. */
export function sourceMemberCommand(): MemberCommand | null {
  const cli = fileURLToPath(new URL('../cli/main.ts', import.meta.url));
  if (!existsSync(cli)) return null;
  let loader: string;
  try {
    loader = createRequire(import.meta.url).resolve('tsx');
  } catch {
    return null;
  }
  return [process.execPath, '--import', pathToFileURL(loader).toString(), cli];
}
