// The Watches page: live events in the table, filters, pause and resume, counts.
import { afterEach, describe, expect, it } from 'vitest';
import type { VueWrapper } from '@vue/test-utils';
import type { WatchEvent } from '../../renderer/contract';
import WatchesPage from '../../renderer/components/watches/WatchesPage.vue';
import { useConnectionsStore } from '../../renderer/stores/connections';
import { eventsKeptMax, useWatchesStore } from '../../renderer/stores/watches';
import { watch } from 'vue';
import { FakeAdminApi } from './fakeAdminApi';
import { mountWithProviders, settle } from './mountWithProviders';

let wrapper: VueWrapper | null = null;
afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
});

function event(type: 'put' | 'delete', key: string, modRevision: number): WatchEvent {
  return { type, key, value: type === 'put' ? btoa(`v${modRevision}`) : '', modRevision, createRevision: 2, version: 1, lease: '0', prevValue: null };
}

async function startWatch(fake: FakeAdminApi): Promise<VueWrapper> {
  wrapper = mountWithProviders(WatchesPage, fake);
  useConnectionsStore().select('c1');
  await settle();
  await wrapper.get('[data-test=watch-key] input').setValue('/app/');
  await wrapper.get('[data-test=start-watch]').trigger('click');
  await settle();
  return wrapper;
}

describe('Watches page', () => {
  it('starts a prefix watch and shows its events as they arrive', async () => {
    const fake = new FakeAdminApi();
    const page = await startWatch(fake);
    expect(fake.callsTo('startWatch')).toEqual([{ connectionId: 'c1', key: '/app/', prefix: true, prevKv: true }]);
    expect(fake.callsTo('subscribe')).toEqual([{ kind: 'watch', watchId: 'w1' }]);
    fake.emit({ kind: 'watch', watchId: 'w1', events: [event('put', '/app/a', 5), event('delete', '/app/b', 6)], compactRevision: null });
    await settle();
    const rows = page.findAll('[data-test=event-row]');
    expect(rows).toHaveLength(2);
    expect(rows[0]!.text()).toContain('/app/b');
    expect(page.get('[data-test=watch-tag]').text()).toContain('2 event(s)');
  });

  it('filters the table by event type and by key text', async () => {
    const fake = new FakeAdminApi();
    const page = await startWatch(fake);
    fake.emit({
      kind: 'watch',
      watchId: 'w1',
      events: [event('put', '/app/a', 5), event('delete', '/app/b', 6), event('put', '/app/c', 7)],
      compactRevision: null,
    });
    await settle();
    useWatchesStore().filters.type = 'delete';
    await settle();
    expect(page.findAll('[data-test=event-row]').map((row) => row.text())).toEqual([expect.stringContaining('/app/b')]);
    useWatchesStore().filters.type = 'all';
    await page.get('[data-test=filter-key] input').setValue('/app/c');
    await settle();
    expect(page.findAll('[data-test=event-row]').map((row) => row.text())).toEqual([expect.stringContaining('/app/c')]);
  });

  it('holds events while paused and shows them on resume', async () => {
    const fake = new FakeAdminApi();
    const page = await startWatch(fake);
    await page.get('[data-test=pause]').trigger('click');
    fake.emit({ kind: 'watch', watchId: 'w1', events: [event('put', '/app/a', 5)], compactRevision: null });
    await settle();
    expect(page.findAll('[data-test=event-row]')).toHaveLength(0);
    expect(page.get('[data-test=held-count]').text()).toContain('1 held');
    await page.get('[data-test=resume]').trigger('click');
    await settle();
    expect(page.findAll('[data-test=event-row]')).toHaveLength(1);
  });

  it('marks a watch failed when the server ends it', async () => {
    const fake = new FakeAdminApi();
    const page = await startWatch(fake);
    fake.emit({ kind: 'watchEnded', watchId: 'w1', reason: 'required revision has been compacted' });
    await settle();
    expect(page.get('[data-test=watch-tag]').text()).toContain('failed');
  });

  it('takes a burst of messages into the table in one update and says how many events the cap dropped', async () => {
    const fake = new FakeAdminApi();
    const page = await startWatch(fake);
    const store = useWatchesStore();
    let updates = 0;
    const stop = watch(() => store.events, () => updates++, { flush: 'sync' });
    const perMessage = 530;
    const messages = 10;
    for (let message = 0; message < messages; message++) {
      const events = Array.from({ length: perMessage }, (_, index) => event('put', `/app/k${index}`, 10 + message * perMessage + index));
      fake.emit({ kind: 'watch', watchId: 'w1', events, compactRevision: null });
    }
    await settle();
    stop();
    expect(updates).toBe(1);
    expect(store.events).toHaveLength(eventsKeptMax);
    expect(store.events.at(-1)?.modRevision).toBe(10 + messages * perMessage - 1);
    expect(page.get('[data-test=events-cap]').text()).toContain(`${(messages * perMessage - eventsKeptMax).toLocaleString('en-US')} older ones were dropped`);
  });
});
