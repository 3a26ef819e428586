// End to end through the web console in Chromium, on a real local 3-member Rafter cluster: the
// Raft live page shows three members with one leader and the heartbeats the members' transport
// taps record; cutting the leader off from the page (Partition) shows an election — vote
// messages, a new term and a new leader — which the message log replays; after Heal, killing the
// leader from the page does the same; a member paused from the page shows unreachable until it
// continues. A screenshot of the replayed election goes to test-results/.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminService } from '../../core/admin/adminService.js';
import { openPage, screenshot, selectConnection, startConsole, uiTimeoutMs } from './consoleHarness.js';
import type { Console } from './consoleHarness.js';

/** Bound on an election after the leader is cut off, as the page shows it. */
const electionTimeoutMs = 30_000;

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

async function text(selector: string): Promise<string> {
  return ((await page.locator(selector).first().textContent()) ?? '').trim();
}

async function leaderName(): Promise<string> {
  return text('[data-test=raft-live-leader]');
}

async function shownTerm(): Promise<number> {
  return Number(await text('[data-test=raft-live-term]'));
}

/** The roles the diagram shows, by member name. */
async function roles(): Promise<Record<string, string>> {
  const nodes = page.locator('[data-test^=raft-live-node-]');
  const shown: Record<string, string> = {};
  for (let i = 0; i < (await nodes.count()); i++) {
    const node = nodes.nth(i);
    const name = ((await node.getAttribute('data-test')) ?? '').replace('raft-live-node-', '');
    shown[name] = (await node.getAttribute('data-role')) ?? '';
  }
  return shown;
}

/** Waits until the page shows a leader other than `previous` at a term above `term`. */
async function newLeaderAfter(previous: string, term: number): Promise<string> {
  const elected = async (): Promise<boolean> => (await shownTerm()) > term && /^m[123]$/.test(await leaderName()) && (await leaderName()) !== previous;
  try {
    await expect.poll(elected, { timeout: electionTimeoutMs }).toBe(true);
  } catch (error) {
    await screenshot(page, 'raft-live-failure');
    const shown = { term: await shownTerm(), leader: await leaderName(), roles: await roles(), notices: await page.locator('[data-test=error-notice]').allTextContents() };
    throw new Error(`no new leader after ${previous} at term ${term}; the page shows ${JSON.stringify(shown)}`, { cause: error });
  }
  return leaderName();
}

describe('the Raft live page', () => {
  it('shows three members, one leader, and heartbeats in the message log', async () => {
    const created = await service.createLocalCluster({ name: 'live', memberCount: 3 });
    if (!created.ok) throw new Error(created.error.message);
    await page.goto(console_.host.url);
    await selectConnection(page, 'local: live');
    await openPage(page, 'Raft live');
    await expect.poll(async () => Object.keys(await roles()).sort(), { timeout: uiTimeoutMs }).toEqual(['m1', 'm2', 'm3']);
    await expect.poll(async () => Object.values(await roles()).filter((role) => role === 'leader').length, { timeout: electionTimeoutMs }).toBe(1);
    await expect.poll(async () => Object.values(await roles()).filter((role) => role === 'follower').length, { timeout: uiTimeoutMs }).toBe(2);
    await page.locator('[data-test=raft-live-message][data-type=heartbeat]').first().waitFor();
    await page.locator('[data-test=raft-live-message][data-type=heartbeatResp]').first().waitFor();
    // A write shows as an append carrying an entry.
    const put = await service.putKey({ connectionId: created.value.connectionId, key: 'seen', value: btoa('yes') });
    expect(put.ok).toBe(true);
    await page.locator('[data-test=raft-live-filter-replication]').click();
    await page.locator('[data-test=raft-live-message][data-type=app]').first().waitFor();
    await page.locator('[data-test=raft-live-filter-all]').click();
    expect(console_.pageErrors).toEqual([]);
  });

  it('shows an election with a new term and leader after the leader is cut off from the page, and replays it', async () => {
    await expect.poll(leaderName, { timeout: electionTimeoutMs }).toMatch(/^m[123]$/);
    const oldLeader = await leaderName();
    const oldTerm = await shownTerm();
    await page.locator(`[data-test=raft-live-partition-${oldLeader}]`).click();
    await page.locator('[data-test=raft-live-notice]').getByText(`${oldLeader} cut off from every other member.`).waitFor();
    const newLeader = await newLeaderAfter(oldLeader, oldTerm);
    expect(newLeader).not.toBe(oldLeader);
    // The log's election filter keeps the vote requests; picking the new leader's pauses the
    // replay as it leaves, the new leader shown as the candidate it was then. Paused first, so
    // the log stands still under the click.
    await page.locator('[data-test=raft-live-filter-elections]').click();
    const vote = page.locator('[data-test=raft-live-message][data-type=vote]').filter({ hasText: `${newLeader} →` }).first();
    await vote.waitFor();
    await page.locator('[data-test=raft-live-pause]').click();
    const picked = await vote.textContent();
    await vote.click();
    try {
      await expect.poll(async () => (await roles())[newLeader], { timeout: uiTimeoutMs }).toBe('candidate');
    } catch (error) {
      const rows = await page.locator('[data-test=raft-live-message]').allTextContents();
      throw new Error(`picked ${picked ?? ''}; roles ${JSON.stringify(await roles())}; log ${JSON.stringify(rows.slice(0, 12))}`, { cause: error });
    }
    await page.locator('[data-test=raft-live-diagram] circle[data-type=vote]').first().waitFor();
    await page.locator('[data-test=raft-live-message][data-type=vote]').first().waitFor();
    await page.setViewportSize({ width: 1400, height: 1250 });
    await screenshot(page, 'raft-live-election');
    await page.setViewportSize({ width: 1400, height: 900 });
    await page.locator('[data-test=raft-live-go-live]').click();
    await page.locator('[data-test=raft-live-following]').waitFor();
    await page.locator('[data-test=raft-live-filter-all]').click();
    expect(console_.pageErrors).toEqual([]);
  });

  it('heals the partition and elects again after the leader is killed from the page', async () => {
    if ((await page.locator('[data-test=raft-live-following]').count()) === 0) await page.locator('[data-test=raft-live-go-live]').click();
    await page.locator('[data-test=raft-live-filter-all]').click();
    await page.getByText('cut off (partition)').first().waitFor();
    await page.locator('[data-test=raft-live-heal]').click();
    await page.locator('[data-test=raft-live-notice]').getByText('Partitions healed').waitFor();
    await expect.poll(async () => page.getByText('cut off (partition)').count(), { timeout: electionTimeoutMs }).toBe(0);
    const leader = await leaderName();
    const term = await shownTerm();
    await page.locator(`[data-test=raft-live-kill-${leader}]`).click();
    await page.locator('[data-test=raft-live-notice]').getByText(`${leader} killed.`).waitFor();
    await newLeaderAfter(leader, term);
    await expect.poll(async () => (await roles())[leader], { timeout: electionTimeoutMs }).toBe('unreachable');
    await page.locator(`[data-test=raft-live-start-${leader}]`).click();
    await page.locator('[data-test=raft-live-notice]').getByText(`${leader} started.`).waitFor();
    await expect.poll(async () => (await roles())[leader], { timeout: electionTimeoutMs }).toBe('follower');
    expect(console_.pageErrors).toEqual([]);
  });

  it('pauses a member (SIGSTOP) from the page and lets it continue', async () => {
    const follower = Object.entries(await roles()).find(([, role]) => role === 'follower')?.[0];
    if (follower === undefined) throw new Error('no follower shown');
    await page.locator(`[data-test=raft-live-pause-${follower}]`).click();
    await page.locator('[data-test=raft-live-notice]').getByText(`${follower} paused (SIGSTOP).`).waitFor();
    await expect.poll(async () => (await roles())[follower], { timeout: electionTimeoutMs }).toBe('unreachable');
    await page.locator(`[data-test=raft-live-resume-${follower}]`).click();
    await page.locator('[data-test=raft-live-notice]').getByText(`${follower} resumed.`).waitFor();
    await expect.poll(async () => (await roles())[follower], { timeout: electionTimeoutMs }).toBe('follower');
    await page.locator('[data-test=raft-live-message][data-type=heartbeat]').first().waitFor();
    expect(console_.pageErrors).toEqual([]);
  });
});
