// End to end through the web console in Chromium: a local cluster launched with a grpc-proxy in
// front from the Cluster page; the proxy card shows its address, upstream member, health, cache
// hit rate and coalesced watchers from the proxy's own /metrics; "Connect through proxy" switches
// the console to a connection to the proxy, whose Keys page browses the keys inside the proxy's
// namespace. Screenshot: test-results/console-proxy-cluster.png.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminService } from '../../core/admin/adminService.js';
import { EtcdClient } from '../../core/client/etcdClient.js';
import { connectionId, openPage, screenshot, startConsole, uiTimeoutMs } from './consoleHarness.js';
import type { Console } from './consoleHarness.js';

/** Bound on the cluster and its proxy starting from the Launch button. */
const launchTimeoutMs = 60_000;
const namespace = 'shop/';

let console_: Console;
let page: Page;
let service: AdminService;

beforeAll(async () => {
  console_ = await startConsole();
  ({ page, service } = console_);
}, 180_000);

afterAll(async () => {
  await console_?.close();
});

function text(locator: ReturnType<Page['locator']>): Promise<string> {
  return locator.innerText().then((inner) => inner.replace(/\s+/g, ' ').trim());
}

describe('a local cluster launched with a grpc-proxy', () => {
  it('shows the proxy card with its figures, and browses keys through the proxy', async () => {
    await page.goto(console_.host.url);
    await openPage(page, 'Cluster');
    const card = page.locator('[data-test=local-clusters]');
    await card.locator('[data-test=local-name] input').fill('edge');
    await card.locator('.n-base-selection').first().click();
    await page.locator('.n-base-select-option').filter({ hasText: /^1 member$/ }).click();
    await card.locator('[data-test=create-with-proxy]').click();
    await card.locator('[data-test=create-proxy-namespace] input').fill(namespace);
    await card.locator('[data-test=create-local]').click();
    const proxyRow = page.locator('[data-test=local-cluster-edge] [data-test=local-proxy]');
    await proxyRow.getByText('running', { exact: true }).waitFor({ timeout: launchTimeoutMs });

    const listed = await service.listLocalClusters({});
    const cluster = listed.ok ? listed.value.find((candidate) => candidate.name === 'edge') : undefined;
    const proxy = cluster?.proxy;
    expect(proxy).toMatchObject({ namespace, state: 'running' });
    await page.locator('[data-test=active-connection]').getByText('local: edge', { exact: true }).waitFor();
    const proxyCard = page.locator('[data-test=proxy-card]');
    await proxyCard.locator('[data-test=proxy-health]').getByText('healthy', { exact: true }).waitFor({ timeout: launchTimeoutMs });
    expect(await text(proxyCard.locator('[data-test=proxy-address]'))).toBe(proxy!.clientUrl);
    expect(await text(proxyCard.locator('[data-test=proxy-namespace]'))).toBe(namespace);
    expect(await text(proxyCard.locator('[data-test=proxy-upstream]'))).toContain(cluster!.members[0]!.clientUrl);

    // Work through the proxy: keys put, three serializable reads of one key (one miss, two
    // hits), and two console watches on one prefix that the proxy serves with one upstream watch.
    await page.locator('[data-test=connect-through-proxy]').click();
    await page.locator('[data-test=active-connection]').getByText('local: edge via proxy', { exact: true }).waitFor();
    const throughProxy = await connectionId(service, 'local: edge via proxy');
    for (const key of ['/orders/1', '/orders/2', '/stock/apples']) {
      expect((await service.putKey({ connectionId: throughProxy, key, value: Buffer.from(`value of ${key}`).toString('base64') })).ok).toBe(true);
    }
    const client = new EtcdClient({ endpoints: [proxy!.clientUrl] });
    try {
      for (let read = 0; read < 3; read++) await client.kv.get('/stock/apples', { serializable: true });
    } finally {
      client.close();
    }
    for (let index = 0; index < 2; index++) {
      expect((await service.startWatch({ connectionId: throughProxy, key: '/orders/', prefix: true, prevKv: false })).ok).toBe(true);
    }
    // The card follows the status ticks of the connection through the proxy too.
    await expect.poll(() => text(proxyCard.locator('[data-test=proxy-watchers]')), { timeout: uiTimeoutMs }).toContain('2 / 1');
    const hitRate = await text(proxyCard.locator('[data-test=proxy-hit-rate]'));
    expect(hitRate).toMatch(/^Cache hit rate \d+\.\d %/);
    expect(hitRate).toMatch(/[1-9]\d* hits?, [1-9]\d* miss(es)?/);
    await page.locator('[data-test=through-proxy-note]').waitFor();
    // Through the proxy the member list is the proxy itself: no leader transfer is offered on it.
    expect(await page.locator('[data-test=member-table]').getByText('Make leader').count()).toBe(0);
    await screenshot(page, 'proxy-cluster');

    // The key browser through the proxy sees the keys without the namespace the proxy adds.
    await openPage(page, 'Keys');
    for (const key of ['/orders/1', '/orders/2', '/stock/apples']) await page.locator('[data-test=key-row]').filter({ hasText: key }).first().waitFor();
    const direct = await service.listKeys({ connectionId: cluster!.connectionId, prefix: namespace, cursor: null, limit: 10 });
    expect(direct.ok && direct.value.items.map((item) => item.key)).toEqual([`${namespace}/orders/1`, `${namespace}/orders/2`, `${namespace}/stock/apples`]);
    await screenshot(page, 'proxy-keys');
    expect(console_.pageErrors).toEqual([]);
  });
});
