// Compaction in bounded steps (core/mvcc/compaction.ts) against the store's one-transaction
// compaction (MvccStore.compact): reads at or above the compact revision agree while the steps run
// and writes land between them, the result hashes equal, a SIGKILL mid-way is finished by the
// next open, and the event loop runs between steps.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { compactionStepRecordsMax } from '../../core/mvcc/compaction.js';
import type { MvccStore } from '../../core/mvcc/mvccStore.js';
import { Random } from '../../core/raft/random.js';
import { writeHistory } from './compactionWorkload.js';
import { cleanup, openStore, tempDir } from './tempStore.js';

afterEach(cleanup);

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const seed = 1414;
const revisions = 12_000;
/** The first revision is 1 (a new store), so the history ends at revision `revisions + 1` at most. */
const target = 10_000;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Every key and value at `revision`, as text. */
function contentsAt(store: MvccStore, revision: number): string[] {
  const { kvs } = store.range({ key: Buffer.from([0]), rangeEnd: Buffer.from([0]), revision });
  return kvs.map((kv) => `${Buffer.from(kv.key).toString()}=${Buffer.from(kv.value).toString()}@${kv.modRevision}/${kv.createRevision}/${kv.version}`);
}

/** Applies a Compact as a member does: recorded in a batch, removed by background steps. */
function scheduleCompact(store: MvccStore, revision: number): void {
  store.applyBatch(null, (batch) => batch.compact({ revision }));
}

/** Runs the crash child until it reports, then kills it with SIGKILL; resolves with its report. */
function runChildUntilKilled(dir: string, steps: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const args = ['--import', 'tsx', path.join(here, 'compactionCrashChild.ts'), dir, String(seed), String(revisions), String(target), String(steps)];
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) child.kill('SIGKILL');
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (_code, signal) => (signal === 'SIGKILL' ? resolve(out.trim()) : reject(new Error(`the child ended by itself: ${err}`))));
  });
}

describe('compaction in bounded steps', () => {
  it('reads at or above the compact revision as the one-transaction compaction does while writes land between steps', async () => {
    const chunked = openStore();
    const whole = openStore();
    writeHistory(chunked, seed, revisions);
    writeHistory(whole, seed, revisions);
    scheduleCompact(chunked, target);
    whole.compact({ revision: target });
    expect(chunked.compactRevision).toBe(target);
    expect(chunked.compactionPending).toBe(true);
    const random = new Random(seed + 1);
    let turns = 0;
    while (chunked.compactionPending) {
      await nextTurn();
      turns += 1;
      const key = Buffer.from(`k/${String(random.nextInt(500)).padStart(4, '0')}`);
      chunked.put({ key, value: Buffer.from(`during${turns}`) });
      whole.put({ key, value: Buffer.from(`during${turns}`) });
      const revision = target + random.nextInt(chunked.revision - target + 1);
      expect(contentsAt(chunked, revision)).toEqual(contentsAt(whole, revision));
      expect(contentsAt(chunked, target)).toEqual(contentsAt(whole, target));
    }
    expect(turns).toBeGreaterThan(1);
    expect(chunked.hashKv(target)).toEqual(whole.hashKv(target));
    expect(chunked.hashKv()).toEqual(whole.hashKv());
    // The next Compact gives the freed bytes back to the quota: then the two agree on it too.
    scheduleCompact(chunked, chunked.revision);
    scheduleCompact(whole, whole.revision);
    await chunked.compactionDone();
    await whole.compactionDone();
    expect(chunked.sizes().usedBytes).toBe(whole.sizes().usedBytes);
    expect(chunked.hash()).toBe(whole.hash());
  });

  it('gives the event loop a turn between steps of a large compaction', async () => {
    const store = openStore();
    writeHistory(store, seed, revisions);
    const records = store.reader.revisionsBetween(0, target, revisions * 2, false).length;
    const steps = Math.ceil(records / compactionStepRecordsMax);
    expect(steps).toBeGreaterThan(5);
    let callbacksWhilePending = 0;
    let counting = true;
    const count = (): void => {
      if (!counting) return;
      if (store.compactionPending) callbacksWhilePending += 1;
      setImmediate(count);
    };
    scheduleCompact(store, target);
    setImmediate(count);
    await store.compactionDone();
    counting = false;
    expect(callbacksWhilePending).toBeGreaterThanOrEqual(steps);
  });

  it('is finished by the next open after a SIGKILL mid-way, hashing as a store that was never killed', async () => {
    const dir = tempDir();
    expect(await runChildUntilKilled(dir, 3)).toBe('pending');
    const reopened = openStore({ dir });
    expect(reopened.compactRevision).toBe(target);
    expect(reopened.compactionPending).toBe(true);
    const reference = openStore();
    writeHistory(reference, seed, revisions);
    reference.compact({ revision: target });
    // Reads are right before the resumed compaction ends, and after.
    expect(contentsAt(reopened, target)).toEqual(contentsAt(reference, target));
    await reopened.compactionDone();
    expect(reopened.compactionPending).toBe(false);
    expect(reopened.hashKv()).toEqual(reference.hashKv());
    expect(contentsAt(reopened, target + 1)).toEqual(contentsAt(reference, target + 1));
    scheduleCompact(reopened, reopened.revision);
    scheduleCompact(reference, reference.revision);
    expect(reopened.sizes().usedBytes).toBe(reference.sizes().usedBytes);
    expect(reopened.hash()).toBe(reference.hash());
  });
});
