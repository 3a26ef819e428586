// `npm run typecheck`: tsc over core, tests, benchmarks, electron/ and scripts, then vue-tsc over
// the renderer. Where the optional dependency electron is not installed (its binary could not be
// downloaded), electron/ and its tests cannot be checked without Electron's types: they are left
// out, and the run says so rather than failing an install that works.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { electronPackageInstalled } from './electronAvailability.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name: string): string => path.join(root, 'node_modules', '.bin', name);

function check(command: string, project: string): void {
  const result = spawnSync(command, ['-p', project, '--noEmit'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const withElectron = electronPackageInstalled(root);
if (!withElectron) console.log("typecheck: electron/ and test/electron/ skipped: the optional dependency 'electron' is not installed.");
check(bin('tsc'), withElectron ? 'tsconfig.json' : 'tsconfig.noElectron.json');
check(bin('vue-tsc'), 'renderer/tsconfig.json');
