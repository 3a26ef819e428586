// MVCC store benchmark: put throughput with 1 and 100 puts per LMDB transaction, range of 1 key
// and of 100 keys at the current revision, a range of 100 keys at a past revision, and txn
// (compare + put) throughput. Real LMDB in a temp dir, no fsync per commit (as the server runs
// it). Run with `npx tsx bench/mvcc.ts`. Measures only; tests never assert on speed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MvccStore } from '../core/mvcc/mvccStore.js';

const secondsPerCase = 2;
const keySpace = 10_000;
const valueBytes = 256;

function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Runs `step` repeatedly for `secondsPerCase`; returns operations per second. */
function measure(name: string, operationsPerStep: number, step: (i: number) => void): void {
  const deadline = nowMs() + secondsPerCase * 1000;
  const start = nowMs();
  let steps = 0;
  while (nowMs() < deadline) step(steps++);
  const elapsedMs = nowMs() - start;
  const perSecond = (steps * operationsPerStep * 1000) / elapsedMs;
  console.log(`${name.padEnd(44)} ${Math.round(perSecond).toLocaleString('en-US').padStart(10)} ops/s`);
}

const key = (i: number): Buffer => Buffer.from(`bench/key/${String(i % keySpace).padStart(6, '0')}`);

function main(): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rafter-bench-mvcc-'));
  const store = MvccStore.open({ dir });
  const value = Buffer.alloc(valueBytes, 7);
  try {
    let applied = 0;
    measure('put, 1 per transaction', 1, (i) => {
      store.applyBatch({ index: ++applied, term: 1 }, (batch) => batch.put({ key: key(i), value }));
    });
    measure('put, 100 per transaction', 100, (i) => {
      store.applyBatch({ index: ++applied, term: 1 }, (batch) => {
        for (let j = 0; j < 100; j++) batch.put({ key: key(i * 100 + j), value });
      });
    });
    const pastRevision = Math.floor(store.revision / 2);
    measure('range 1 key (current revision)', 1, (i) => {
      store.range({ key: key(i * 7919) });
    });
    measure('range 100 keys (current revision)', 1, (i) => {
      const first = (i * 7919) % (keySpace - 100);
      store.range({ key: key(first), rangeEnd: key(first + 100) });
    });
    measure('range 100 keys at a past revision', 1, (i) => {
      const first = (i * 7919) % (keySpace - 100);
      store.range({ key: key(first), rangeEnd: key(first + 100), revision: pastRevision });
    });
    measure('txn (compare version + put), 1 per transaction', 1, (i) => {
      store.applyBatch({ index: ++applied, term: 1 }, (batch) => {
        const target = key(i);
        const current = batch.range({ key: target }).kvs[0]?.version ?? 0;
        batch.txn({
          compare: [{ target: 'VERSION', result: 'EQUAL', key: target, version: current }],
          success: [{ requestPut: { key: target, value } }],
        });
      });
    });
    measure('txn (compare version + put), 100 per transaction', 100, (i) => {
      store.applyBatch({ index: ++applied, term: 1 }, (batch) => {
        for (let j = 0; j < 100; j++) {
          const target = key(i * 100 + j);
          batch.txn({
            compare: [{ target: 'MOD', result: 'GREATER', key: target, modRevision: 0 }],
            success: [{ requestPut: { key: target, value } }],
          });
        }
      });
    });
    const sizes = store.sizes();
    console.log(`revisions ${store.revision}, db ${(sizes.dbSizeBytes / 1e6).toFixed(1)} MB, in use ${(sizes.dbSizeInUseBytes / 1e6).toFixed(1)} MB`);
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
