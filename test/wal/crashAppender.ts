// Child process of the crash test: opens (or creates) the WAL in argv[2], announces its term, then
// appends with group commit as fast as it can from argv[3] concurrent appenders, printing every
// index after its save resolved. The parent kills it with SIGKILL at a random point.
import fs from 'node:fs';
import { term } from '../../core/raft/types.js';
import { Wal } from '../../core/wal/index.js';
import { crashEntry, crashMetadata, crashSegmentBytes } from './crashWorkload.js';

async function main(): Promise<void> {
  const dir = process.argv[2]!;
  const concurrency = Number(process.argv[3]);
  const options = { segmentBytes: crashSegmentBytes };
  const exists = fs.existsSync(dir) && fs.readdirSync(dir).some((n) => n.endsWith('.wal'));
  const opened = exists ? await Wal.open(dir, options) : null;
  const wal = opened?.wal ?? (await Wal.create(dir, crashMetadata, options));
  const runTerm = (opened?.hardState.term ?? 0) + 1;
  await wal.save({ term: term(runTerm), vote: null, commit: wal.lastIndex }, []);
  process.stdout.write(`term ${runTerm}\n`);
  let next = wal.lastIndex + 1;
  const appender = async (seed: number): Promise<void> => {
    for (let round = 0; ; round++) {
      const count = 1 + ((seed + round) % 3);
      const first = next;
      next += count;
      const entries = Array.from({ length: count }, (_, k) => crashEntry(first + k, runTerm));
      await wal.save(null, entries);
      process.stdout.write(entries.map((e) => `${e.index}\n`).join(''));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, k) => appender(k)));
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
