// The connection form's "Read … file" buttons: the page reads a picked PEM file into the field,
// and refuses a file that is not PEM or is far too big with a message instead of filling the field.
import { afterEach, describe, expect, it } from 'vitest';
import type { VueWrapper } from '@vue/test-utils';
import ConnectionForm from '../../renderer/components/connections/ConnectionForm.vue';
import { FakeAdminApi } from './fakeAdminApi';
import { mountWithProviders, settle } from './mountWithProviders';

let wrapper: VueWrapper | null = null;
afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
});

const caPem = '-----BEGIN CERTIFICATE-----\nMIIBdzCCAR2gAwIBAgIU\n-----END CERTIFICATE-----\n';

async function openForm(): Promise<VueWrapper> {
  wrapper = mountWithProviders(ConnectionForm, new FakeAdminApi());
  await wrapper.get('[data-test=field-tls]').trigger('click');
  await settle();
  return wrapper;
}

async function pick(form: VueWrapper, field: string, file: File): Promise<void> {
  const input = form.get(`[data-test=file-${field}] input[type=file]`);
  Object.defineProperty(input.element, 'files', { value: [file], configurable: true });
  await input.trigger('change');
  await settle();
}

describe('reading PEM files into the connection form', () => {
  it('fills the CA, certificate and key fields with the text of the picked files', async () => {
    const form = await openForm();
    await pick(form, 'ca', new File([caPem], 'ca.crt'));
    await pick(form, 'cert', new File(['-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n'], 'client.crt'));
    await pick(form, 'key', new File(['-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n'], 'client.key'));
    expect((form.get('[data-test=field-ca] textarea').element as HTMLTextAreaElement).value).toBe(caPem);
    expect((form.get('[data-test=field-cert] textarea').element as HTMLTextAreaElement).value).toContain('client');
    expect((form.get('[data-test=field-key] textarea').element as HTMLTextAreaElement).value).toContain('PRIVATE KEY');
    expect(form.get('[data-test=file-ca]').text()).toContain('ca.crt');
  });

  it('says a picked file is not PEM and leaves the field as it was', async () => {
    const form = await openForm();
    await pick(form, 'ca', new File(['just some text'], 'notes.txt'));
    expect(form.get('[data-test=file-ca] [role=alert]').text()).toBe('notes.txt is not PEM: it has no "-----BEGIN" line.');
    expect((form.get('[data-test=field-ca] textarea').element as HTMLTextAreaElement).value).toBe('');
  });

  it('refuses a file far bigger than any certificate without reading it into the form', async () => {
    const form = await openForm();
    await pick(form, 'key', new File(['-----BEGIN PRIVATE KEY-----\n', 'A'.repeat(300 * 1024)], 'huge.key'));
    expect(form.get('[data-test=file-key] [role=alert]').text()).toMatch(/^huge\.key is .* bytes: too big for a PEM certificate or key\.$/);
    expect((form.get('[data-test=field-key] textarea').element as HTMLTextAreaElement).value).toBe('');
  });
});
