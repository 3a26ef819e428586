// End to end in Chromium: a local cluster launched secured from the Cluster page (TLS with its own
// CA and client certificates, authentication on with a root password; an empty password and a
// mismatching confirmation refused in words first), then the Auth page against that Rafter
// cluster: a role granted a prefix, a user given the role, each permission shown in words, and the
// key check saying what the user may read and write; the grant revoked, auth disabled and enabled.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, screenshot, startConsole, uiTimeoutMs, type Console } from './consoleHarness.js';

let console_: Console;
let page: Page;

beforeAll(async () => {
  console_ = await startConsole();
  page = console_.page;
  await page.goto(console_.host.url);
}, 180_000);

afterAll(async () => {
  await console_?.close();
});

/** Waits (bounded) until the launch form's error says `expected`. */
async function formSays(expected: RegExp): Promise<void> {
  const notice = page.locator('[data-test=local-form] [data-test=error-notice]');
  await expect.poll(async () => ((await notice.count()) > 0 ? await notice.textContent() : ''), { timeout: uiTimeoutMs }).toMatch(expected);
}

/** Picks `option` in the select `selectTest`, once the menu of the previous pick has faded out (bounded). */
async function choose(selectTest: string, option: string): Promise<void> {
  await expect.poll(() => page.locator('.n-base-select-menu:visible').count(), { timeout: uiTimeoutMs }).toBe(0);
  await page.locator(`[data-test=${selectTest}]`).click();
  await page.locator('.n-base-select-option:visible').filter({ hasText: new RegExp(`^${option}$`) }).click();
}

describe('a secured local cluster launched from the console', () => {
  it('refuses an empty root password and a mismatching confirmation in words', async () => {
    await openPage(page, 'Cluster');
    const panel = page.locator('[data-test=local-clusters]');
    await panel.locator('[data-test=local-name] input').fill('vault');
    await panel.locator('.n-select').click();
    await page.getByText('1 member', { exact: true }).click();
    await panel.locator('[data-test=local-tls-ca]').click();
    await panel.locator('[data-test=local-tls-help]').getByText(/makes a CA for this cluster/).waitFor();
    await panel.locator('[data-test=local-auth]').click();
    await panel.locator('[data-test=create-local]').click();
    await formSays(/Type a root password/);
    await panel.locator('[data-test=local-root-password] input').fill('root-secret');
    await panel.locator('[data-test=local-root-confirm] input').fill('root-secreT');
    await panel.locator('[data-test=create-local]').click();
    await formSays(/two root passwords differ/);
    expect(await panel.locator('[data-test=local-cluster-vault]').count()).toBe(0);
  });

  it('launches the cluster with its own CA and authentication, and says how the console signs in', async () => {
    const panel = page.locator('[data-test=local-clusters]');
    await panel.locator('[data-test=local-root-confirm] input').fill('root-secret');
    await panel.locator('[data-test=create-local]').click();
    const cluster = panel.locator('[data-test=local-cluster-vault]');
    await cluster.locator('[data-test=local-member-m1]').getByText('running').waitFor({ timeout: 60_000 });
    await cluster.locator('[data-test=local-security-tls]').getByText('TLS: own CA').waitFor();
    await cluster.locator('[data-test=local-security-auth]').waitFor();
    await cluster.locator('[data-test=local-security-notes]').getByText(/signs in as root/).waitFor();
    expect(await cluster.locator('[data-test=local-member-m1]').textContent()).toContain('https://127.0.0.1:');
    await page.locator('[data-test=active-connection]').getByText('local: vault', { exact: true }).waitFor();
    await screenshot(page, 'secured-local-cluster');
  });

  it('manages a role, a user and a prefix grant on the Auth page, and shows what they allow', async () => {
    await openPage(page, 'Auth');
    await page.locator('[data-test=auth-state]').getByText('enabled').waitFor();
    await page.locator('[data-test=user-root]').waitFor();
    await page.locator('[data-test=role-name] input').fill('app-rw');
    await page.locator('[data-test=add-role]').click();
    await page.locator('[data-test=role-app-rw]').getByText('no permissions').waitFor();
    await page.locator('[data-test=user-name] input').fill('alice');
    await page.locator('[data-test=user-password] input').fill('alice-password');
    await page.locator('[data-test=add-user]').click();
    await page.locator('[data-test=user-alice]').waitFor();
    await choose('grant-user', 'alice');
    await choose('grant-role-name', 'app-rw');
    await page.locator('[data-test=grant-role]').click();
    await page.locator('[data-test=user-alice]').getByText('app-rw').waitFor();
    await choose('perm-role', 'app-rw');
    await choose('perm-type', 'READWRITE');
    await page.locator('[data-test=perm-key] input').fill('app/');
    await page.locator('[data-test=grant-permission]').click();
    const permission = page.locator('[data-test=role-app-rw] [data-test=permission]');
    await permission.getByText('prefix app/').waitFor();
    expect(await permission.textContent()).toContain('READWRITE');

    await choose('key-check-subject', 'user alice');
    await page.locator('[data-test=key-check-key] input').fill('app/config');
    await page.locator('[data-test=key-check-sentence]').getByText('User alice may read and write app/config.').waitFor();
    await page.locator('[data-test=key-check-answer]').getByText('role app-rw: prefix app/ — READWRITE').waitFor();
    await page.locator('[data-test=key-check-key] input').fill('secret/plans');
    await page.locator('[data-test=key-check-sentence]').getByText('User alice may neither read nor write secret/plans.').waitFor();
    await screenshot(page, 'auth-permissions');

    // The grants are Rafter's, read back through the service.
    const clusters = await console_.service.listLocalClusters({});
    if (!clusters.ok) throw new Error(clusters.error.message);
    const roles = await console_.service.listRoles({ connectionId: clusters.value[0]!.connectionId });
    expect(roles.ok && roles.value.find((role) => role.name === 'app-rw')?.permissions).toEqual([{ type: 'readwrite', key: 'app/', rangeEnd: 'app0' }]);
    expect(console_.pageErrors).toEqual([]);
  });

  it('revokes the grant, and disables and enables authentication again as root', async () => {
    await page.locator('[data-test=role-app-rw] [data-test=revoke-permission]').click();
    await page.locator('[data-test=role-app-rw]').getByText('no permissions').waitFor();
    await page.locator('[data-test=key-check-key] input').fill('app/config');
    await page.locator('[data-test=key-check-sentence]').getByText('User alice may neither read nor write app/config.').waitFor();
    const card = page.locator('.n-card').filter({ hasText: 'Authentication is' });
    await card.locator('[data-test=confirm-ask]').filter({ hasText: 'Disable' }).click();
    await card.locator('[data-test=confirm-yes]').click();
    await page.locator('[data-test=auth-state]').getByText('disabled').waitFor();
    await card.locator('[data-test=confirm-ask]').filter({ hasText: 'Enable' }).click();
    await card.locator('[data-test=confirm-yes]').click();
    await page.locator('[data-test=auth-state]').getByText('enabled').waitFor();
    expect(console_.pageErrors).toEqual([]);
  });
});
