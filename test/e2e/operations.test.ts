// End to end through the web console in Chromium, on real local Rafter clusters: killing the
// leader from the Cluster page and seeing the election on the Cluster and Raft pages; saving a
// snapshot and restoring it into a new cluster whose keys match; paging through 120,000 keys with
// every fetch one page, a bounded number of rows and pages held, jumping to the last key, and
// finding one near the end by server-side prefix search; the folder view of 100,000 keys.
// Screenshots go to test-results/.
import path from 'node:path';
import type { Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminService } from '../../core/admin/adminService.js';
import type { KeyPage } from '../../core/admin/api.js';
import { EtcdClient } from '../../core/client/etcdClient.js';
import { Op } from '../../core/client/txn.js';
import { connectionId, editorText, openPage, screenshot, selectConnection, startConsole, uiTimeoutMs } from './consoleHarness.js';
import type { Console } from './consoleHarness.js';

/** Bound on an election after the leader is killed, as the status ticks report it. */
const electionTimeoutMs = 30_000;
/** Keys the paging test loads under /bulk/ (the folder view's screenshot shows them). */
const bulkKeyCount = 100_000;
/** Keys it loads under /more/ besides, so the listing holds 120,000 (deleted before the folder view). */
const moreKeyCount = 20_000;
/** Most pages the Keys page keeps (renderer/stores/keys.ts keptPagesMax). */
const keptPagesMax = 12;
/** Puts per transaction while loading them. */
const bulkTxnPuts = 100;
/** Transactions in flight at once while loading them. */
const bulkConcurrency = 16;
/** Keys per page the Keys page asks for (renderer/stores/keys.ts keyPageSize). */
const keyPageSize = 200;

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

/** The part of a scrollable element the test touches (the test's program has no DOM types). */
interface Scrollable {
  scrollTop: number;
  readonly scrollHeight: number;
}

/** Scrolls an element to its end; runs in the page. */
function scrollToEnd(element: Scrollable): number {
  element.scrollTop = element.scrollHeight;
  return element.scrollTop;
}

function bulkKey(index: number): string {
  return `/bulk/k-${String(index).padStart(6, '0')}`;
}

function moreKey(index: number): string {
  return `/more/k-${String(index).padStart(6, '0')}`;
}

/** Scrolls an element to a fraction of its height; runs in the page. */
function scrollToFraction(element: Scrollable, fraction: number): number {
  element.scrollTop = Math.floor(element.scrollHeight * fraction);
  return element.scrollTop;
}

async function createLocal(name: string, memberCount: 1 | 3): Promise<{ clusterId: string; connectionId: string; clientUrls: string[] }> {
  const created = await service.createLocalCluster({ name, memberCount });
  if (!created.ok) throw new Error(created.error.message);
  return { clusterId: created.value.id, connectionId: created.value.connectionId, clientUrls: created.value.members.map((member) => member.clientUrl) };
}

/** The text of a cell of the Cluster page's member table (0-based column). */
async function memberCell(name: string, column: number): Promise<string> {
  return ((await page.locator(`[data-test=member-${name}] td`).nth(column).textContent()) ?? '').trim();
}

async function leaderName(): Promise<string> {
  return ((await page.locator('[data-test=cluster-leader] .n-statistic-value__content').textContent()) ?? '').trim();
}

describe('a leader killed from the Cluster page', () => {
  it('is replaced by another member, marked leader on the Cluster page, with a higher term on the Raft page', async () => {
    await createLocal('failover', 3);
    await page.goto(console_.host.url);
    await selectConnection(page, 'local: failover');
    await openPage(page, 'Cluster');
    const panel = page.locator('[data-test=local-cluster-failover]');
    for (const name of ['m1', 'm2', 'm3']) await panel.locator(`[data-test=local-member-${name}]`).getByText('running').waitFor();
    await expect.poll(leaderName, { timeout: electionTimeoutMs }).toMatch(/^m[123]$/);
    const oldLeader = await leaderName();
    await page.locator(`[data-test=member-${oldLeader}]`).getByText('leader', { exact: true }).waitFor();
    const oldTerm = Number(await memberCell(oldLeader, 4));
    expect(oldTerm).toBeGreaterThanOrEqual(1);

    const row = panel.locator(`[data-test=local-member-${oldLeader}]`);
    await row.locator('[data-test=confirm-ask]').filter({ hasText: 'Kill' }).click();
    await row.locator('[data-test=confirm-yes]').click();
    await row.getByText('killed', { exact: true }).waitFor();

    await expect.poll(leaderName, { timeout: electionTimeoutMs }).toMatch(new RegExp(`^(?!${oldLeader}$)m[123]$`));
    const newLeader = await leaderName();
    await page.locator(`[data-test=member-${newLeader}]`).getByText('leader', { exact: true }).waitFor();
    const killedRow = page.locator(`[data-test=member-${oldLeader}]`);
    await killedRow.getByText('unreachable').waitFor();
    await killedRow.getByText('unknown', { exact: true }).waitFor();
    expect(Number(await memberCell(newLeader, 4))).toBeGreaterThan(oldTerm);
    await screenshot(page, 'failover-cluster');

    const status = await service.clusterStatus({ connectionId: await connectionId(service, 'local: failover') });
    const newLeaderId = status.ok ? status.value.leaderId : null;
    expect(newLeaderId).not.toBeNull();
    await openPage(page, 'Raft');
    const raftRow = page.locator('[data-test=raft-members] tbody tr').filter({ hasText: new RegExp(`^${newLeader}\\b`) });
    await raftRow.getByText('leader', { exact: true }).waitFor();
    expect(Number(((await raftRow.locator('td').nth(2).textContent()) ?? '').trim())).toBeGreaterThan(oldTerm);
    // The timeline holds the term before the kill and a later term led by the new leader.
    const chartLabels = async (): Promise<string[]> => page.locator('[data-test=term-chart] circle title').allTextContents();
    // Leaders are named as the member table names them, with etcdctl's hex id.
    await expect.poll(chartLabels, { timeout: uiTimeoutMs }).toContainEqual(expect.stringMatching(new RegExp(`^term ${oldTerm}, leader ${oldLeader} \\([0-9a-f]+\\)$`)));
    const later = (await chartLabels())
      .map((label) => /^term (\d+), leader (\S+) \(([0-9a-f]+)\)$/.exec(label))
      .filter((match) => match !== null && Number(match[1]) > oldTerm && match[2] === newLeader && match[3] === BigInt(newLeaderId!).toString(16));
    expect(later.length).toBeGreaterThanOrEqual(1);
    await screenshot(page, 'failover-raft');
    expect(console_.pageErrors).toEqual([]);
  });
});

describe('a snapshot saved and restored from the Snapshots page', () => {
  it('restores into a new local cluster whose keys match the original’s', async () => {
    const source = await createLocal('snapsrc', 1);
    const seeded = Array.from({ length: 30 }, (_, index) => [
      `/snap/${index % 3 === 0 ? 'config' : 'data'}/item-${String(index).padStart(2, '0')}`,
      JSON.stringify({ index, owner: `team-${index % 4}` }),
    ] as const);
    for (const [key, text] of seeded) {
      expect((await service.putKey({ connectionId: source.connectionId, key, value: Buffer.from(text).toString('base64') })).ok).toBe(true);
    }
    await page.goto(console_.host.url);
    await selectConnection(page, 'local: snapsrc');
    await openPage(page, 'Snapshots');
    const file = path.join(console_.scratchDir, 'snapsrc.db');
    await page.locator('[data-test=snapshot-path] input').fill(file);
    await page.locator('[data-test=save-snapshot]').click();
    await page.locator('[data-test=snapshot-saved]').getByText(file).waitFor({ timeout: 30_000 });

    await page.locator('[data-test=snapshot-open-path] input').fill(file);
    // The check reads what the file holds: the revision of the last put, every key, the database size.
    await page.getByRole('button', { name: 'Check', exact: true }).click();
    const contents = page.locator('[data-test=snapshot-contents]');
    await contents.getByText(`revision ${seeded.length + 1} · ${seeded.length} key(s)`).waitFor();
    expect(await contents.textContent()).toMatch(/database \d+(\.\d+)? (KiB|MiB) · hash [0-9a-f]+/);
    await page.locator('[data-test=restore-name] input').fill('restored');
    await page.locator('[data-test=restore-snapshot]').click();
    await page.locator('[data-test=active-connection]').getByText('local: restored', { exact: true }).waitFor({ timeout: 45_000 });
    await page.locator('[data-test=restore-notice]').getByText(`into the new local cluster restored (1 member, running)`).waitFor();

    await openPage(page, 'Keys');
    await page.locator('[data-test=keys-footer]').getByText(`of ${seeded.length} key(s)`).waitFor();
    const shown = await page.locator('[data-test=key-row] .key-list__key').allTextContents();
    expect(shown.map((key) => key.trim())).toEqual(seeded.map(([key]) => key).sort());
    const [sampleKey, sampleText] = seeded[7]!;
    await page.locator('[data-test=key-row]').filter({ hasText: sampleKey }).click();
    await expect.poll(() => editorText(page), { timeout: uiTimeoutMs }).toBe(sampleText);
    await screenshot(page, 'snapshot-restored-keys');

    // Every key and value of the restored cluster, read through the service, equals the source's.
    const restoredId = await connectionId(service, 'local: restored');
    expect(restoredId).not.toBe(source.connectionId);
    const [original, restored] = await Promise.all([
      service.exportKeys({ connectionId: source.connectionId, prefix: '/snap/' }),
      service.exportKeys({ connectionId: restoredId, prefix: '/snap/' }),
    ]);
    expect(original.ok && restored.ok).toBe(true);
    if (original.ok && restored.ok) {
      expect(restored.value.keys).toEqual(original.value.keys);
      expect(restored.value.keys).toHaveLength(seeded.length);
    }
    expect(console_.pageErrors).toEqual([]);
  });
});

describe('120,000 keys in the Keys page', () => {
  it('pages through every key from bounded fetches, jumps to the last key, keeps rows and pages bounded, and finds a key by prefix', async () => {
    const bulk = await createLocal('bulk', 1);
    const client = new EtcdClient({ endpoints: bulk.clientUrls });
    const total = bulkKeyCount + moreKeyCount;
    try {
      let nextTxn = 0;
      const txnCount = total / bulkTxnPuts;
      const worker = async (): Promise<void> => {
        for (let txn = nextTxn++; txn < txnCount; txn = nextTxn++) {
          const puts = Array.from({ length: bulkTxnPuts }, (_, offset) => {
            const index = txn * bulkTxnPuts + offset;
            return index < bulkKeyCount ? Op.put(bulkKey(index), `value-${index}`) : Op.put(moreKey(index - bulkKeyCount), 'more');
          });
          const result = await client.kv.txn().then(...puts).commit();
          expect(result.succeeded).toBe(true);
        }
      };
      await Promise.all(Array.from({ length: bulkConcurrency }, worker));
      const counted = await client.kv.get('\0', { fromKey: true, countOnly: true });
      expect(counted.count).toBe(total);
    } finally {
      client.close();
    }

    // Every listKeys answer the page receives: how many keys it fetched, and with which limit.
    const fetched: { limit: number; items: number }[] = [];
    const fetchedKeys = (): number => fetched.reduce((sum, answer) => sum + answer.items, 0);
    const onResponse = async (response: Response): Promise<void> => {
      if (!response.url().endsWith('/api/listKeys')) return;
      const request = JSON.parse(response.request().postData() ?? '{}') as { connectionId: string; limit: number };
      if (request.connectionId !== bulk.connectionId) return;
      const body = (await response.json()) as { ok: boolean; value?: KeyPage };
      fetched.push({ limit: request.limit, items: body.value?.items.length ?? 0 });
    };
    const listener = (response: Response): void => void onResponse(response);
    page.on('response', listener);
    const count = (n: number): string => n.toLocaleString('en-US');
    try {
      await page.goto(console_.host.url);
      await selectConnection(page, 'local: bulk');
      await openPage(page, 'Keys');
      const position = page.locator('[data-test=keys-position]');
      await position.getByText(` of ${count(total)} key(s)`).waitFor();
      await page.locator('[data-test=key-row]').filter({ hasText: bulkKey(0) }).waitFor();
      expect(fetched.every((answer) => answer.limit <= keyPageSize && answer.items <= keyPageSize)).toBe(true);
      // The virtual list renders a window of rows, not every loaded key.
      expect(await page.locator('[data-test=key-row]').count()).toBeLessThan(60);

      // To the end: the last key, the count right, one more page fetched from the end.
      const list = page.locator('[data-test=virtual-list]');
      expect(await list.evaluate(scrollToEnd)).toBeGreaterThan(0);
      await page.locator('[data-test=key-row]').filter({ hasText: moreKey(moreKeyCount - 1) }).waitFor();
      await position.getByText(`${count(total)} of ${count(total)} key(s)`).waitFor();
      await screenshot(page, 'bulk-keys-end');

      // Through the middle and back: rows and kept pages stay bounded; dropped pages come back.
      for (const fraction of [0.5, 0.25, 0.75, 0.1, 0.9, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8, 0.05, 0.95, 0.45]) {
        const scrolled = await list.evaluate(scrollToFraction, fraction);
        // The list is shorter than the height cap, so a row is exactly rowHeight (30 px) of scrolling.
        const first = Math.floor(scrolled / 30);
        await position.getByText(`${count(first + 1)}–`).waitFor();
        await expect.poll(() => page.locator('[data-test=key-row-pending]').count(), { timeout: uiTimeoutMs }).toBe(0);
        const expectedKey = first < bulkKeyCount ? bulkKey(first) : moreKey(first - bulkKeyCount);
        expect((await page.locator(`[data-test=key-row][data-index="${first}"] .key-list__key`).textContent())?.trim()).toBe(expectedKey);
        expect(await page.locator('[data-test=key-row]').count()).toBeLessThan(60);
        const kept = Number((await page.locator('[data-test=keys-kept]').textContent())?.match(/\d+/)?.[0]);
        expect(kept).toBeLessThanOrEqual(keptPagesMax);
      }
      await list.evaluate(scrollToFraction, 0);
      await page.locator('[data-test=key-row]').filter({ hasText: bulkKey(0) }).waitFor();
      await position.getByText(`1–`).waitFor();
      expect(fetched.every((answer) => answer.limit <= keyPageSize && answer.items <= keyPageSize)).toBe(true);
      // Each fetch is one page: the keys fetched are a small part of the key space.
      expect(fetchedKeys()).toBeLessThan(total / 10);
      await screenshot(page, 'bulk-keys-paged');

      const target = bulkKeyCount - 13;
      const prefix = bulkKey(target).slice(0, -1);
      const before = fetchedKeys();
      await page.locator('[data-test=prefix-input] input').fill(prefix);
      await page.locator('[data-test=apply-prefix]').click();
      await position.getByText('1–10 of 10 key(s)').waitFor();
      await page.locator('[data-test=key-row]').filter({ hasText: bulkKey(target) }).click();
      await expect.poll(() => editorText(page), { timeout: uiTimeoutMs }).toBe(`value-${target}`);
      // The search fetched the 10 keys of the prefix.
      await expect.poll(fetchedKeys, { timeout: uiTimeoutMs }).toBe(before + 10);
      await screenshot(page, 'bulk-keys-search');

      const removed = await service.deletePrefix({ connectionId: bulk.connectionId, prefix: '/more/' });
      expect(removed.ok && removed.value.deleted).toBe(moreKeyCount);

      // The folder view lists the root's folders from the server (not from loaded keys): /bulk/
      // with its 100,000 keys beside a few small folders, and counts a folder on request.
      const extra = new EtcdClient({ endpoints: bulk.clientUrls });
      try {
        for (const key of ['/config/app', '/config/db', '/locks/a', '/registry/pods/p1', '/readme']) await extra.kv.put(key, 'x');
      } finally {
        extra.close();
      }
      await page.locator('[data-test=prefix-input] input').fill('');
      await page.locator('[data-test=apply-prefix]').click();
      await page.locator('[data-test=mode-tree]').click();
      await page.locator('[data-test=folder-footer]').getByText('4 folder(s) and 1 key(s) directly under “(root)”').waitFor();
      const folderNames = (await page.locator('[data-test=key-folder] span:first-child').allTextContents()).map((name) => name.replace('📁', '').trim());
      expect(folderNames).toEqual(['/bulk/', '/config/', '/locks/', '/registry/']);
      await page.locator('[data-test=key-folder]').filter({ hasText: '/bulk/' }).locator('[data-test=count-folder]').click();
      await page.locator('[data-test=key-folder]').filter({ hasText: '/bulk/' }).getByText(`${bulkKeyCount.toLocaleString('en-US')} keys`).waitFor();
      await screenshot(page, 'folders');
    } finally {
      page.off('response', listener);
    }
    expect(console_.pageErrors).toEqual([]);
  });
});
