// The crash workload's entries: entry i adds 1 to a counter key and writes `/entry/<i>`, so a
// store that applied every entry exactly once holds counter == applied index.
import type { MvccStore } from '../../core/mvcc/mvccStore.js';
import type { Entry, Index, Term } from '../../core/raft/types.js';

export const counterKey = Buffer.from('/counter');

export function counterEntry(index: Index, term: Term): Entry {
  return { index, term, type: 'normal', data: Buffer.from(String(index)) };
}

export function applyCounterEntry(store: MvccStore, entry: Entry): void {
  store.applyBatch({ index: entry.index, term: entry.term }, (batch) => {
    const current = batch.range({ key: counterKey }).kvs[0];
    const count = current ? Number(Buffer.from(current.value).toString()) : 0;
    batch.put({ key: counterKey, value: Buffer.from(String(count + 1)) });
    batch.put({ key: Buffer.from(`/entry/${Buffer.from(entry.data).toString()}`), value: Buffer.from(entry.data) });
  });
}

export function counterValue(store: MvccStore): number {
  const kv = store.range({ key: counterKey }).kvs[0];
  return kv ? Number(Buffer.from(kv.value).toString()) : 0;
}
