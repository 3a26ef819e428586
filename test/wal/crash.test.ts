// Crash test: a child process appends with group commit and prints each acknowledged index; the
// parent SIGKILLs it at a seeded-random point, reopens the WAL and checks that every acknowledged
// entry is present, intact and in order. One data directory carries on across all the kills.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Wal, type WalEvent } from '../../core/wal/index.js';
import { isIntact } from './crashWorkload.js';
import { cleanUpTempDirs, tempDir } from './walFixtures.js';
import { Random } from '../../core/raft/random.js';

cleanUpTempDirs();

const here = path.dirname(fileURLToPath(import.meta.url));
const repositoryRoot = path.resolve(here, '../..');
const killPoints = 55;
const seed = Number(process.env['RAFTER_CRASH_SEED'] ?? 20261124);

let child: ChildProcess | null = null;
afterEach(() => {
  child?.kill('SIGKILL');
  child = null;
});

interface RunResult {
  readonly term: number;
  readonly acknowledged: number[];
  readonly stderr: string;
  readonly signal: NodeJS.Signals | null;
}

/** Runs the appender until it has printed `killAfter` acknowledgements, then SIGKILLs it. */
function runUntilKilled(dir: string, concurrency: number, killAfter: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'crashAppender.ts'), dir, String(concurrency)], {
      cwd: repositoryRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    let out = '';
    let err = '';
    let acks = 0;
    proc.stdout.setEncoding('utf8');
    proc.stderr.setEncoding('utf8');
    proc.stdout.on('data', (text: string) => {
      out += text;
      if (!out.startsWith('term ')) return;
      for (const ch of text) if (ch === '\n') acks++;
      if (acks - 1 >= killAfter) proc.kill('SIGKILL');
    });
    proc.stderr.on('data', (text: string) => (err += text));
    proc.on('error', reject);
    proc.on('close', (_code, signal) => {
      child = null;
      const lines = out.split('\n');
      lines.pop(); // an unterminated last line was never a complete acknowledgement
      const [header, ...rest] = lines;
      resolve({
        term: Number(header?.slice('term '.length) ?? Number.NaN),
        acknowledged: rest.map(Number),
        stderr: err,
        signal,
      });
    });
  });
}

describe('WAL under SIGKILL', () => {
  it(`keeps every acknowledged entry intact and in order across ${killPoints} kills (seed ${seed})`, async () => {
    const generator = new Random(seed);
    const random = (): number => generator.nextFloat();
    const dir = path.join(tempDir('rafter-wal-crash-'), 'wal');
    const ackedTerm = new Map<number, number>();
    const events: WalEvent[] = [];
    let highestAcked = 0;
    for (let run = 0; run < killPoints; run++) {
      const concurrency = 1 + Math.floor(random() * 48);
      const killAfter = random() < 0.15 ? 0 : Math.floor(random() * 400);
      const result = await runUntilKilled(dir, concurrency, killAfter);
      const context = `seed ${seed}, run ${run}, concurrency ${concurrency}, kill after ${killAfter} acks; replay with RAFTER_CRASH_SEED=${seed}`;
      expect(result.signal, `${context}: child ended by itself: ${result.stderr}`).toBe('SIGKILL');
      for (const i of result.acknowledged) {
        ackedTerm.set(i, result.term);
        highestAcked = Math.max(highestAcked, i);
      }
      const opened = await Wal.open(dir, { logger: (e) => events.push(e) });
      const { entries } = opened;
      expect(opened.wal.lastIndex, context).toBeGreaterThanOrEqual(highestAcked);
      expect(entries.length, context).toBe(opened.wal.lastIndex);
      entries.forEach((entry, k) => {
        if (entry.index !== k + 1 || !isIntact(entry)) {
          expect.fail(`${context}: entry at position ${k} is index ${entry.index} term ${entry.term}, damaged or out of order`);
        }
        const acked = ackedTerm.get(entry.index);
        if (acked !== undefined && acked !== entry.term) {
          expect.fail(`${context}: acknowledged entry ${entry.index} of term ${acked} changed to term ${entry.term}`);
        }
      });
      await opened.wal.close();
    }
    expect(ackedTerm.size).toBeGreaterThan(killPoints);
  }, 180_000);
});
