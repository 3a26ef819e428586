// The Connections page's form: field errors before any call, testing, and saving.
import { afterEach, describe, expect, it } from 'vitest';
import type { VueWrapper } from '@vue/test-utils';
import ConnectionsPage from '../../renderer/components/connections/ConnectionsPage.vue';
import { FakeAdminApi } from './fakeAdminApi';
import { mountWithProviders, settle } from './mountWithProviders';

let wrapper: VueWrapper | null = null;
afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
});

async function open(fake: FakeAdminApi): Promise<VueWrapper> {
  wrapper = mountWithProviders(ConnectionsPage, fake);
  await settle();
  return wrapper;
}

describe('Connection form', () => {
  it('names each missing or malformed field and calls nothing', async () => {
    const fake = new FakeAdminApi();
    const page = await open(fake);
    await page.get('[data-test=field-endpoints] input').setValue('localhost, nope:99999');
    await page.get('[data-test=save-connection]').trigger('click');
    await settle();
    const text = page.get('[data-test=connection-form]').text();
    expect(text).toContain('Give the connection a name.');
    expect(text).toContain('"localhost" is not host:port');
    expect(fake.callsTo('addConnection')).toEqual([]);
  });

  it('refuses ports outside 1-65535 and a password without a user', async () => {
    const fake = new FakeAdminApi();
    const page = await open(fake);
    await page.get('[data-test=field-name] input').setValue('prod');
    await page.get('[data-test=field-endpoints] input').setValue('10.0.0.1:70000');
    await page.get('[data-test=field-password] input').setValue('secret');
    await page.get('[data-test=test-connection]').trigger('click');
    await settle();
    const text = page.get('[data-test=connection-form]').text();
    expect(text).toContain('Ports must be between 1 and 65535.');
    expect(text).toContain('A password needs a user name.');
    expect(fake.callsTo('testConnection')).toEqual([]);
  });

  it('tests a valid configuration and shows what it found', async () => {
    const fake = new FakeAdminApi();
    const page = await open(fake);
    await page.get('[data-test=field-name] input').setValue('prod');
    await page.get('[data-test=field-endpoints] input').setValue('10.0.0.1:2379 10.0.0.2:2379');
    await page.get('[data-test=test-connection]').trigger('click');
    await settle();
    expect(fake.callsTo('testConnection')).toEqual([{ config: { name: 'prod', endpoints: ['10.0.0.1:2379', '10.0.0.2:2379'] } }]);
    expect(page.get('[data-test=probe-result]').text()).toContain('etcd API 3.4.0');
  });

  it('saves a valid connection and lists it', async () => {
    const fake = new FakeAdminApi();
    const page = await open(fake);
    await page.get('[data-test=field-name] input').setValue('staging');
    await page.get('[data-test=field-username] input').setValue('root');
    await page.get('[data-test=field-password] input').setValue('pw');
    await page.get('[data-test=save-connection]').trigger('click');
    await settle();
    expect(fake.callsTo('addConnection')).toEqual([{ config: { name: 'staging', endpoints: ['127.0.0.1:2379'], username: 'root', password: 'pw' } }]);
    expect(page.find('[data-test=connection-staging]').exists()).toBe(true);
  });

  it('offers to remember a typed password where the host can save it, and asks the host to when ticked', async () => {
    const fake = new FakeAdminApi();
    const page = await open(fake);
    expect(fake.callsTo('connectionCapabilities')).toEqual([{}]);
    expect(page.find('[data-test=field-remember-password]').exists()).toBe(false);
    await page.get('[data-test=field-name] input').setValue('staging');
    await page.get('[data-test=field-username] input').setValue('root');
    await page.get('[data-test=field-password] input').setValue('pw');
    expect(page.find('[data-test=password-notice]').exists()).toBe(false);
    await page.get('[data-test=field-remember-password]').trigger('click');
    await page.get('[data-test=save-connection]').trigger('click');
    await settle();
    expect(fake.callsTo('addConnection')).toEqual([{ config: { name: 'staging', endpoints: ['127.0.0.1:2379'], username: 'root', password: 'pw', rememberPassword: true } }]);
  });

  it('says the password is not saved where the host cannot save it, and never asks it to', async () => {
    const fake = new FakeAdminApi();
    const notice = 'Passwords are not saved in the web console: one typed here lasts until the console restarts.';
    fake.capabilities = { canSavePasswords: false, passwordNotice: notice };
    const page = await open(fake);
    await page.get('[data-test=field-name] input').setValue('staging');
    await page.get('[data-test=field-username] input').setValue('root');
    expect(page.find('[data-test=password-notice]').exists()).toBe(false);
    await page.get('[data-test=field-password] input').setValue('pw');
    expect(page.find('[data-test=field-remember-password]').exists()).toBe(false);
    expect(page.get('[data-test=password-notice]').text()).toBe(notice);
    await page.get('[data-test=save-connection]').trigger('click');
    await settle();
    expect(fake.callsTo('addConnection')).toEqual([{ config: { name: 'staging', endpoints: ['127.0.0.1:2379'], username: 'root', password: 'pw' } }]);
  });

  it('removes a connection only after confirmation', async () => {
    const fake = new FakeAdminApi();
    const page = await open(fake);
    const item = page.get('[data-test=connection-test]');
    await item.get('[data-test=confirm-ask]').trigger('click');
    expect(fake.callsTo('removeConnection')).toEqual([]);
    await item.get('[data-test=confirm-no]').trigger('click');
    await item.get('[data-test=confirm-ask]').trigger('click');
    await item.get('[data-test=confirm-yes]').trigger('click');
    await settle();
    expect(fake.callsTo('removeConnection')).toEqual([{ connectionId: 'c1' }]);
  });
});
