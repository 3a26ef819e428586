// The local cluster form: TLS and authentication choices reach createLocalCluster as its
// `security`; an empty root password and a mismatching confirmation are refused in words without
// a call.
import { afterEach, describe, expect, it } from 'vitest';
import type { VueWrapper } from '@vue/test-utils';
import LocalClusterForm from '../../renderer/components/cluster/LocalClusterForm.vue';
import { FakeAdminApi } from './fakeAdminApi';
import { mountWithProviders, settle } from './mountWithProviders';

let wrapper: VueWrapper | null = null;
afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
});

async function fill(selector: string, text: string): Promise<void> {
  await wrapper!.find(`${selector} input`).setValue(text);
}

async function launch(): Promise<void> {
  await wrapper!.find('[data-test=create-local]').trigger('click');
  await settle();
}

const formError = (): string => wrapper!.find('[data-test=error-notice]').text();

describe('the local cluster form', () => {
  it('refuses an empty or mismatching root password in words, then sends the chosen security', async () => {
    const fake = new FakeAdminApi();
    wrapper = mountWithProviders(LocalClusterForm, fake, { loading: false, disabled: false });
    await wrapper.find('[data-test=local-tls-ca] input').setValue(true);
    await wrapper.find('[data-test=local-auth]').trigger('click');
    await settle();
    expect(wrapper.find('[data-test=local-tls-help]').text()).toContain('makes a CA for this cluster');
    await launch();
    expect(formError()).toContain('Type a root password');
    await fill('[data-test=local-root-password]', 'secret');
    await fill('[data-test=local-root-confirm]', 'secreT');
    await launch();
    expect(formError()).toContain('The two root passwords differ');
    expect(fake.callsTo('createLocalCluster')).toEqual([]);
    await fill('[data-test=local-root-confirm]', 'secret');
    await launch();
    expect(fake.callsTo('createLocalCluster')).toEqual([{ name: 'local', memberCount: 3, security: { tls: 'ca', rootPassword: 'secret' } }]);
  });

  it('sends auto TLS without authentication as a null root password', async () => {
    const fake = new FakeAdminApi();
    wrapper = mountWithProviders(LocalClusterForm, fake, { loading: false, disabled: false });
    await wrapper.find('[data-test=local-tls-auto] input').setValue(true);
    await launch();
    expect(fake.callsTo('createLocalCluster')).toEqual([{ name: 'local', memberCount: 3, security: { tls: 'auto', rootPassword: null } }]);
  });
});
