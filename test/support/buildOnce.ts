// Vitest global setup: compiles core/ once per test run (scripts/buildCore.ts, incremental), so
// member processes started by tests run the compiled `rafter` of the code under test.
import { buildCore } from '../../scripts/buildCore.js';

export default async function setup(): Promise<void> {
  await buildCore();
}
