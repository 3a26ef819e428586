// SIGKILL at seeded-random points while a child appends to the WAL and applies to the store:
// after each kill every acknowledged entry is in the WAL, the store never claims more than the
// WAL holds, and after the member's recovery (re-apply what the store lacks) every entry has been
// applied exactly once (the counter equals the last index, and each entry's key exists).
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Wal } from '../../core/wal/index.js';
import { MvccStore } from '../../core/mvcc/mvccStore.js';
import { applyCounterEntry, counterValue } from './applyCrashWorkload.js';
import { Random } from '../../core/raft/random.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const killPoints = 20;
const seed = Number(process.env['RAFTER_APPLY_CRASH_SEED'] ?? 4242);
const dirs: string[] = [];

afterAll(async () => {
  for (const dir of dirs) await fs.rm(dir, { recursive: true, force: true });
});

function runUntilKilled(dir: string, concurrency: number, killAfter: number, commits: Commits): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'applyCrashChild.ts'), dir, String(concurrency), commits], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let acks = 0;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      out += text;
      acks += (text.match(/ack /g) ?? []).length;
      if (acks >= killAfter) child.kill('SIGKILL');
    });
    child.stderr.on('data', (text: Buffer) => (err += text.toString()));
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`the child exited on its own (${String(signal)}): ${err}`));
      const lines = out.split('\n');
      lines.pop();
      resolve(lines.filter((l) => l.startsWith('ack ')).map((l) => Number(l.slice(4))));
    });
  });
}

/** How the child's store commits: each batch, or in groups (as a member does). */
type Commits = 'each' | 'group';

describe('WAL and store under SIGKILL', () => {
  it.each(['each', 'group'] as const)(`keeps every acknowledged entry and applies each exactly once across ${killPoints} kills (seed ${seed}), store commits: %s`, async (commits) => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rafter-apply-crash-'));
    dirs.push(dir);
    const generator = new Random(seed);
    const random = (): number => generator.nextFloat();
    const acknowledged = new Set<number>();
    let lagging = 0;
    for (let kill = 0; kill < killPoints; kill++) {
      const killAfter = 1 + Math.floor(random() * 200);
      const concurrency = 1 + Math.floor(random() * 8);
      for (const index of await runUntilKilled(dir, concurrency, killAfter, commits)) acknowledged.add(index);
      const opened = await Wal.open(path.join(dir, 'wal'));
      const store = MvccStore.open({ dir: path.join(dir, 'db') });
      try {
        const last = opened.entries.length > 0 ? opened.entries[opened.entries.length - 1]!.index : 0;
        const inWal = new Set<number>(opened.entries.map((e) => e.index));
        for (const index of acknowledged) expect(inWal.has(index), `acknowledged entry ${index} after kill ${kill}`).toBe(true);
        expect(store.appliedIndex()).toBeLessThanOrEqual(last);
        expect(counterValue(store)).toBe(store.appliedIndex());
        if (store.appliedIndex() < Math.max(...acknowledged)) lagging += 1;
        for (const entry of opened.entries) if (entry.index > store.appliedIndex()) applyCounterEntry(store, entry);
        expect(counterValue(store)).toBe(last);
        expect(store.range({ key: Buffer.from('/entry/'), rangeEnd: Buffer.from('/entry0'), countOnly: true }).count).toBe(last);
      } finally {
        store.close();
        await opened.wal.close();
      }
    }
    expect(acknowledged.size).toBeGreaterThan(killPoints);
    // Under group commit the kills must have caught applied batches not yet committed.
    if (commits === 'group') expect(lagging).toBeGreaterThan(0);
  });
});
