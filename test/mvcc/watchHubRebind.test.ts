// A member that installs its leader's snapshot replaces its store under open watches: the hub
// moves every watcher onto the new store and catches each one up from where it stood.
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MvccStore } from '../../core/mvcc/mvccStore.js';
import { WatchHub, type WatchResponse } from '../../core/mvcc/watchHub.js';
import { b, cleanup, openStore, tempDir } from './tempStore.js';

afterEach(cleanup);

describe('watch hub rebind', () => {
  it('catches watchers up from the new store, with no gap and no duplicate', async () => {
    const old = openStore();
    for (let i = 0; i < 4; i++) old.put({ key: b(`/k/${i}`), value: b(`old-${i}`) });
    const hub = new WatchHub(old);
    const seen: WatchResponse[] = [];
    hub.watch({ key: b('/k/'), rangeEnd: b('/k0') }, { send: (r) => (seen.push(r), true) });
    hub.watch({ key: b('/k/1'), startRevision: 2 }, { send: (r) => (seen.push(r), true) });
    await hub.whenIdle();
    // The leader's store: the same history, then writes this member missed.
    const copyDir = tempDir();
    await old.snapshotTo(path.join(copyDir, 'copy.db'));
    const newDir = tempDir();
    MvccStore.installSnapshot(path.join(copyDir, 'copy.db'), newDir);
    const leader = openStore({ dir: newDir });
    leader.put({ key: b('/k/1'), value: b('new-1') });
    leader.deleteRange({ key: b('/k/2') });
    const missedUpTo = leader.revision;
    old.close();
    hub.rebind(leader);
    await hub.whenIdle();
    leader.put({ key: b('/k/9'), value: b('live') });
    await hub.whenIdle();
    const revisions = seen.flatMap((r) => r.events.map((e) => `${r.watchId}@${e.kv.modRevision}`));
    expect(new Set(revisions).size).toBe(revisions.length);
    const byWatcher = (id: number): number[] => seen.filter((r) => r.watchId === id).flatMap((r) => r.events.map((e) => e.kv.modRevision));
    expect(byWatcher(1)).toEqual([missedUpTo - 1, missedUpTo, missedUpTo + 1]);
    expect(byWatcher(2)).toEqual([3, missedUpTo - 1]);
    hub.close();
  });
});
