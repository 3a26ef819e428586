// End to end through the web console in Chromium: the renderer built fresh, the web host, the
// AdminService and a real etcd. Adds a connection through the form, visits every page, writes a
// key in the Keys page and sees it listed, and watches it change. Screenshots go to test-results/.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminService } from '../../core/admin/adminService.js';
import { startWebHost } from '../../core/admin/webHost.js';
import type { WebHost } from '../../core/admin/webHost.js';
import { EtcdTestCluster } from '../support/etcd.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const screenshots = path.join(root, 'test-results');
/** Upper bound for any single UI expectation; a bound, not a pause. */
const uiTimeoutMs = 15_000;

let etcd: EtcdTestCluster;
let service: AdminService;
let host: WebHost;
let browser: Browser;
let page: Page;
let buildDir: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  buildDir = await mkdtemp(path.join(os.tmpdir(), 'rafter-console-'));
  await promisify(execFile)(
    process.execPath,
    [path.join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'renderer/vite.config.ts', '--outDir', buildDir, '--emptyOutDir', '--logLevel', 'warn'],
    { cwd: root },
  );
  await mkdir(screenshots, { recursive: true });
  etcd = await EtcdTestCluster.start();
  service = new AdminService();
  host = await startWebHost({ service, staticDir: buildDir });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(uiTimeoutMs);
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await host?.close();
  service?.close();
  await etcd?.stop();
  if (buildDir) await rm(buildDir, { recursive: true, force: true });
});

async function openPage(title: string): Promise<void> {
  await page.locator('[data-test=nav]').getByText(new RegExp(`^${title}`)).first().click();
  await expect.poll(() => page.locator('[data-test=page-title]').textContent(), { timeout: uiTimeoutMs }).toBe(title);
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(screenshots, `console-${name}.png`), fullPage: true, animations: 'disabled' });
}

describe('web console', () => {
  it('loads the console and adds a connection through the form', async () => {
    await page.goto(host.url);
    await page.locator('[data-test=page-title]').waitFor();
    expect(await page.locator('[data-test=page-title]').textContent()).toBe('Connections');
    await page.locator('[data-test=field-name] input').fill('local etcd');
    await page.locator('[data-test=field-endpoints] input').fill(etcd.endpoints.join(','));
    await page.locator('[data-test=test-connection]').click();
    await page.locator('[data-test=probe-result]').waitFor();
    await page.locator('[data-test=save-connection]').click();
    await page.locator('[data-test="connection-local etcd"]').waitFor();
    await shot('connections');
  });

  it('shows the cluster members with their leader', async () => {
    await openPage('Cluster');
    await page.locator('[data-test=member-m1]').getByText('leader').waitFor();
    await shot('cluster');
  });

  it('writes a key in the Keys page and lists it', async () => {
    await openPage('Keys');
    await page.locator('[data-test=new-key-input] input').fill('/e2e/config');
    await page.locator('[data-test=new-key]').click();
    await page.locator('[data-test=value-input] textarea').fill('{"replicas": 3}');
    await page.locator('[data-test=save-key]').click();
    await page.locator('[data-test=key-row]').filter({ hasText: '/e2e/config' }).waitFor();
    await page.locator('[data-test=key-metadata]').waitFor();
    expect(await page.locator('[data-test=view-json]').getAttribute('class')).toContain('checked');
    const stored = await service.getKey({ connectionId: (await connectionId()), key: '/e2e/config' });
    expect(stored.ok && Buffer.from(stored.value.value, 'base64').toString('utf8')).toBe('{"replicas": 3}');
    await shot('keys');
  });

  it('shows live events on the Watches page', async () => {
    await openPage('Watches');
    await page.locator('[data-test=watch-key] input').fill('/e2e/');
    await page.locator('[data-test=start-watch]').click();
    await page.locator('[data-test=watch-tag]').waitFor();
    const put = await service.putKey({ connectionId: await connectionId(), key: '/e2e/live', value: Buffer.from('hello').toString('base64') });
    expect(put.ok).toBe(true);
    await page.locator('[data-test=event-row]').filter({ hasText: '/e2e/live' }).waitFor();
    await shot('watches');
  });

  it('visits the Raft, Snapshots, Leases and Auth pages without errors', async () => {
    await openPage('Raft');
    await page.locator('[data-test=raft-members]').waitFor();
    await page.locator('[data-test=term-chart]').waitFor();
    await shot('raft');
    await openPage('Snapshots');
    await page.locator('[data-test=no-alarms]').waitFor();
    await shot('snapshots');
    await openPage('Leases');
    await page.locator('[data-test=grant-lease]').click();
    await page.locator('[data-test=lease-table]').waitFor();
    await shot('leases');
    await openPage('Auth');
    await page.locator('[data-test=auth-state]').waitFor();
    expect(await page.locator('[data-test=auth-state]').textContent()).toContain('disabled');
    await shot('auth');
    await page.locator('[data-test=theme-toggle]').click();
    await openPage('Keys');
    await page.locator('[data-test=key-row]').first().waitFor();
    await shot('keys-dark');
    expect(pageErrors).toEqual([]);
  });
});

describe('local clusters in the web console', () => {
  it('launches a one-member local cluster, reads its log and destroys it', async () => {
    await openPage('Cluster');
    const panel = page.locator('[data-test=local-clusters]');
    await panel.locator('[data-test=local-name] input').fill('e2e');
    await panel.locator('.n-select').click();
    await page.getByText('1 member', { exact: true }).click();
    await panel.locator('[data-test=create-local]').click();
    await panel.locator('[data-test=local-member-m1]').getByText('running').waitFor({ timeout: 60_000 });
    await page.locator('[data-test=member-m1]').getByText('leader').waitFor();
    await panel.locator('[data-test=local-member-m1]').getByText('Log').click();
    await panel.locator('[data-test=member-log]').getByText('ready to serve client requests').waitFor();
    await shot('local-cluster');
    const cluster = panel.locator('[data-test=local-cluster-e2e]');
    await cluster.locator('[data-test=confirm-ask]').filter({ hasText: 'Destroy' }).click();
    await cluster.locator('[data-test=confirm-yes]').click();
    await cluster.waitFor({ state: 'detached' });
    expect(pageErrors).toEqual([]);
  });
});

async function connectionId(): Promise<string> {
  const list = await service.listConnections({});
  if (!list.ok || !list.value[0]) throw new Error('no connection saved');
  return list.value[0].id;
}
