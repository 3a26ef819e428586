// WAL benchmark: the disk's raw fsync latency next to the WAL's single-append latency and its
// throughput under group commit with 1, 16 and 256 concurrent appenders (~256-byte records).
// Run with `npx tsx bench/wal.ts`. Measures only; tests never assert on speed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { index, term, type Entry } from '../core/raft/types.js';
import { crc32c, Wal } from '../core/wal/index.js';

const recordBytes = 256;
const latencySamples = 2000;
const throughputSeconds = 3;
const metadata = { clusterId: 'bench', memberId: '1' };

function percentile(sortedMs: number[], p: number): number {
  return sortedMs[Math.min(sortedMs.length - 1, Math.floor((p / 100) * sortedMs.length))]!;
}

function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

function latencyLine(name: string, samplesMs: number[]): string {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const p50 = percentile(sorted, 50).toFixed(3);
  const p99 = percentile(sorted, 99).toFixed(3);
  return `${name.padEnd(34)} p50 ${p50} ms   p99 ${p99} ms   (${samplesMs.length} samples)`;
}

function entry(i: number): Entry {
  // The entry record adds a 16-byte frame and a 17-byte prefix to the data.
  return { index: index(i), term: term(1), type: 'normal', data: new Uint8Array(recordBytes - 33).fill(i & 0xff) };
}

async function rawFsync(dir: string): Promise<number[]> {
  const handle = await fs.promises.open(path.join(dir, 'raw'), 'w');
  const record = new Uint8Array(recordBytes).fill(7);
  const samples: number[] = [];
  let position = 0;
  for (let i = 0; i < latencySamples; i++) {
    const start = nowMs();
    await handle.write(record, 0, record.length, position);
    await handle.datasync();
    samples.push(nowMs() - start);
    position += record.length;
  }
  await handle.close();
  return samples;
}

async function walSingleAppend(dir: string): Promise<number[]> {
  const wal = await Wal.create(path.join(dir, 'single'), metadata);
  const samples: number[] = [];
  for (let i = 1; i <= latencySamples; i++) {
    const start = nowMs();
    await wal.save(null, [entry(i)]);
    samples.push(nowMs() - start);
  }
  await wal.close();
  return samples;
}

async function walThroughput(dir: string, appenders: number): Promise<string> {
  let fsyncs = 0;
  const wal = await Wal.create(path.join(dir, `group-${appenders}`), metadata, {
    onFsync: (target) => {
      if (target === 'file') fsyncs++;
    },
  });
  const fsyncsBefore = fsyncs;
  let next = 1;
  let acknowledged = 0;
  const latencies: number[] = [];
  const deadline = nowMs() + throughputSeconds * 1000;
  const start = nowMs();
  const appender = async (): Promise<void> => {
    while (nowMs() < deadline) {
      const begun = nowMs();
      await wal.save(null, [entry(next++)]);
      latencies.push(nowMs() - begun);
      acknowledged++;
    }
  };
  await Promise.all(Array.from({ length: appenders }, appender));
  const seconds = (nowMs() - start) / 1000;
  await wal.close();
  const syncs = fsyncs - fsyncsBefore;
  const sorted = latencies.sort((a, b) => a - b);
  return (
    `${String(appenders).padStart(3)} appenders: ${Math.round(acknowledged / seconds).toLocaleString('en-US').padStart(9)} records/s ` +
    `${((acknowledged * recordBytes) / seconds / 1024 / 1024).toFixed(1).padStart(6)} MiB/s  ` +
    `${(acknowledged / syncs).toFixed(1).padStart(6)} records/fsync  ` +
    `latency p50 ${percentile(sorted, 50).toFixed(3)} ms p99 ${percentile(sorted, 99).toFixed(3)} ms`
  );
}

/** Time to open (verify and replay) a WAL of `records` entries spread over 8 MiB segments. */
async function replay(dir: string, records: number): Promise<string> {
  const walDir = path.join(dir, 'replay');
  const wal = await Wal.create(walDir, metadata, { segmentBytes: 8 * 1024 * 1024 });
  const perSave = 1000;
  for (let i = 1; i <= records; i += perSave) {
    await wal.save(null, Array.from({ length: perSave }, (_, k) => entry(i + k)));
  }
  await wal.close();
  const start = nowMs();
  const opened = await Wal.open(walDir);
  const ms = nowMs() - start;
  await opened.wal.close();
  const mib = (records * recordBytes) / 1024 / 1024;
  return `open + replay ${records.toLocaleString('en-US')} records (${mib.toFixed(0)} MiB): ${ms.toFixed(0)} ms (${((mib / ms) * 1000).toFixed(0)} MiB/s)`;
}

function crcThroughput(): string {
  const bytes = new Uint8Array(64 * 1024 * 1024).map((_, i) => (i * 31) & 0xff);
  crc32c(bytes);
  const start = nowMs();
  crc32c(bytes);
  return `crc32c (slicing-by-8): ${((64 / (nowMs() - start)) * 1000).toFixed(0)} MiB/s`;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rafter-bench-wal-'));
  try {
    console.log(`WAL benchmark: ${recordBytes}-byte records, data in ${dir}, node ${process.version}, ${os.cpus().length} CPUs`);
    console.log(latencyLine('raw write + fdatasync', await rawFsync(dir)));
    console.log(latencyLine('WAL save, one appender', await walSingleAppend(dir)));
    for (const appenders of [1, 16, 256]) console.log(await walThroughput(dir, appenders));
    console.log(await replay(dir, 200_000));
    console.log(crcThroughput());
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
