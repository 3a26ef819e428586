// Child of chunkedCompaction.test.ts: writes the seeded history into the store in `dir`, applies a
// Compact to `target` the way a member does (in a batch, the removal left to background steps),
// lets `steps` steps run, prints `pending` while the compaction is still under way, and waits to
// be killed with SIGKILL.
import { MvccStore } from '../../core/mvcc/mvccStore.js';
import { writeHistory } from './compactionWorkload.js';

const [dir, seed, revisions, target, steps] = process.argv.slice(2);
const store = MvccStore.open({ dir: dir! });
writeHistory(store, Number(seed), Number(revisions));
store.applyBatch({ index: 1, term: 1 }, (batch) => batch.compact({ revision: Number(target) }));
for (let turn = 0; turn < Number(steps); turn++) await new Promise((resolve) => setImmediate(resolve));
process.stdout.write(store.compactionPending ? 'pending\n' : 'done\n');
setInterval(() => undefined, 1_000);
