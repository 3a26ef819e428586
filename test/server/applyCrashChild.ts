// Child of applyCrash.test.ts: a member's durability path without Raft — append an entry to the
// WAL (group commit), then apply it to the MVCC store with the entry's index recorded in the same
// LMDB transaction — as fast as it can, printing `ack <index>` once both are done. On start it
// first re-applies WAL entries the store has not applied, as the member does after a crash.
import { Wal } from '../../core/wal/index.js';
import { MvccStore } from '../../core/mvcc/mvccStore.js';
import type { Entry, HardState, Index, Term } from '../../core/raft/types.js';
import { applyCounterEntry, counterEntry } from './applyCrashWorkload.js';
import path from 'node:path';
import fs from 'node:fs';

const dir = process.argv[2]!;
const concurrency = Number(process.argv[3] ?? '4');
const walDir = path.join(dir, 'wal');
// 'group': the store commits in groups, as a member's does (a short interval, so kills land both
// inside and between groups).
const groupCommit = process.argv[4] === 'group' ? { intervalMs: 15, callsMax: 40 } : undefined;
const store = MvccStore.open({ dir: path.join(dir, 'db'), ...(groupCommit ? { groupCommit } : {}) });
let wal: Wal;
let last: number;
if (fs.existsSync(walDir)) {
  const opened = await Wal.open(walDir);
  wal = opened.wal;
  const applied = store.appliedIndex();
  for (const entry of opened.entries) if (entry.index > applied) applyCounterEntry(store, entry);
  last = opened.entries.length > 0 ? opened.entries[opened.entries.length - 1]!.index : 0;
} else {
  wal = await Wal.create(walDir, { clusterId: 'crash', memberId: 'crash' });
  last = 0;
}
let next = last + 1;
let chain = Promise.resolve();
async function appendOne(): Promise<void> {
  const index = next++;
  const entry: Entry = counterEntry(index as Index, 1 as Term);
  const hardState: HardState = { term: 1 as Term, vote: null, commit: index as Index };
  await wal.save(hardState, [entry]);
  // Applies happen in index order, as the member's apply loop does.
  chain = chain.then(() => {
    applyCounterEntry(store, entry);
    process.stdout.write(`ack ${index}\n`);
  });
  await chain;
}
process.stdout.write('ready\n');
await Promise.all(Array.from({ length: concurrency }, async () => {
  for (;;) await appendOne();
}));
