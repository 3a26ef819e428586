// The key editor in Chromium through the web console: a Kubernetes ConfigMap stored as protobuf
// under /registry/… opens decoded (YAML, read-only), and the code editor highlights, folds and
// searches JSON, under the console's Content-Security-Policy (no eval), with no page errors.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminService } from '../../core/admin/adminService.js';
import { storedConfigMap } from '../support/kubernetesFixtures.js';
import { editorText, fillEditor, openPage, screenshot, selectConnection, startConsole, uiTimeoutMs } from './consoleHarness.js';
import type { Console } from './consoleHarness.js';

let console_: Console;
let page: Page;
let service: AdminService;
let connectionId: string;

beforeAll(async () => {
  console_ = await startConsole();
  ({ page, service } = console_);
  const created = await service.createLocalCluster({ name: 'kube', memberCount: 1 });
  if (!created.ok) throw new Error(created.error.message);
  connectionId = created.value.connectionId;
  await page.goto(console_.host.url);
  await selectConnection(page, 'local: kube');
}, 180_000);

afterAll(async () => {
  await console_?.close();
});

async function openKey(key: string): Promise<void> {
  await openPage(page, 'Keys');
  await page.locator('[data-test=prefix-input] input').fill(key);
  await page.locator('[data-test=apply-prefix]').click();
  await page.locator('[data-test=key-row]').filter({ hasText: key }).click();
  await page.locator('[data-test=editor-key]').getByText(key).waitFor();
}

describe('the key editor', () => {
  it('shows a ConfigMap stored by Kubernetes as decoded, read-only YAML', async () => {
    const value = Buffer.from(storedConfigMap('default', 'x', { 'app.properties': 'color=blue\nsize=3\n', mode: 'prod' })).toString('base64');
    const put = await service.putKey({ connectionId, key: '/registry/configmaps/default/x', value });
    expect(put.ok).toBe(true);
    await openKey('/registry/configmaps/default/x');
    await page.locator('[data-test=kubernetes-note]').getByText('Editing is disabled for protobuf objects').waitFor();
    expect(await page.locator('[data-test=view-kubernetes]').getAttribute('class')).toContain('checked');
    await expect.poll(() => editorText(page), { timeout: uiTimeoutMs }).toContain('kind: ConfigMap');
    const text = await editorText(page);
    expect(text).toContain('apiVersion: v1');
    expect(text).toContain('metadata:\n  name: x\n  namespace: default');
    expect(text).toContain('data:\n  app.properties: |\n    color=blue\n    size=3\n  mode: prod');
    expect(await page.locator('[data-test=value-input] .cm-content').getAttribute('aria-readonly')).toBe('true');
    // Typing changes nothing, but the text can still be searched.
    await page.locator('[data-test=value-input] .cm-content').click();
    await page.keyboard.type('zzz');
    expect(await editorText(page)).not.toContain('zzz');
    await page.keyboard.press('Control+f');
    await page.locator('[data-test=value-input] .cm-search input[name=search]').fill('namespace');
    await page.locator('[data-test=value-input] .cm-search input[name=search]').press('Enter');
    await page.locator('[data-test=value-input] .cm-searchMatch').first().waitFor();
    await page.locator('[data-test=value-input] .cm-search input[name=search]').press('Escape');
    expect(await page.locator('[data-test=save-key]').isDisabled()).toBe(true);
    await page.locator('[data-test=value-input] .cm-foldGutter').waitFor();
    await screenshot(page, 'kubernetes');
    await page.locator('[data-test=theme-toggle]').click();
    await screenshot(page, 'kubernetes-dark');
    await page.locator('[data-test=theme-toggle]').click();
    await page.locator('[data-test=kubernetes-json]').click();
    await expect.poll(() => editorText(page), { timeout: uiTimeoutMs }).toContain('"kind": "ConfigMap"');
  });

  it('highlights, folds and searches JSON, and saves what was typed', async () => {
    await service.putKey({ connectionId, key: '/app/settings', value: Buffer.from('{"a": 1}').toString('base64') });
    await openKey('/app/settings');
    await expect.poll(() => editorText(page), { timeout: uiTimeoutMs }).toBe('{"a": 1}');
    await fillEditor(page, '{\n  "replicas": 3,\n  "labels": {\n    "tier": "web"\n  }\n}');
    await page.locator('[data-test=value-input] .cm-foldGutter').waitFor();
    expect(await page.locator('[data-test=value-input] .cm-lineNumbers .cm-gutterElement').filter({ hasText: /^6$/ }).count()).toBe(1);
    // Highlighted: property names are styled spans inside the lines.
    expect(await page.locator('[data-test=value-input] .cm-line span').count()).toBeGreaterThan(3);
    await page.locator('[data-test=value-input] .cm-content').press('Control+f');
    await page.locator('[data-test=value-input] .cm-search input[name=search]').fill('tier');
    await page.locator('[data-test=value-input] .cm-search input[name=search]').press('Enter');
    await page.locator('[data-test=value-input] .cm-searchMatch').first().waitFor();
    await page.locator('[data-test=value-input] .cm-search input[name=search]').press('Escape');
    await page.locator('[data-test=save-key]').click();
    await expect
      .poll(async () => {
        const stored = await service.getKey({ connectionId, key: '/app/settings' });
        return stored.ok ? Buffer.from(stored.value.value, 'base64').toString('utf8') : null;
      }, { timeout: uiTimeoutMs })
      .toBe('{\n  "replicas": 3,\n  "labels": {\n    "tier": "web"\n  }\n}');
    expect(console_.pageErrors).toEqual([]);
  });
});
