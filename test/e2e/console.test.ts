// End to end through the web console in Chromium: the renderer built fresh, the web host, the
// AdminService on a fresh data folder and real Rafter members and a real etcd. The first run opens
// on the default 3-member local cluster; the test writes and watches keys there, reads replication
// progress on the Raft page, adds an etcd connection through the form, survives a restart of the
// host (the page reconnects and live events resume), and launches and destroys another local
// cluster. Screenshots go to test-results/.
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
import { appDataOptions } from '../../core/admin/appData.js';
import { compiledMemberCommand } from '../../core/admin/memberCommand.js';
import { startWebHost } from '../../core/admin/webHost.js';
import type { WebHost } from '../../core/admin/webHost.js';
import { EtcdTestCluster } from '../support/etcd.js';
import { fillEditor } from './consoleHarness.js';

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
let dataDir: string;
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
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'rafter-console-data-'));
  const memberCommand = compiledMemberCommand();
  if (!memberCommand) throw new Error('the rafter member command is missing from this checkout');
  service = new AdminService(appDataOptions(dataDir, memberCommand));
  await service.open();
  const created = await service.createFirstRunCluster();
  if (!created) throw new Error('the first run did not create the default local cluster');
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
  await service?.close();
  await etcd?.stop();
  if (buildDir) await rm(buildDir, { recursive: true, force: true });
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function openPage(title: string): Promise<void> {
  await page.locator('[data-test=nav]').getByText(new RegExp(`^${title}`)).first().click();
  await expect.poll(() => page.locator('[data-test=page-title]').textContent(), { timeout: uiTimeoutMs }).toBe(title);
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(screenshots, `console-${name}.png`), fullPage: true, animations: 'disabled' });
}

describe('web console', () => {
  it('opens on the default 3-member local cluster on the first run', async () => {
    await page.goto(host.url);
    await expect.poll(() => page.locator('[data-test=page-title]').textContent(), { timeout: uiTimeoutMs }).toBe('Cluster');
    for (const name of ['m1', 'm2', 'm3']) await page.locator(`[data-test=member-${name}]`).waitFor();
    await page.locator('[data-test=member-table]').getByText('leader').first().waitFor();
    await page.locator('[data-test=local-cluster-default]').getByText('running').first().waitFor();
    expect(Number(await page.locator('[data-test=cluster-revision] .n-statistic-value__content').textContent())).toBeGreaterThanOrEqual(1);
    await shot('cluster');
  });

  it('writes a key in the Keys page and lists it', async () => {
    const local = await connectionId('local: default');
    const seeded: [string, string][] = [
      ['/app/config/feature-flags', '{"search": true, "beta": false}'],
      ['/app/config/limits', 'max_connections: 512\nrequest_timeout: 5s\n'],
      ['/app/leader', 'worker-2'],
      ['/services/api/instance-1', '{"addr": "10.0.0.11:8080", "healthy": true}'],
      ['/services/api/instance-2', '{"addr": "10.0.0.12:8080", "healthy": true}'],
      ['/services/web/instance-1', '{"addr": "10.0.0.21:443", "healthy": true}'],
      ['/locks/migrations', 'held by deploy-42'],
    ];
    for (const [key, text] of seeded) {
      expect((await service.putKey({ connectionId: local, key, value: Buffer.from(text).toString('base64') })).ok).toBe(true);
    }
    await openPage('Keys');
    await page.locator('[data-test=new-key-input] input').fill('/e2e/config');
    await page.locator('[data-test=new-key]').click();
    await fillEditor(page, '{"replicas": 3}');
    await page.locator('[data-test=save-key]').click();
    await page.locator('[data-test=key-row]').filter({ hasText: '/e2e/config' }).waitFor();
    await page.locator('[data-test=key-metadata]').waitFor();
    expect(await page.locator('[data-test=view-json]').getAttribute('class')).toContain('checked');
    const stored = await service.getKey({ connectionId: await connectionId('local: default'), key: '/e2e/config' });
    expect(stored.ok && Buffer.from(stored.value.value, 'base64').toString('utf8')).toBe('{"replicas": 3}');
    await shot('keys');
  });

  it('shows live events on the Watches page', async () => {
    await openPage('Watches');
    await page.locator('[data-test=watch-key] input').fill('/e2e/');
    await page.locator('[data-test=start-watch]').click();
    await page.locator('[data-test=watch-tag]').waitFor();
    const put = await service.putKey({ connectionId: await connectionId('local: default'), key: '/e2e/live', value: Buffer.from('hello').toString('base64') });
    expect(put.ok).toBe(true);
    await page.locator('[data-test=event-row]').filter({ hasText: '/e2e/live' }).waitFor();
    await shot('watches');
  });

  it('resumes live events after the host restarts at the same address', async () => {
    const { port, token } = host;
    const errorsBefore = pageErrors.length;
    await host.close();
    await page.locator('[data-test=host-link-down]').waitFor();
    host = await startWebHost({ service, staticDir: buildDir, port, token });
    await page.locator('[data-test=host-link-down]').waitFor({ state: 'detached' });
    const put = await service.putKey({ connectionId: await connectionId('local: default'), key: '/e2e/after-restart', value: Buffer.from('again').toString('base64') });
    expect(put.ok).toBe(true);
    await page.locator('[data-test=event-row]').filter({ hasText: '/e2e/after-restart' }).waitFor();
    // While the host was away the browser logged its refused connections; nothing else may appear.
    const during = pageErrors.splice(errorsBefore);
    expect(during.filter((message) => !/ERR_CONNECTION_REFUSED|WebSocket connection/.test(message))).toEqual([]);
  });

  it('shows each follower’s replication progress and a member’s log on the Raft page', async () => {
    await openPage('Raft');
    await page.locator('[data-test=raft-members]').waitFor();
    await page.locator('[data-test=raft-progress]').getByText('replicate').first().waitFor();
    expect(await page.locator('[data-test=raft-progress] tbody tr').count()).toBe(2);
    await page.locator('[data-test=term-chart]').waitFor();
    await page.locator('[data-test=log-member]').click();
    await page.locator('.n-base-select-option').first().click();
    await page.locator('[data-test=load-log]').click();
    await page.locator('[data-test=log-window]').getByText('leader no-op').first().waitFor();
    await page.locator('.n-message').first().waitFor({ state: 'detached' });
    await shot('raft');
  });

  it('adds an etcd connection through the form and browses its keys', async () => {
    await openPage('Connections');
    await page.locator('[data-test=field-name] input').fill('local etcd');
    await page.locator('[data-test=field-endpoints] input').fill(etcd.endpoints.join(','));
    await page.locator('[data-test=test-connection]').click();
    await page.locator('[data-test=probe-result]').waitFor();
    await page.locator('[data-test=save-connection]').click();
    await page.locator('[data-test="connection-local etcd"]').waitFor();
    await shot('connections');
    const etcdId = await connectionId('local etcd');
    expect((await service.putKey({ connectionId: etcdId, key: '/etcd/only', value: Buffer.from('e').toString('base64') })).ok).toBe(true);
    await openPage('Keys');
    await page.locator('[data-test=key-row]').filter({ hasText: '/etcd/only' }).waitFor();
    await expect.poll(async () => service.loadPreferences({}), { timeout: uiTimeoutMs }).toMatchObject({ ok: true, value: { connectionId: etcdId } });
  });

  it('visits the Snapshots, Leases and Auth pages without errors and saves the theme with the host', async () => {
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
    const before = await service.loadPreferences({});
    await page.locator('[data-test=theme-toggle]').click();
    await expect.poll(async () => {
      const after = await service.loadPreferences({});
      return after.ok && before.ok && after.value.theme !== before.value.theme && after.value.theme !== 'system';
    }, { timeout: uiTimeoutMs }).toBe(true);
    expect(await page.evaluate<number>('window.localStorage.length')).toBe(0);
    await openPage('Keys');
    await page.locator('[data-test=key-row]').first().waitFor();
    await shot('keys-theme');
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
    const cluster = panel.locator('[data-test=local-cluster-e2e]');
    await cluster.locator('[data-test=local-member-m1]').getByText('running').waitFor({ timeout: 60_000 });
    await page.locator('[data-test=member-m1]').getByText('leader').waitFor();
    await cluster.locator('[data-test=local-member-m1]').getByText('Log').click();
    await panel.locator('[data-test=member-log]').getByText('ready to serve client requests').waitFor();
    await shot('local-cluster');
    await cluster.locator('[data-test=confirm-ask]').filter({ hasText: 'Destroy' }).click();
    await cluster.locator('[data-test=confirm-yes]').click();
    await cluster.waitFor({ state: 'detached' });
    expect(pageErrors).toEqual([]);
  });
});

async function connectionId(name: string): Promise<string> {
  const list = await service.listConnections({});
  const found = list.ok ? list.value.find((connection) => connection.name === name) : undefined;
  if (!found) throw new Error(`no connection named ${name}`);
  return found.id;
}
