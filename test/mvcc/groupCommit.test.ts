// Group commit (the member's store): applied batches run as nested transactions of one open write
// transaction, visible at once, committed per interval, after a number of writes, and before
// sync, copy, defragment and close. What a crash loses is applyCrash.test.ts's subject.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { GroupCommitOptions } from '../../core/mvcc/backend.js';
import { MvccStore } from '../../core/mvcc/mvccStore.js';
import { b, cleanup, keysOf, openStore, tempDir } from './tempStore.js';

afterEach(() => {
  vi.useRealTimers();
  cleanup();
});

/** Group commit options that commit only when asked (or after `callsMax` writes), counting commits. */
function counting(callsMax = 1_000_000, intervalMs = 3_600_000): GroupCommitOptions & { commits: number } {
  const options = {
    intervalMs,
    callsMax,
    commits: 0,
    onCommit: (): void => {
      options.commits += 1;
    },
  };
  return options;
}

describe('group commit', () => {
  it('shows an applied batch at once and commits the group only when asked', async () => {
    const group = counting();
    const store = openStore({ groupCommit: group });
    store.applyBatch({ index: 1, term: 1 }, (batch) => batch.put({ key: b('a'), value: b('1') }));
    store.applyBatch({ index: 2, term: 1 }, (batch) => batch.put({ key: b('b'), value: b('2') }));
    expect(keysOf(store.range({ key: b('a'), rangeEnd: b('z') }).kvs)).toEqual(['a', 'b']);
    expect(store.appliedIndex()).toBe(2);
    expect(group.commits).toBe(0);
    await store.sync();
    expect(group.commits).toBe(1);
    await store.sync();
    expect(group.commits, 'nothing open, nothing to commit').toBe(1);
  });

  it('aborts only the batch that throws; the group keeps the batches before and after it', () => {
    const group = counting();
    const store = openStore({ groupCommit: group });
    store.applyBatch({ index: 1, term: 1 }, (batch) => batch.put({ key: b('kept-1'), value: b('1') }));
    expect(() =>
      store.applyBatch({ index: 2, term: 1 }, (batch) => {
        batch.put({ key: b('lost'), value: b('x') });
        throw new Error('apply failed');
      }),
    ).toThrow('apply failed');
    store.applyBatch({ index: 3, term: 1 }, (batch) => batch.put({ key: b('kept-2'), value: b('2') }));
    const dir = store.backend.filePath;
    store.close();
    expect(group.commits).toBe(1);
    const reopened = MvccStore.open({ dir: path.dirname(dir) });
    try {
      expect(keysOf(reopened.range({ key: b('a'), rangeEnd: b('z') }).kvs)).toEqual(['kept-1', 'kept-2']);
      expect(reopened.appliedIndex()).toBe(3);
      expect(reopened.range({ key: b('kept-2') }).kvs[0]?.modRevision).toBe(3);
    } finally {
      reopened.close();
    }
  });

  it('commits after the write limit and after the interval', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const group = counting(3, 100);
    const store = openStore({ groupCommit: group });
    for (let i = 1; i <= 7; i++) store.applyBatch({ index: i, term: 1 }, (batch) => batch.put({ key: b(`k${i}`), value: b('v') }));
    expect(group.commits, 'two groups of 3 writes').toBe(2);
    vi.advanceTimersByTime(99);
    expect(group.commits).toBe(2);
    vi.advanceTimersByTime(1);
    expect(group.commits, 'the seventh write, at the interval').toBe(3);
  });

  it('puts what the open group holds into a copy for a follower', async () => {
    const store = openStore({ groupCommit: counting() });
    for (let i = 0; i < 50; i++) store.applyBatch({ index: i + 1, term: 1 }, (batch) => batch.put({ key: b(`copy/${String(i).padStart(2, '0')}`), value: b(`v${i}`) }));
    const file = path.join(tempDir(), 'snapshot.mdb');
    await store.snapshotTo(file);
    const dir = tempDir();
    MvccStore.installSnapshot(file, dir);
    const copy = MvccStore.open({ dir });
    try {
      expect(copy.range({ key: b('copy/'), rangeEnd: b('copy0'), countOnly: true }).count).toBe(50);
      expect(copy.appliedIndex()).toBe(50);
    } finally {
      copy.close();
    }
  });

  it('keeps through a defragment the writes of the group open when it began and those made during it', async () => {
    const store = openStore({ groupCommit: counting() });
    const value = Buffer.alloc(2_000, 1);
    for (let i = 0; i < 300; i++) store.applyBatch({ index: i + 1, term: 1 }, (batch) => batch.put({ key: b(`before/${String(i).padStart(3, '0')}`), value }));
    const defragmenting = store.defragment();
    for (let i = 0; i < 20; i++) {
      store.applyBatch({ index: 301 + i, term: 1 }, (batch) => batch.put({ key: b(`during/${String(i).padStart(2, '0')}`), value: b('d') }));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await defragmenting).toBe(true);
    store.applyBatch({ index: 321, term: 1 }, (batch) => batch.put({ key: b('after'), value: b('a') }));
    const dir = path.dirname(store.backend.filePath);
    store.close();
    expect(fs.existsSync(path.join(dir, 'store.mdb'))).toBe(true);
    const reopened = MvccStore.open({ dir });
    try {
      expect(reopened.range({ key: b('before/'), rangeEnd: b('before0'), countOnly: true }).count).toBe(300);
      expect(reopened.range({ key: b('during/'), rangeEnd: b('during0'), countOnly: true }).count).toBe(20);
      expect(reopened.range({ key: b('after') }).count).toBe(1);
      expect(reopened.appliedIndex()).toBe(321);
    } finally {
      reopened.close();
    }
  });
});
