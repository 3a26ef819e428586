// A seeded history for the chunked-compaction tests (test/mvcc/chunkedCompaction.test.ts and its
// child process): puts and deletes over a small key set, many revisions per key, written in
// batches so building it is quick.
import { Random } from '../../core/raft/random.js';
import type { MvccStore } from '../../core/mvcc/mvccStore.js';

/** Keys the history writes to. */
export const historyKeys = 400;

/** Writes `revisions` seeded puts and deletes (one revision each), `perBatch` to a transaction. */
export function writeHistory(store: MvccStore, seed: number, revisions: number, perBatch = 500): void {
  const random = new Random(seed);
  for (let written = 0; written < revisions; written += perBatch) {
    store.applyBatch(null, (batch) => {
      for (let i = written; i < Math.min(revisions, written + perBatch); i++) {
        const key = Buffer.from(`k/${String(random.nextInt(historyKeys)).padStart(4, '0')}`);
        if (random.nextFloat() < 0.15) batch.deleteKeys([key]);
        else batch.put({ key, value: Buffer.from(`v${i}`) });
      }
    });
  }
}
