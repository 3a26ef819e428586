// Leases: ids in hex as etcdctl prints them, typed in either form, and TTLs that count down and
// leave the list once the lease has expired.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { VueWrapper } from '@vue/test-utils';
import LeasesPage from '../../renderer/components/leases/LeasesPage.vue';
import { parseLeaseId } from '../../renderer/hexId';
import { useConnectionsStore } from '../../renderer/stores/connections';
import { FakeAdminApi } from './fakeAdminApi';
import { mountWithProviders, settle } from './mountWithProviders';

let wrapper: VueWrapper | null = null;
afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
  vi.useRealTimers();
});

describe('lease ids', () => {
  it('reads hex as etcdctl prints it, with or without 0x, and the 19-digit decimal form', () => {
    expect(parseLeaseId('694d7c5b4e6ba60a')).toEqual({ ok: true, decimal: '7587857678788699658', hex: '694d7c5b4e6ba60a' });
    expect(parseLeaseId('0x694D7C5B4E6BA60A')).toMatchObject({ ok: true, decimal: '7587857678788699658' });
    expect(parseLeaseId('7587857678788699658')).toMatchObject({ ok: true, hex: '694d7c5b4e6ba60a' });
    expect(parseLeaseId('10')).toMatchObject({ ok: true, decimal: '16' });
  });

  it('refuses what cannot be a lease id', () => {
    for (const typed of ['0', 'xyz', '-5', '99999999999999999999', '0x8000000000000000']) expect(parseLeaseId(typed).ok).toBe(false);
  });
});

describe('Leases page', () => {
  it('shows ids in hex and counts each TTL down, reading the list again once a lease ran out', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] });
    const fake = new FakeAdminApi();
    fake.leases = [{ id: '7587857678788699658', ttlSeconds: 2, grantedTtlSeconds: 5, keys: ['/a'] }];
    wrapper = mountWithProviders(LeasesPage, fake);
    useConnectionsStore().select('c1');
    await settle();
    const left = () => wrapper!.get('[data-test=lease-694d7c5b4e6ba60a] [data-test=lease-left]').text();
    expect(left()).toBe('2 s');
    vi.advanceTimersByTime(1_000);
    await settle();
    expect(left()).toBe('1 s');
    const listsBefore = fake.callsTo('listLeases').length;
    fake.leases = [];
    vi.advanceTimersByTime(1_000);
    await settle();
    expect(fake.callsTo('listLeases').length).toBe(listsBefore + 1);
    expect(wrapper.find('[data-test=lease-694d7c5b4e6ba60a]').exists()).toBe(false);
  });
});
