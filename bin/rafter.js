#!/usr/bin/env node
// The `rafter` command (package.json bin): runs the compiled member command in dist/core, which
// `npm install` builds (prepare) and `npm run build` rebuilds after a change to core/.
import { existsSync } from 'node:fs';

const main = new URL('../dist/core/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('rafter: not built yet: run `npm run build` in the Rafter checkout\n');
  process.exit(1);
}
await import(main.href);
