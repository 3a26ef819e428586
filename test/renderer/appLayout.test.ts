// The console frame: navigation by keyboard, the theme switch and the shortcut help.
import { afterEach, describe, expect, it } from 'vitest';
import type { VueWrapper } from '@vue/test-utils';
import AppLayout from '../../renderer/components/common/AppLayout.vue';
import { useConnectionsStore } from '../../renderer/stores/connections';
import { useUiStore } from '../../renderer/stores/ui';
import { FakeAdminApi } from './fakeAdminApi';
import { mountWithProviders, settle } from './mountWithProviders';

let wrapper: VueWrapper | null = null;
afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
});

function press(init: KeyboardEventInit): void {
  window.dispatchEvent(new KeyboardEvent('keydown', { bubbles: true, ...init }));
}

describe('console frame', () => {
  it('opens pages with Alt+digit and picks the first saved connection', async () => {
    wrapper = mountWithProviders(AppLayout, new FakeAdminApi());
    await settle();
    expect(wrapper.get('[data-test=page-title]').text()).toBe('Connections');
    press({ key: '3', code: 'Digit3', altKey: true });
    await settle();
    expect(wrapper.get('[data-test=page-title]').text()).toBe('Keys');
    expect(wrapper.find('[data-test=needs-connection]').exists()).toBe(false);
    press({ key: '8', code: 'Digit8', altKey: true });
    await settle();
    expect(wrapper.get('[data-test=page-title]').text()).toBe('Auth');
  });

  it('switches the theme with T, but not while typing in a field', async () => {
    wrapper = mountWithProviders(AppLayout, new FakeAdminApi());
    await settle();
    const ui = useUiStore();
    const before = ui.dark;
    press({ key: 't', code: 'KeyT' });
    expect(ui.dark).toBe(!before);
    const input = wrapper.get('[data-test=field-name] input').element;
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 't', code: 'KeyT', bubbles: true }));
    expect(ui.dark).toBe(!before);
  });

  it('shows the shortcut list on ?', async () => {
    wrapper = mountWithProviders(AppLayout, new FakeAdminApi());
    await settle();
    press({ key: '?', code: 'Slash', shiftKey: true });
    await settle();
    expect(document.body.textContent).toContain('Refresh the current page');
  });
});

describe('preferences kept by the host', () => {
  it('opens on the saved connection, on its Cluster page, in the saved theme', async () => {
    const fake = new FakeAdminApi();
    fake.preferences = { theme: 'dark', connectionId: 'c1' };
    wrapper = mountWithProviders(AppLayout, fake);
    await settle();
    expect(wrapper.get('[data-test=page-title]').text()).toBe('Cluster');
    expect(useUiStore().dark).toBe(true);
  });

  it('saves the theme through the AdminApi when it is switched, and nothing in localStorage', async () => {
    const fake = new FakeAdminApi();
    fake.preferences = { theme: 'light', connectionId: null };
    wrapper = mountWithProviders(AppLayout, fake);
    await settle();
    expect(useUiStore().dark).toBe(false);
    press({ key: 't', code: 'KeyT' });
    await settle();
    expect(fake.callsTo('savePreferences')).toEqual([{ changes: { theme: 'dark' } }]);
    expect(fake.preferences.theme).toBe('dark');
    expect(window.localStorage.length).toBe(0);
  });

  it('remembers the connection the user picks', async () => {
    const fake = new FakeAdminApi();
    wrapper = mountWithProviders(AppLayout, fake);
    await settle();
    useConnectionsStore().select('c1');
    await settle();
    expect(fake.preferences.connectionId).toBe('c1');
  });
});
