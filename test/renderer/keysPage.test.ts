// The Keys page: server-side paging, the virtual list, and the editor's views and validation.
import { afterEach, describe, expect, it } from 'vitest';
import type { VueWrapper } from '@vue/test-utils';
import KeysPage from '../../renderer/components/keys/KeysPage.vue';
import { useConnectionsStore } from '../../renderer/stores/connections';
import { keptPagesMax, keyPageSize, useKeysStore } from '../../renderer/stores/keys';
import { editorReadOnly, editorText, setEditorText } from './codeEditorText';
import { bytesToBase64 } from '../../renderer/valueFormat';
import { editableTextCharsMax } from '../../renderer/composables/useValueEditor';
import { storedConfigMap } from '../support/kubernetesFixtures';
import { FakeAdminApi } from './fakeAdminApi';
import { mountWithProviders, settle } from './mountWithProviders';

let wrapper: VueWrapper | null = null;
afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
});

async function openKeysPage(fake: FakeAdminApi): Promise<VueWrapper> {
  wrapper = mountWithProviders(KeysPage, fake);
  useConnectionsStore().select('c1');
  await settle();
  return wrapper;
}

function seed(fake: FakeAdminApi, count: number): void {
  for (let index = 0; index < count; index++) fake.put(`/app/item-${String(index).padStart(4, '0')}`, `value ${index}`);
}

async function scrollTo(page: VueWrapper, top: number): Promise<void> {
  const list = page.get('[data-test=virtual-list]');
  Object.defineProperty(list.element, 'scrollTop', { value: top, configurable: true });
  await list.trigger('scroll');
  await settle();
}

describe('Keys page paging', () => {
  it('asks the server for one page and renders only the rows in view', async () => {
    const fake = new FakeAdminApi();
    seed(fake, 450);
    const page = await openKeysPage(fake);
    expect(fake.callsTo('listKeys')[0]).toEqual({ connectionId: 'c1', prefix: '', cursor: null, skip: 0, limit: keyPageSize });
    expect(page.get('[data-test=keys-position]').text()).toContain('of 450 key(s)');
    const rendered = page.findAll('[data-test=key-row]').length;
    expect(rendered).toBeGreaterThan(0);
    expect(rendered).toBeLessThan(keyPageSize);
  });

  it('fetches the next page from the last cursor when the view reaches it', async () => {
    const fake = new FakeAdminApi();
    seed(fake, 450);
    const page = await openKeysPage(fake);
    await scrollTo(page, 30 * (keyPageSize - 5));
    expect(fake.callsTo('listKeys')[1]).toEqual({ connectionId: 'c1', prefix: '', cursor: '/app/item-0199\0', skip: 0, limit: keyPageSize });
    expect(page.get('[data-test=keys-position]').text()).toMatch(/^196–/);
  });

  it('jumps to the end with one read that skips from the nearest known cursor and shows the last key', async () => {
    const fake = new FakeAdminApi();
    seed(fake, 4_321);
    const page = await openKeysPage(fake);
    await scrollTo(page, 30 * 4_321);
    const calls = fake.callsTo('listKeys');
    const lastPageStart = 4_321 - (4_321 % keyPageSize);
    expect(calls.slice(1)).toEqual([{ connectionId: 'c1', prefix: '', cursor: `/app/item-${String(keyPageSize - 1).padStart(4, '0')}\0`, skip: lastPageStart - keyPageSize, limit: keyPageSize }]);
    expect(page.findAll('[data-test=key-row]').map((row) => row.text())).toContainEqual(expect.stringContaining('/app/item-4320'));
    expect(page.get('[data-test=keys-position]').text()).toContain('4,321 of 4,321 key(s)');
  });

  it('keeps at most keptPagesMax pages while scrolling through every page, and fetches dropped ones again', async () => {
    const fake = new FakeAdminApi();
    const count = keyPageSize * (keptPagesMax + 8);
    for (let index = 0; index < count; index++) fake.putBase64(`/k/${String(index).padStart(6, '0')}`, '');
    const page = await openKeysPage(fake);
    const store = useKeysStore();
    for (let row = 0; row < count; row += keyPageSize / 2) {
      await scrollTo(page, row * 30);
      expect(store.pages.size).toBeLessThanOrEqual(keptPagesMax);
    }
    await scrollTo(page, count * 30);
    expect(page.findAll('[data-test=key-row]').map((row) => row.text())).toContainEqual(expect.stringContaining(`/k/${String(count - 1).padStart(6, '0')}`));
    const before = fake.callsTo('listKeys').length;
    await scrollTo(page, 0);
    expect(fake.callsTo('listKeys').length).toBe(before + 1);
    expect(page.findAll('[data-test=key-row]')[0]?.text()).toContain('/k/000000');
  }, 60_000);
});

describe('Keys import', () => {
  it('says how it writes, and imports atomically when asked, naming the one revision', async () => {
    const fake = new FakeAdminApi();
    const page = await openKeysPage(fake);
    expect(page.get('[data-test=import-how]').text()).toContain('one revision each; not atomic');
    await page.get('[data-test=import-atomic]').trigger('click');
    await settle();
    expect(page.get('[data-test=import-how]').text()).toContain('in one transaction at one revision, or none');
    const document = { format: 'rafter-keys/1', prefix: '', revision: 1, keys: [{ key: '/a', value: btoa('1') }, { key: '/b', value: btoa('2') }] };
    const input = page.get<HTMLInputElement>('[data-test=import-file]');
    const file = new File([JSON.stringify(document)], 'keys.json', { type: 'application/json' });
    Object.defineProperty(input.element, 'files', { value: [file] });
    await input.trigger('change');
    await settle();
    expect(fake.callsTo('importKeys')).toEqual([{ connectionId: 'c1', document, overwrite: false, atomic: true }]);
    expect(page.get('[data-test=import-notice]').text()).toBe(`Imported 2 key(s) from keys.json in one transaction at revision ${fake.revision}.`);
  });
});

describe('Key editor', () => {
  async function selectKey(fake: FakeAdminApi, key: string): Promise<VueWrapper> {
    const page = await openKeysPage(fake);
    const row = page.findAll('[data-test=key-row]').find((candidate) => candidate.text().includes(key));
    await row!.trigger('click');
    await settle();
    return page;
  }

  it('opens a JSON value in the JSON view with its metadata', async () => {
    const fake = new FakeAdminApi();
    fake.put('/config', '{"a":1}');
    const page = await selectKey(fake, '/config');
    expect(page.get('[data-test=view-json] input').attributes('value')).toBe('json');
    expect(page.get('[data-test=view-json]').classes().join(' ')).toContain('checked');
    expect(editorText(page)).toBe('{"a":1}');
    expect(page.get('[data-test=key-metadata]').text()).toContain('Version');
  });

  it('refuses to save invalid JSON and explains why', async () => {
    const fake = new FakeAdminApi();
    fake.put('/config', '{"a":1}');
    const page = await selectKey(fake, '/config');
    await setEditorText(page, '{"a":');
    expect(page.get('[data-test=validation-error]').text()).toContain('Invalid JSON');
    expect(page.get('[data-test=save-key]').attributes('disabled')).toBeDefined();
  });

  it('formats JSON and saves the formatted bytes', async () => {
    const fake = new FakeAdminApi();
    fake.put('/config', '{"a":1}');
    const page = await selectKey(fake, '/config');
    await page.get('[data-test=format-value]').trigger('click');
    expect(editorText(page)).toBe('{\n  "a": 1\n}');
    await page.get('[data-test=save-key]').trigger('click');
    await settle();
    expect(fake.callsTo('putKey')).toEqual([{ connectionId: 'c1', key: '/config', value: btoa('{\n  "a": 1\n}') }]);
  });

  it('shows the same bytes in hex and rejects malformed hex', async () => {
    const fake = new FakeAdminApi();
    fake.put('/greeting', 'hi!');
    const page = await selectKey(fake, '/greeting');
    await page.get('[data-test=view-hex]').trigger('click');
    await settle();
    expect(editorText(page)).toBe('68 69 21');
    await setEditorText(page, '68 6');
    expect(page.get('[data-test=validation-error]').text()).toContain('even number of digits');
  });

  it('validates YAML in the YAML view', async () => {
    const fake = new FakeAdminApi();
    fake.put('/settings', 'a: 1');
    const page = await selectKey(fake, '/settings');
    await page.get('[data-test=view-yaml]').trigger('click');
    await setEditorText(page, 'a: [1, 2');
    expect(page.get('[data-test=validation-error]').text()).toContain('Invalid YAML');
  });

  it('opens a value that is not UTF-8 in HEX, refuses a text view, and saves only the byte the user changed', async () => {
    const fake = new FakeAdminApi();
    const bytes = [0x00, 0xff, 0xfe, 0x41, 0x80, 0x81, 0x82, 0x42, 0xc3, 0x28];
    fake.putBase64('/blob', btoa(String.fromCharCode(...bytes)));
    const page = await selectKey(fake, '/blob');
    expect(page.get('[data-test=view-hex]').classes().join(' ')).toContain('checked');
    expect(page.get('[data-test=hex-only]').text()).toContain('not valid UTF-8');
    await page.get('[data-test=view-text]').trigger('click');
    await settle();
    expect(page.get('[data-test=switch-error]').text()).toContain('would replace its invalid bytes');
    expect(page.get('[data-test=view-hex]').classes().join(' ')).toContain('checked');
    await setEditorText(page, '00 ff fe 43 80 81 82 42 c3 28');
    await page.get('[data-test=save-key]').trigger('click');
    await settle();
    const changed = [...bytes];
    changed[3] = 0x43;
    expect(fake.callsTo('putKey')).toEqual([{ connectionId: 'c1', key: '/blob', value: btoa(String.fromCharCode(...changed)) }]);
  });

  it('opens a value with carriage returns in HEX, since a text box would turn them into line feeds', async () => {
    const fake = new FakeAdminApi();
    fake.put('/crlf', 'line one\r\nline two');
    const page = await selectKey(fake, '/crlf');
    expect(page.get('[data-test=view-hex]').classes().join(' ')).toContain('checked');
    expect(page.get('[data-test=hex-only]').text()).toContain('carriage returns');
    await page.get('[data-test=view-text]').trigger('click');
    await settle();
    expect(page.find('[data-test=switch-error]').exists()).toBe(true);
  });

  it('opens a Kubernetes object decoded and read-only, in YAML or JSON, and shows its raw bytes in HEX', async () => {
    const fake = new FakeAdminApi();
    const stored = storedConfigMap('default', 'x', { greeting: 'hello' });
    fake.putBase64('/registry/configmaps/default/x', bytesToBase64(stored));
    const page = await selectKey(fake, '/registry/configmaps/default/x');
    expect(page.get('[data-test=view-kubernetes]').classes().join(' ')).toContain('checked');
    expect(editorText(page)).toContain('kind: ConfigMap\nmetadata:\n  name: x\n  namespace: default\n');
    expect(editorText(page)).toContain('data:\n  greeting: hello\n');
    expect(editorReadOnly(page)).toBe(true);
    expect(page.get('[data-test=kubernetes-note]').text()).toContain('Editing is disabled for protobuf objects');
    expect(page.get('[data-test=save-key]').attributes('disabled')).toBeDefined();
    await page.get('[data-test=kubernetes-json]').trigger('click');
    await settle();
    expect(JSON.parse(editorText(page))).toMatchObject({ kind: 'ConfigMap', metadata: { name: 'x' }, data: { greeting: 'hello' } });
    await page.get('[data-test=view-hex]').trigger('click');
    await settle();
    expect(editorText(page).startsWith('6b 38 73 00 0a')).toBe(true);
    expect(editorReadOnly(page)).toBe(false);
    expect(page.find('[data-test=kubernetes-note]').exists()).toBe(false);
    await page.get('[data-test=view-kubernetes]').trigger('click');
    await settle();
    expect(editorText(page)).toContain('"kind": "ConfigMap"');
    expect(editorReadOnly(page)).toBe(true);
  });

  it('compares versions of a Kubernetes object as decoded YAML and loads one back into the Kubernetes view', async () => {
    const fake = new FakeAdminApi();
    fake.putBase64('/registry/configmaps/default/x', bytesToBase64(storedConfigMap('default', 'x', { color: 'blue' })));
    fake.putBase64('/registry/configmaps/default/x', bytesToBase64(storedConfigMap('default', 'x', { color: 'green' })));
    const page = await selectKey(fake, '/registry/configmaps/default/x');
    await page.get('[data-test=toggle-history]').trigger('click');
    await settle();
    const diff = page.get('[data-test=history-diff]').text();
    expect(diff).toContain('-   color: blue');
    expect(diff).toContain('+   color: green');
    await page.get('[data-test=key-history] button:last-of-type').trigger('click');
    await settle();
    expect(page.get('[data-test=view-kubernetes]').classes().join(' ')).toContain('checked');
    expect(editorText(page)).toContain('color: green');
  });

  it('opens a very large value read-only with a warning, and edits it when asked', async () => {
    const fake = new FakeAdminApi();
    fake.put('/big', JSON.stringify(new Array<number>(editableTextCharsMax / 2 + 1).fill(1)));
    const page = await selectKey(fake, '/big');
    expect(page.get('[data-test=view-json]').classes().join(' ')).toContain('checked');
    expect(page.get('[data-test=large-value]').text()).toContain('opened read-only');
    expect(editorReadOnly(page)).toBe(true);
    expect(page.get('[data-test=format-value]').attributes('disabled')).toBeDefined();
    await page.get('[data-test=edit-anyway]').trigger('click');
    await settle();
    expect(editorReadOnly(page)).toBe(false);
    expect(page.get('[data-test=format-value]').attributes('disabled')).toBeUndefined();
    await setEditorText(page, '[1]');
    expect(page.get('[data-test=save-key]').attributes('disabled')).toBeUndefined();
  });

  it('deletes a key only after the deletion is confirmed', async () => {
    const fake = new FakeAdminApi();
    fake.put('/doomed', 'x');
    const page = await selectKey(fake, '/doomed');
    await page.get('[data-test=delete-key] [data-test=confirm-ask]').trigger('click');
    expect(fake.callsTo('deleteKey')).toEqual([]);
    await page.get('[data-test=delete-key] [data-test=confirm-yes]').trigger('click');
    await settle();
    expect(fake.callsTo('deleteKey')).toEqual([{ connectionId: 'c1', key: '/doomed' }]);
    expect(page.findAll('[data-test=key-row]')).toHaveLength(0);
  });
});

describe('Keys page jumps', () => {
  it('shows the rows of a jump into the middle after a jump to the end', async () => {
    const fake = new FakeAdminApi();
    const count = 30_000;
    for (let index = 0; index < count; index++) fake.putBase64(`/k/${String(index).padStart(6, '0')}`, '');
    const page = await openKeysPage(fake);
    await scrollTo(page, count * 30);
    await scrollTo(page, (count / 2) * 30);
    expect(page.findAll('[data-test=key-row-pending]')).toHaveLength(0);
    expect(page.find(`[data-test=key-row][data-index="${count / 2}"]`).text()).toContain(`/k/0${count / 2}`);
  }, 60_000);

  it('scales scrolling beyond the height cap, so the last of 150,000 keys is reached', async () => {
    const fake = new FakeAdminApi();
    const count = 150_000;
    for (let index = 0; index < count; index++) fake.putBase64(`/k/${String(index).padStart(6, '0')}`, '');
    const page = await openKeysPage(fake);
    const spacer = page.get('[data-test=virtual-list] > div');
    expect(spacer.attributes('style')).toContain('height: 4000000px');
    await scrollTo(page, 4_000_000 - 520);
    expect(page.get('[data-test=keys-position]').text()).toContain('150,000 of 150,000 key(s)');
    expect(page.findAll('[data-test=key-row]').map((row) => row.text())).toContainEqual(expect.stringContaining('/k/149999'));
    await scrollTo(page, (4_000_000 - 520) / 2);
    const first = Number(page.get('[data-test=keys-position]').text().split('–')[0]!.replace(/,/g, '')) - 1;
    expect(Math.abs(first - count / 2)).toBeLessThan(20);
    expect(page.find(`[data-test=key-row][data-index="${first}"]`).text()).toContain(`/k/${String(first).padStart(6, '0')}`);
  }, 120_000);
});
