// The console frame: navigation by keyboard, the theme switch and the shortcut help.
import { afterEach, describe, expect, it } from 'vitest';
import type { VueWrapper } from '@vue/test-utils';
import AppLayout from '../../renderer/components/common/AppLayout.vue';
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
