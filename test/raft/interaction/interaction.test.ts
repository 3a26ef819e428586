// Scripted interaction cases with checked-in expected output (testdata/*.txt). Each command's
// output — every message exchanged, node states, logs — must match the file exactly; run with
// RAFT_UPDATE=1 to rewrite the files and review the change as a diff.

import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InteractionRunner, formatScript, parseScript } from './interactionScript.js';

const dataDir = join(import.meta.dirname, 'testdata');
const update = process.env['RAFT_UPDATE'] === '1';

const titles: Record<string, string> = {
  'election.txt': 'an election sends one vote request per peer and the winner appends an empty entry (§5.2, §5.4.2)',
  'conflict.txt': "a new leader replaces a follower's divergent uncommitted tail with its own entries (§5.3)",
  'prevote.txt': 'a partitioned node with pre-vote never raises its term and rejoins quietly (thesis §9.6)',
  'readindex.txt': 'reads pending together are confirmed by one heartbeat round (thesis §6.4)',
};

describe('scripted interactions', () => {
  for (const file of readdirSync(dataDir).filter((f) => f.endsWith('.txt')).sort()) {
    it(titles[file] ?? `the interactions in ${file} match the checked-in output`, () => {
      const path = join(dataDir, file);
      const cases = parseScript(readFileSync(path, 'utf8'));
      const runner = new InteractionRunner();
      const results = cases.map((c) => ({ ...c, output: runner.run(c.command) }));
      if (update) {
        writeFileSync(path, formatScript(results));
        return;
      }
      for (const result of results) expect(`${result.command}\n${result.output}`).toBe(`${result.command}\n${result.expected}`);
    });
  }
});
