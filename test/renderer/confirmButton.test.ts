// ConfirmButton: destructive actions need a second, explicit click.
import { describe, expect, it } from 'vitest';
import { mount } from '@vue/test-utils';
import ConfirmButton from '../../renderer/components/common/ConfirmButton.vue';

describe('ConfirmButton', () => {
  it('asks first and emits confirm only on the confirming click', async () => {
    const wrapper = mount(ConfirmButton, { props: { label: 'Delete', question: 'Delete /a?' } });
    await wrapper.get('[data-test=confirm-ask]').trigger('click');
    expect(wrapper.emitted('confirm')).toBeUndefined();
    expect(wrapper.text()).toContain('Delete /a?');
    await wrapper.get('[data-test=confirm-yes]').trigger('click');
    expect(wrapper.emitted('confirm')).toHaveLength(1);
    expect(wrapper.find('[data-test=confirm-yes]').exists()).toBe(false);
  });

  it('emits nothing when cancelled', async () => {
    const wrapper = mount(ConfirmButton, { props: { label: 'Kill', question: 'Kill m1?' } });
    await wrapper.get('[data-test=confirm-ask]').trigger('click');
    await wrapper.get('[data-test=confirm-no]').trigger('click');
    expect(wrapper.emitted('confirm')).toBeUndefined();
    expect(wrapper.find('[data-test=confirm-ask]').exists()).toBe(true);
  });
});
