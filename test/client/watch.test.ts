// Watch calls of the etcd client against a real single-member etcd: multiplexed watches, history
// replay, filters, prevKv, progress, cancellation and compaction.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WatchError } from '../../core/client/index.js';
import type { EtcdClient, WatchBatch, WatchEvent, Watcher } from '../../core/client/index.js';
import { EtcdTestCluster } from '../support/etcd.js';

let etcd: EtcdTestCluster;
let client: EtcdClient;

beforeAll(async () => {
  // Progress notifications every 100 ms instead of etcd's default 10 minutes.
  etcd = await EtcdTestCluster.start({ extraArgs: ['--experimental-watch-progress-notify-interval=100ms'] });
  client = etcd.client();
});

afterAll(async () => {
  await etcd.stop();
});

/** Reads batches from `watcher` until `count` events arrived. */
async function takeEvents(watcher: Watcher, count: number): Promise<WatchEvent[]> {
  const events: WatchEvent[] = [];
  for await (const batch of watcher) {
    events.push(...batch.events);
    if (events.length >= count) break;
  }
  return events;
}

function describeEvent(event: WatchEvent): string {
  return `${event.type} ${event.kv.keyString}=${event.kv.valueString}`;
}

describe('Watch against real etcd', () => {
  it('delivers puts and deletes of a key in order', async () => {
    const watcher = await client.watch.watch('w/key');
    await client.kv.put('w/key', '1');
    await client.kv.put('w/key', '2');
    await client.kv.delete('w/key');
    const events = await takeEvents(watcher, 3);
    expect(events.map(describeEvent)).toEqual(['put w/key=1', 'put w/key=2', 'delete w/key=']);
    watcher.cancel();
  });

  it('multiplexes several watches on one stream, each seeing only its range', async () => {
    const prefix = await client.watch.watch('mx/a/', { prefix: true });
    const single = await client.watch.watch('mx/b');
    expect(prefix.id).not.toBe(single.id);
    await client.kv.put('mx/a/1', 'x');
    await client.kv.put('mx/b', 'y');
    await client.kv.put('mx/a/2', 'z');
    expect((await takeEvents(prefix, 2)).map(describeEvent)).toEqual(['put mx/a/1=x', 'put mx/a/2=z']);
    expect((await takeEvents(single, 1)).map(describeEvent)).toEqual(['put mx/b=y']);
    prefix.cancel();
    single.cancel();
  });

  it('replays history from a start revision and includes previous pairs', async () => {
    const first = await client.kv.put('hist/k', 'v1');
    await client.kv.put('hist/k', 'v2');
    const watcher = await client.watch.watch('hist/k', { startRevision: first.header.revision, prevKv: true });
    const events = await takeEvents(watcher, 2);
    expect(events.map(describeEvent)).toEqual(['put hist/k=v1', 'put hist/k=v2']);
    expect(events[0]?.prevKv).toBeNull();
    expect(events[1]?.prevKv?.valueString).toBe('v1');
    expect(watcher.nextRevision).toBe(first.header.revision + 2);
    watcher.cancel();
  });

  it('filters out put events with noPut', async () => {
    const watcher = await client.watch.watch('flt/', { prefix: true, filters: ['noPut'] });
    await client.kv.put('flt/a', '1');
    await client.kv.delete('flt/a');
    const events = await takeEvents(watcher, 1);
    expect(events.map(describeEvent)).toEqual(['delete flt/a=']);
    watcher.cancel();
  });

  it('filters out delete events with noDelete', async () => {
    const watcher = await client.watch.watch('fltd/', { prefix: true, filters: ['noDelete'] });
    await client.kv.put('fltd/a', '1');
    await client.kv.delete('fltd/a');
    await client.kv.put('fltd/b', '2');
    const events = await takeEvents(watcher, 2);
    expect(events.map(describeEvent)).toEqual(['put fltd/a=1', 'put fltd/b=2']);
    watcher.cancel();
  });

  it('answers a progress request with an empty batch at the current revision', async () => {
    const watcher = await client.watch.watch('progress/');
    const put = await client.kv.put('progress/other', 'x');
    await client.watch.requestProgress();
    const iterator = watcher[Symbol.asyncIterator]();
    const next = await iterator.next();
    const batch = next.value as WatchBatch;
    expect(batch.progressNotify).toBe(true);
    expect(batch.events).toEqual([]);
    expect(batch.header.revision).toBeGreaterThanOrEqual(put.header.revision);
    watcher.cancel();
  });

  it('accepts progressNotify and delivers batches through a callback', async () => {
    const batches: WatchBatch[] = [];
    let resolveSeen: () => void = () => undefined;
    const seen = new Promise<void>((resolve) => (resolveSeen = resolve));
    const watcher = await client.watch.watch('cb/', {
      prefix: true,
      progressNotify: true,
      onBatch: (batch) => {
        batches.push(batch);
        if (batch.events.length > 0) resolveSeen();
      },
    });
    await client.kv.put('cb/x', '1');
    await seen;
    expect(batches.flatMap((batch) => batch.events).map(describeEvent)).toEqual(['put cb/x=1']);
    watcher.cancel();
  });

  it('sends periodic progress notifications to a watch that asked for them', async () => {
    const put = await client.kv.put('notify/other', 'x');
    const watcher = await client.watch.watch('notify/quiet', { progressNotify: true });
    for await (const batch of watcher) {
      expect(batch.progressNotify).toBe(true);
      expect(batch.header.revision).toBeGreaterThanOrEqual(put.header.revision);
      break;
    }
    expect(watcher.nextRevision).toBeGreaterThan(put.header.revision);
    watcher.cancel();
  });

  it('ends the iteration after cancel and removes the watch', async () => {
    const watcher = await client.watch.watch('cancel/');
    const before = client.watch.size;
    watcher.cancel();
    expect(client.watch.size).toBe(before - 1);
    const next = await watcher[Symbol.asyncIterator]().next();
    expect(next.done).toBe(true);
    await client.kv.put('cancel/', 'after');
  });

  it('refuses a watch from a compacted revision with the compact revision', async () => {
    const first = await client.kv.put('cmp/k', '1');
    const second = await client.kv.put('cmp/k', '2');
    await client.kv.compact(second.header.revision, { physical: true });
    const failure = await client.watch.watch('cmp/k', { startRevision: first.header.revision }).then(
      async (watcher) => takeEvents(watcher, 1),
    ).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WatchError);
    expect((failure as WatchError).kind).toBe('compacted');
    expect((failure as WatchError).compactRevision).toBe(second.header.revision);
  });
});
