import { afterEach, describe, expect, it } from 'vitest';
import type { MvccStore } from '../../core/mvcc/mvccStore.js';
import { WatchHub } from '../../core/mvcc/watchHub.js';
import type { WatchResponse, WatchSink } from '../../core/mvcc/watchHub.js';
import { b, cleanup, openStore } from './tempStore.js';

const hubs: WatchHub[] = [];
afterEach(() => {
  for (const hub of hubs.splice(0)) hub.close();
  cleanup();
});

function newHub(store: MvccStore, options: ConstructorParameters<typeof WatchHub>[1] = {}): WatchHub {
  const hub = new WatchHub(store, options);
  hubs.push(hub);
  return hub;
}

/** A sink that records responses; `accept` decides what `send` returns. */
class RecordingSink implements WatchSink {
  readonly responses: WatchResponse[] = [];
  accept = true;
  send(response: WatchResponse): boolean {
    this.responses.push(response);
    return this.accept;
  }
  /** The revisions of the events received, each once (a catch-up response carries several). */
  revisions(): number[] {
    return [...new Set(this.responses.flatMap((r) => r.events.map((e) => e.kv.modRevision)))];
  }
  events(): WatchResponse['events'] {
    return this.responses.flatMap((r) => r.events);
  }
  keys(): string[] {
    return this.responses.flatMap((r) => r.events.map((e) => `${e.type}:${Buffer.from(e.kv.key).toString()}`));
  }
}

describe('WatchHub', () => {
  it('gives nothing more to a watcher canceled by another watcher\'s delivery of the same event, single-event or not', () => {
    const store = openStore();
    const hub = newHub(store);
    const late = new RecordingSink();
    let lateId = 0;
    const canceler: WatchSink = {
      send: () => {
        hub.cancel(lateId);
        return true;
      },
    };
    // The canceler is indexed first (a single key comes before ranges), so it is delivered to first.
    hub.watch({ key: b('k') }, canceler);
    lateId = hub.watch({ key: b('k'), rangeEnd: b('l') }, late);
    store.put({ key: b('k'), value: b('1') });
    expect(late.responses).toEqual([]);
    const other = new RecordingSink();
    hub.watch({ key: b('k'), rangeEnd: b('l') }, other);
    lateId = hub.watch({ key: b('k'), rangeEnd: b('l') }, late);
    store.txn({ success: [{ requestPut: { key: b('k'), value: b('2') } }, { requestPut: { key: b('ka'), value: b('3') } }] });
    expect(late.responses).toEqual([]);
    expect(other.keys()).toEqual(['PUT:k', 'PUT:ka']);
  });

  it('shares one event list among the watchers of a one-event revision, with or without the previous kv', () => {
    const store = openStore();
    const hub = newHub(store);
    store.put({ key: b('s'), value: b('old') });
    const sinks = [new RecordingSink(), new RecordingSink(), new RecordingSink(), new RecordingSink(), new RecordingSink()];
    hub.watch({ key: b('s'), prevKv: true }, sinks[0]!);
    hub.watch({ key: b('s'), rangeEnd: b('t'), prevKv: true }, sinks[1]!);
    hub.watch({ key: b('s') }, sinks[2]!);
    hub.watch({ key: b('s'), rangeEnd: b('t'), filters: ['NOPUT'] }, sinks[3]!);
    hub.watch({ key: b('r'), rangeEnd: b('z') }, sinks[4]!);
    store.put({ key: b('s'), value: b('new') });
    const [withPrev, withPrevToo, plain, noPut, plainToo] = sinks.map((sink) => sink.responses);
    expect(withPrev![0]!.events).toBe(withPrevToo![0]!.events);
    expect(plain![0]!.events).toBe(plainToo![0]!.events);
    expect(Buffer.from(withPrev![0]!.events[0]!.prevKv!.value).toString()).toBe('old');
    expect(plain![0]!.events[0]!.prevKv).toBeUndefined();
    expect(plain![0]!.events[0]!.kv).toBe(withPrev![0]!.events[0]!.kv);
    expect(noPut).toEqual([]);
    store.deleteRange({ key: b('s') });
    expect(noPut!.map((r) => r.events.map((e) => e.type))).toEqual([['DELETE']]);
  });

  it('delivers changes of a key, a prefix and a from-key range, one response per revision', () => {
    const store = openStore();
    const hub = newHub(store);
    const single = new RecordingSink();
    const prefix = new RecordingSink();
    const fromKey = new RecordingSink();
    hub.watch({ key: b('a') }, single);
    hub.watch({ key: b('a'), rangeEnd: b('b') }, prefix);
    hub.watch({ key: b('b'), rangeEnd: Buffer.from([0]) }, fromKey);
    store.put({ key: b('a'), value: b('1') });
    store.put({ key: b('ab'), value: b('1') });
    store.put({ key: b('c'), value: b('1') });
    store.deleteRange({ key: b('a'), rangeEnd: b('z') });
    expect(single.keys()).toEqual(['PUT:a', 'DELETE:a']);
    expect(prefix.keys()).toEqual(['PUT:a', 'PUT:ab', 'DELETE:a', 'DELETE:ab']);
    expect(prefix.revisions()).toEqual([2, 3, 5]);
    expect(fromKey.keys()).toEqual(['PUT:c', 'DELETE:c']);
  });

  it('carries prevKv only when asked and applies the NOPUT and NODELETE filters', () => {
    const store = openStore();
    const hub = newHub(store);
    const withPrev = new RecordingSink();
    const noPut = new RecordingSink();
    const noDelete = new RecordingSink();
    hub.watch({ key: b('k'), prevKv: true }, withPrev);
    hub.watch({ key: b('k'), filters: ['NOPUT'] }, noPut);
    hub.watch({ key: b('k'), filters: ['NODELETE'] }, noDelete);
    store.put({ key: b('k'), value: b('1') });
    store.put({ key: b('k'), value: b('2') });
    store.deleteRange({ key: b('k') });
    expect(withPrev.responses.map((r) => r.events[0]!.prevKv?.modRevision)).toEqual([undefined, 2, 3]);
    expect(noPut.keys()).toEqual(['DELETE:k']);
    expect(noPut.responses[0]!.events[0]!.prevKv).toBeUndefined();
    expect(noDelete.keys()).toEqual(['PUT:k', 'PUT:k']);
  });

  it('replays history from a past revision, then continues live with no gap or duplicate', async () => {
    const store = openStore();
    const hub = newHub(store, { catchUpRevisionsMax: 3 });
    // Put i lands at revision i + 1: a new store is at revision 1, as etcd's.
    for (let i = 1; i <= 10; i++) store.put({ key: b(`k${i % 2}`), value: b(`${i}`) });
    const sink = new RecordingSink();
    hub.watch({ key: b('k'), rangeEnd: b('l'), startRevision: 5, prevKv: true }, sink);
    store.put({ key: b('k0'), value: b('live-before-catch-up') });
    await hub.whenIdle();
    store.put({ key: b('k1'), value: b('live') });
    expect(sink.revisions()).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13]);
    expect(sink.responses[0]!.events[0]!.prevKv?.modRevision).toBe(3);
    // Each catch-up chunk (3 revisions) is one response; the live put is its own.
    expect(sink.responses.map((r) => r.events.map((e) => e.kv.modRevision))).toEqual([[5, 6, 7], [8, 9, 10], [11, 12], [13]]);
  });

  it('sends a catch-up as one response stamped with the current revision, as etcd does', async () => {
    const store = openStore();
    const hub = newHub(store);
    for (let i = 0; i < 4; i++) store.put({ key: b(i % 2 === 0 ? 'k' : 'other'), value: b(`${i}`) });
    store.deleteRange({ key: b('k') });
    const sink = new RecordingSink();
    const id = hub.watch({ key: b('k'), startRevision: 2 }, sink);
    await hub.whenIdle();
    expect(sink.responses).toHaveLength(1);
    expect(sink.responses[0]).toMatchObject({ watchId: id, revision: 6 });
    expect(sink.events().map((e) => `${e.type}@${e.kv.modRevision}`)).toEqual(['PUT@2', 'PUT@4', 'DELETE@6']);
  });

  it('catches up many watchers from different past revisions, each from its own start', async () => {
    const store = openStore();
    const hub = newHub(store, { catchUpRevisionsMax: 7 });
    // Put i lands at revision i + 1 (2..101) on key k(i % 10).
    for (let i = 1; i <= 100; i++) store.put({ key: b(`k${i % 10}`), value: b(`${i}`) });
    const sinks: { sink: RecordingSink; start: number; key: number }[] = [];
    for (let w = 0; w < 1_000; w++) {
      const sink = new RecordingSink();
      const start = 2 + ((w * 37) % 100);
      const key = w % 10;
      sinks.push({ sink, start, key });
      hub.watch({ key: b(`k${key}`), startRevision: start, prevKv: w % 2 === 0 }, sink);
    }
    await hub.whenIdle();
    store.put({ key: b('k3'), value: b('live') });
    sinks.forEach(({ sink, start, key }, w) => {
      const expected = Array.from({ length: 101 }, (_, i) => i + 2).filter((r) => r >= start && (r === 102 ? key === 3 : (r - 1) % 10 === key));
      expect(sink.revisions()).toEqual(expected);
      // prevKv only for the watchers that asked, and then the key's version 10 revisions earlier.
      const prevs = sink.events().filter((e) => e.kv.modRevision <= 101).map((e) => e.prevKv?.modRevision);
      expect(prevs).toEqual(expected.filter((r) => r <= 101).map((r) => (w % 2 === 0 && r > 11 ? r - 10 : undefined)));
    });
  });

  it('catches up watchers from one revision that differ only in range bounds, filters or prevKv, each with its own events', async () => {
    const store = openStore();
    const hub = newHub(store);
    store.put({ key: b('a'), value: b('1') });
    store.put({ key: b('ab'), value: b('2') });
    store.put({ key: b('ab'), value: b('3') });
    store.deleteRange({ key: b('a') });
    const watch = (request: Omit<Parameters<WatchHub['watch']>[0], 'startRevision'>): RecordingSink => {
      const sink = new RecordingSink();
      hub.watch({ ...request, startRevision: 2 }, sink);
      return sink;
    };
    const range = watch({ key: b('a'), rangeEnd: b('b') });
    const rangeAgain = watch({ key: b('a'), rangeEnd: b('b') });
    const single = watch({ key: b('ab') });
    const fromA = watch({ key: b('a'), rangeEnd: b('ac') });
    const noPut = watch({ key: b('a'), rangeEnd: b('b'), filters: ['NOPUT'] });
    const noDelete = watch({ key: b('a'), rangeEnd: b('b'), filters: ['NODELETE'] });
    const withPrev = watch({ key: b('a'), rangeEnd: b('b'), prevKv: true });
    await hub.whenIdle();
    expect(range.keys()).toEqual(['PUT:a', 'PUT:ab', 'PUT:ab', 'DELETE:a']);
    expect(rangeAgain.keys()).toEqual(range.keys());
    expect(single.keys()).toEqual(['PUT:ab', 'PUT:ab']);
    expect(fromA.keys()).toEqual(['PUT:a', 'PUT:ab', 'PUT:ab', 'DELETE:a']);
    expect(noPut.keys()).toEqual(['DELETE:a']);
    expect(noDelete.keys()).toEqual(['PUT:a', 'PUT:ab', 'PUT:ab']);
    expect(range.events().every((e) => e.prevKv === undefined)).toBe(true);
    expect(withPrev.events().map((e) => e.prevKv?.value.toString())).toEqual([undefined, undefined, '2', '1']);
  });

  it('answers a watch from a compacted revision with the compact revision and no watcher', () => {
    const store = openStore();
    const hub = newHub(store);
    for (let i = 0; i < 5; i++) store.put({ key: b('k'), value: b(`${i}`) });
    store.compact({ revision: 5 });
    const sink = new RecordingSink();
    const id = hub.watch({ key: b('k'), startRevision: 3 }, sink);
    expect(sink.responses).toEqual([{ watchId: id, revision: 6, events: [], canceled: true, compactRevision: 5 }]);
    expect(hub.size).toBe(0);
  });

  it('cancels a catching-up watcher with a compacted response when compaction overtakes it', async () => {
    const store = openStore();
    const hub = newHub(store, { catchUpRevisionsMax: 2 });
    for (let i = 0; i < 10; i++) store.put({ key: b('k'), value: b(`${i}`) });
    const sink = new RecordingSink();
    const id = hub.watch({ key: b('k'), startRevision: 2 }, sink);
    store.compact({ revision: 9 });
    await hub.whenIdle();
    expect(sink.responses).toEqual([{ watchId: id, revision: 11, events: [], canceled: true, compactRevision: 9 }]);
    expect(hub.size).toBe(0);
  });

  it('holds a watch from a future revision until that revision', () => {
    const store = openStore();
    const hub = newHub(store);
    const sink = new RecordingSink();
    hub.watch({ key: b('k'), startRevision: 4 }, sink);
    for (let i = 0; i < 4; i++) store.put({ key: b('k'), value: b(`${i}`) });
    expect(sink.revisions()).toEqual([4, 5]);
  });

  it('sends nothing after cancel', () => {
    const store = openStore();
    const hub = newHub(store);
    const sink = new RecordingSink();
    const id = hub.watch({ key: b('k') }, sink);
    store.put({ key: b('k'), value: b('1') });
    expect(hub.cancel(id)).toBe(true);
    expect(hub.cancel(id)).toBe(false);
    store.put({ key: b('k'), value: b('2') });
    expect(sink.revisions()).toEqual([2]);
  });

  it('sends progress notifications with the current revision to idle watchers only', () => {
    const store = openStore();
    const hub = newHub(store);
    const idle = new RecordingSink();
    const congested = new RecordingSink();
    hub.watch({ key: b('quiet') }, idle);
    hub.watch({ key: b('busy') }, congested);
    congested.accept = false;
    store.put({ key: b('busy'), value: b('1') });
    store.put({ key: b('busy'), value: b('2') });
    expect(hub.progress()).toBe(1);
    expect(idle.responses).toEqual([{ watchId: 1, revision: 3, events: [] }]);
  });

  it('holds responses for a congested watcher and catches an overflowing one up from the store', async () => {
    const store = openStore();
    const hub = newHub(store, { watcherPendingResponsesMax: 4, catchUpRevisionsMax: 5 });
    const slow = new RecordingSink();
    const fast = new RecordingSink();
    const slowId = hub.watch({ key: b('k'), rangeEnd: b('l') }, slow);
    hub.watch({ key: b('k'), rangeEnd: b('l') }, fast);
    slow.accept = false;
    for (let i = 1; i <= 30; i++) store.put({ key: b(`k${i % 3}`), value: b(`${i}`) });
    // The writes never waited: the fast watcher has them all, the slow one took one.
    expect(fast.revisions()).toHaveLength(30);
    expect(slow.revisions()).toEqual([2]);
    slow.accept = true;
    hub.ready(slowId);
    await hub.whenIdle();
    store.put({ key: b('k1'), value: b('live') });
    const expected = Array.from({ length: 31 }, (_, i) => i + 2);
    expect(slow.revisions()).toEqual(expected);
    expect(fast.revisions()).toEqual(expected);
  });

  it('gives a congested watcher what it held back in responses of up to a catch-up chunk of revisions each', () => {
    const store = openStore();
    const hub = newHub(store, { watcherPendingResponsesMax: 64, catchUpRevisionsMax: 5 });
    const slow = new RecordingSink();
    const slowId = hub.watch({ key: b('k'), rangeEnd: b('l'), prevKv: true }, slow);
    slow.accept = false;
    for (let i = 1; i <= 13; i++) store.put({ key: b(`k${i % 2}`), value: b(`${i}`) });
    // Revision 2 went out and congested the watcher; 3..14 were held, one response each.
    expect(slow.responses.map((r) => r.revision)).toEqual([2]);
    slow.accept = true;
    hub.ready(slowId);
    const after = slow.responses.slice(1);
    // 12 held revisions in chunks of at most 5, each stamped with its last revision, events in order.
    expect(after.map((r) => r.revision)).toEqual([7, 12, 14]);
    expect(after.map((r) => r.events.map((e) => e.kv.modRevision))).toEqual([[3, 4, 5, 6, 7], [8, 9, 10, 11, 12], [13, 14]]);
    expect(after.every((r) => r.watchId === slowId)).toBe(true);
    // Each event is the one delivered live, with its previous kv.
    expect(after[0]!.events[2]!.prevKv?.value.toString()).toBe('2');
    // Live again: the next revision comes on its own.
    store.put({ key: b('k1'), value: b('live') });
    expect(slow.responses.at(-1)!.events.map((e) => e.kv.modRevision)).toEqual([15]);
  });

  it('stops merging held responses when the consumer congests again, and goes on at the next ready', () => {
    const store = openStore();
    const hub = newHub(store, { watcherPendingResponsesMax: 64, catchUpRevisionsMax: 3 });
    const slow = new RecordingSink();
    const slowId = hub.watch({ key: b('k'), rangeEnd: b('l') }, slow);
    slow.accept = false;
    for (let i = 1; i <= 10; i++) store.put({ key: b('k'), value: b(`${i}`) });
    hub.ready(slowId);
    // Still congested: one merged response went, the rest stays held.
    expect(slow.responses.map((r) => r.revision)).toEqual([2, 5]);
    slow.accept = true;
    hub.ready(slowId);
    expect(slow.revisions()).toEqual(Array.from({ length: 10 }, (_, i) => i + 2));
    expect(slow.responses.map((r) => r.revision)).toEqual([2, 5, 8, 11]);
  });

  it('keeps revision order with no gap or duplicate under interleaved batches, congestion and catch-up', async () => {
    const store = openStore();
    const hub = newHub(store, { watcherPendingResponsesMax: 2, catchUpRevisionsMax: 2 });
    const sink = new RecordingSink();
    const id = hub.watch({ key: b('a'), rangeEnd: b('z') }, sink);
    let toggle = 0;
    for (let round = 0; round < 20; round++) {
      store.applyBatch(null, (batch) => {
        for (let i = 0; i < 3; i++) batch.put({ key: b(`k${(round + i) % 4}`), value: b(`${round}`) });
      });
      toggle = (toggle * 7 + 3) % 5;
      sink.accept = toggle !== 0;
      if (toggle === 2) {
        sink.accept = true;
        hub.ready(id);
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    sink.accept = true;
    hub.ready(id);
    await hub.whenIdle();
    expect(sink.revisions()).toEqual(Array.from({ length: 60 }, (_, i) => i + 2));
  });

  it('matches 10,000 watchers on one store, each receiving exactly its own events', () => {
    const store = openStore();
    const hub = newHub(store);
    const sinks: RecordingSink[] = [];
    for (let i = 0; i < 9_000; i++) {
      const sink = new RecordingSink();
      sinks.push(sink);
      hub.watch({ key: b(`key/${i}`) }, sink);
    }
    for (let i = 0; i < 1_000; i++) {
      const sink = new RecordingSink();
      sinks.push(sink);
      hub.watch({ key: b(`key/${i}`), rangeEnd: b(`key/${i}0`) }, sink);
    }
    expect(hub.size).toBe(10_000);
    store.applyBatch(null, (batch) => {
      for (let i = 0; i < 2_000; i += 7) batch.put({ key: b(`key/${i}`), value: b('v') });
    });
    for (let i = 0; i < 9_000; i++) {
      expect(sinks[i]!.keys()).toEqual(i < 2_000 && i % 7 === 0 ? [`PUT:key/${i}`] : []);
    }
    for (let i = 0; i < 1_000; i++) {
      // [key/i, key/i0) holds key/i and key/i/..., and the keys key/i<digit below 0>: none written.
      expect(sinks[9_000 + i]!.keys()).toEqual(i % 7 === 0 ? [`PUT:key/${i}`] : []);
    }
  });
});
