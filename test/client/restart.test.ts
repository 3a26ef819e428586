// Watches and keep-alives surviving a restart of the etcd member they stream from: the client
// reconnects and re-creates each watch from the first revision it has not delivered.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EtcdClient, WatchEvent, Watcher } from '../../core/client/index.js';
import { EtcdTestCluster } from '../support/etcd.js';

let etcd: EtcdTestCluster;
let watching: EtcdClient;
let writer: EtcdClient;

beforeAll(async () => {
  etcd = await EtcdTestCluster.start();
  watching = etcd.client();
  writer = etcd.client();
});

afterAll(async () => {
  await etcd.stop();
});

async function nextEvents(iterator: AsyncIterator<{ events: WatchEvent[] }, undefined>, count: number): Promise<string[]> {
  const seen: string[] = [];
  while (seen.length < count) {
    const next = await iterator.next();
    if (next.done) throw new Error('the watch ended early');
    for (const event of next.value.events) seen.push(`${event.type} ${event.kv.keyString}=${event.kv.valueString}`);
  }
  return seen;
}

describe('Watch across a server restart', () => {
  it('resumes after the member restarts without losing or repeating events', async () => {
    const watcher: Watcher = await watching.watch.watch('resume/', { prefix: true });
    const iterator = watcher[Symbol.asyncIterator]();
    const first = await writer.kv.put('resume/a', '1');
    expect(await nextEvents(iterator, 1)).toEqual(['put resume/a=1']);
    expect(watcher.nextRevision).toBe(first.header.revision + 1);

    const member = etcd.members[0]!;
    await etcd.stopMember(member);
    await etcd.startMember(member);

    // The watching client kept failing to reconnect while the member was down; its calls wait for
    // the member to come back instead of failing at once.
    await watching.kv.put('resume/b', '2');
    await writer.kv.delete('resume/a');
    expect(await nextEvents(iterator, 2)).toEqual(['put resume/b=2', 'delete resume/a=']);
    watcher.cancel();
  });

  it('keeps a lease alive across the restart on a re-opened keep-alive stream', async () => {
    const lease = await watching.lease.grant(3);
    const keepAlive = watching.lease.keepAlive(lease.id);
    const renewals = keepAlive[Symbol.asyncIterator]();
    const before = await renewals.next();
    if (before.done) throw new Error('the keep-alive ended early');
    const member = etcd.members[0]!;
    await etcd.stopMember(member);
    await etcd.startMember(member);
    // The restarted member elects itself in a new term; a renewal from that term proves the stream
    // was re-opened.
    for (;;) {
      const next = await renewals.next();
      if (next.done) throw new Error('the keep-alive ended early');
      if (next.value.header.raftTerm > before.value.header.raftTerm) break;
    }
    expect((await writer.lease.timeToLive(lease.id)).ttl).toBeGreaterThan(0);
    keepAlive.close();
  });

  it('resumes from the start revision when the stream drops before any event', async () => {
    const start = (await writer.kv.put('early/x', '0')).header.revision + 1;
    const watcher = await watching.watch.watch('early/', { prefix: true, startRevision: start });
    const iterator = watcher[Symbol.asyncIterator]();
    const member = etcd.members[0]!;
    await etcd.stopMember(member);
    await etcd.startMember(member);
    await writer.kv.put('early/y', '1');
    expect(await nextEvents(iterator, 1)).toEqual(['put early/y=1']);
    watcher.cancel();
  });
});
