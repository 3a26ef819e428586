// End to end through the web console in Chromium: what the console shows stays true after the
// sequences that used to leave it wrong. Removing the leader through the member manager, a member
// process that exits by itself, partition and heal, errors and key counts of one connection never
// shown on another, a cluster whose members are all stopped, the active connection across a
// reload, a compaction after a failed one, and a NOSPACE alarm (real etcd with a tiny quota)
// whose error stays with the key that caused it. No silent damage: a binary value edited in HEX
// keeps every byte the user did not touch; an atomic import lands at one revision.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminService } from '../../core/admin/adminService.js';
import { EtcdClient } from '../../core/client/etcdClient.js';
import { EtcdTestCluster } from '../support/etcd.js';
import { freePorts } from '../support/ports.js';
import { connectionId, editorText, fillEditor, openPage, screenshot, selectConnection, startConsole, uiTimeoutMs } from './consoleHarness.js';
import type { Console } from './consoleHarness.js';

/** Bound on an election or a membership change as the status ticks report it. */
const electionTimeoutMs = 30_000;
/** Keys written to the `solo` cluster, so its count is recognisable. */
const soloKeyCount = 120;
/** Pace of the membership test's retries while etcd still refuses changes (its members connected under 5 s ago). */
const membershipRetryMs = 1_000;
/** The etcd quota that a value of twice its size exceeds. */
const quotaBytes = 1024 * 1024;

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

async function createLocal(name: string, memberCount: 1 | 3): Promise<{ clusterId: string; connectionId: string; clientUrls: string[] }> {
  const created = await service.createLocalCluster({ name, memberCount });
  if (!created.ok) throw new Error(created.error.message);
  return { clusterId: created.value.id, connectionId: created.value.connectionId, clientUrls: created.value.members.map((member) => member.clientUrl) };
}

async function leaderName(): Promise<string> {
  return ((await page.locator('[data-test=cluster-leader] .n-statistic-value__content').textContent()) ?? '').trim();
}

async function errorTexts(scope: Locator | Page = page): Promise<string[]> {
  return scope.locator('[data-test=error-notice]').allTextContents();
}

async function confirm(row: Locator, label: string): Promise<void> {
  await row.locator('[data-test=confirm-ask]').filter({ hasText: label }).click();
  await row.locator('[data-test=confirm-yes]').click();
}

describe('the member manager on a local cluster', () => {
  let trio: Awaited<ReturnType<typeof createLocal>>;

  it('removes the leader, says so, and leaves no error on this connection or another', async () => {
    trio = await createLocal('trio', 3);
    await createLocal('solo', 1);
    await page.goto(console_.host.url);
    await selectConnection(page, 'local: trio');
    await openPage(page, 'Cluster');
    const panel = page.locator('[data-test=local-cluster-trio]');
    await expect.poll(leaderName, { timeout: electionTimeoutMs }).toMatch(/^m[123]$/);
    const leader = await leaderName();

    await confirm(panel.locator(`[data-test=local-member-${leader}]`), 'Remove');
    await page.locator('[data-test=local-notice]').getByText(`${leader} removed from the cluster.`).waitFor();
    expect(await panel.locator(`[data-test=local-member-${leader}]`).count()).toBe(0);
    // The member table follows: two members, one of them leading, and no error anywhere.
    await expect.poll(() => page.locator('[data-test=member-table] tbody tr').count(), { timeout: electionTimeoutMs }).toBe(2);
    await expect.poll(leaderName, { timeout: electionTimeoutMs }).toMatch(new RegExp(`^(?!${leader}$)m[123]$`));
    expect(await errorTexts()).toEqual([]);
    await screenshot(page, 'leader-removed');

    await selectConnection(page, 'local: solo');
    await page.locator('[data-test=cluster-leader]').getByText('m1').waitFor();
    expect(await errorTexts()).toEqual([]);
    await openPage(page, 'Keys');
    await page.locator('[data-test=keys-footer]').waitFor();
    expect(await errorTexts()).toEqual([]);
  });

  it('shows a member whose process exited by itself as exited, without a reload', async () => {
    await selectConnection(page, 'local: trio');
    await openPage(page, 'Cluster');
    const listed = await service.listLocalClusters({});
    if (!listed.ok) throw new Error(listed.error.message);
    const victim = listed.value.find((cluster) => cluster.id === trio.clusterId)!.members.find((member) => member.pid !== null)!;
    process.kill(victim.pid!, 'SIGKILL');
    const row = page.locator(`[data-test=local-cluster-trio] [data-test=local-member-${victim.name}]`);
    await row.locator('[data-test=member-state]').getByText('exited', { exact: true }).waitFor();
    await row.getByText('(SIGKILL)').waitFor();
    await row.getByRole('button', { name: 'Start', exact: true }).click();
    await row.locator('[data-test=member-state]').getByText('running', { exact: true }).waitFor();
  });

  it('shows a healed member as running as soon as Heal partitions answers', async () => {
    const panel = page.locator('[data-test=local-cluster-trio]');
    const rows = panel.locator('[data-test^=local-member-]');
    const name = ((await rows.first().locator('td').first().textContent()) ?? '').trim().split(' ')[0]!;
    const row = panel.locator(`[data-test=local-member-${name}]`);
    await row.getByRole('button', { name: 'Partition' }).click();
    await row.locator('[data-test=member-state]').getByText('partitioned', { exact: true }).waitFor();
    await panel.getByRole('button', { name: 'Heal partitions' }).click();
    await page.locator('[data-test=local-notice]').getByText('Partitions healed').waitFor();
    // Read once, right when the answer is shown: no later refresh is needed.
    expect(((await row.locator('[data-test=member-state]').textContent()) ?? '').trim()).toBe('running');
  });
});

describe('state per connection', () => {
  it('never shows one connection’s key count or errors on another, and says plainly when every member is stopped', async () => {
    const soloUrl = (await service.listConnections({}));
    if (!soloUrl.ok) throw new Error(soloUrl.error.message);
    const solo = soloUrl.value.find((connection) => connection.name === 'local: solo')!;
    const writer = new EtcdClient({ endpoints: solo.endpoints });
    try {
      for (let index = 0; index < soloKeyCount; index++) await writer.kv.put(`/solo/k${String(index).padStart(3, '0')}`, 'v');
    } finally {
      writer.close();
    }
    const dead = await createLocal('dead', 1);
    const stopped = await service.controlMember({ clusterId: dead.clusterId, memberName: 'm1', action: 'stop' });
    expect(stopped.ok).toBe(true);

    await selectConnection(page, 'local: solo');
    await openPage(page, 'Keys');
    await page.locator('[data-test=keys-footer]').getByText(`of ${soloKeyCount} key(s)`).waitFor();

    await selectConnection(page, 'local: dead');
    const notice = page.locator('[data-test=error-notice]').first();
    await notice.waitFor();
    const message = (await notice.textContent()) ?? '';
    expect(message).toMatch(/Cannot reach/);
    expect(message).not.toMatch(/ECONNREFUSED|Resolution note|No connection established/);
    expect(await page.locator('[data-test=keys-footer]').count()).toBe(0);
    expect(await page.getByText(`of ${soloKeyCount} key(s)`).count()).toBe(0);

    await openPage(page, 'Cluster');
    await page.locator('[data-test=members-card] [data-test=error-notice]').first().waitFor();
    // No endless spinner: once the error is shown, any spinner (or its fade-out) is gone within the bound.
    await expect.poll(() => page.getByText('Reading cluster status…').count(), { timeout: uiTimeoutMs }).toBe(0);
    await expect.poll(() => page.locator('[data-test=members-card] .n-spin-container .n-spin').count(), { timeout: uiTimeoutMs }).toBe(0);
    await screenshot(page, 'all-members-stopped');

    // The choice survives a reload of the page.
    await page.reload();
    await page.locator('[data-test=active-connection]').getByText('local: dead', { exact: true }).waitFor();

    await selectConnection(page, 'local: solo');
    await openPage(page, 'Cluster');
    await page.locator('[data-test=cluster-leader]').getByText('m1').waitFor();
    expect(await errorTexts(page.locator('[data-test=members-card]'))).toEqual([]);
  });

  it('shows a compaction that worked, and drops the error of the one before it', async () => {
    await openPage(page, 'Snapshots');
    const card = page.locator('[data-test=maintenance-card]');
    await page.locator('[data-test=compact-revision] input').fill('99999999');
    await confirm(card, 'Compact');
    await card.locator('[data-test=error-notice]').getByText(/future revision/i).waitFor();
    await page.locator('[data-test=compact-revision] input').fill('5');
    await confirm(card, 'Compact');
    await card.locator('[data-test=maintenance-notice]').getByText('history before revision 5 is gone').waitFor();
    expect(await errorTexts(card)).toEqual([]);
  });
});

describe('connections', () => {
  it('does not save a connection that fails its test unless told to, and edits one in place', async () => {
    const [closedPort] = await freePorts(1);
    await openPage(page, 'Connections');
    await page.locator('[data-test=field-name] input').fill('nowhere');
    await page.locator('[data-test=field-endpoints] input').fill(`127.0.0.1:${closedPort!}`);
    await page.locator('[data-test=save-connection]').click();
    await page.locator('[data-test=save-unreachable]').waitFor();
    await page.locator('[data-test=connection-form] [data-test=error-notice]').getByText('nothing is listening there').waitFor();
    const before = await service.listConnections({});
    expect(before.ok && before.value.some((connection) => connection.name === 'nowhere')).toBe(false);
    await page.locator('[data-test=save-anyway]').click();
    await page.locator('[data-test="connection-nowhere"]').waitFor();

    const listed = await service.listConnections({});
    if (!listed.ok) throw new Error(listed.error.message);
    const solo = listed.value.find((connection) => connection.name === 'local: solo')!;
    await page.locator('[data-test="edit-nowhere"]').click();
    await page.locator('[data-test=field-name] input').fill('solo again');
    await page.locator('[data-test=field-endpoints] input').fill(solo.endpoints.join(', '));
    await page.locator('[data-test=save-connection]').click();
    await page.locator('[data-test="connection-solo again"]').getByText(solo.endpoints[0]!).waitFor();
    expect(await page.locator('[data-test="connection-nowhere"]').count()).toBe(0);
    await selectConnection(page, 'solo again');
    await openPage(page, 'Cluster');
    await page.locator('[data-test=cluster-leader]').getByText('m1').waitFor();
  });
});

describe('no silent damage', () => {
  it('opens a binary value in HEX, refuses TEXT, and writes back only the byte the user changed', async () => {
    const listed = await service.listConnections({});
    if (!listed.ok) throw new Error(listed.error.message);
    const solo = listed.value.find((connection) => connection.name === 'local: solo')!;
    const client = new EtcdClient({ endpoints: solo.endpoints });
    try {
      const original = Buffer.from([0x00, 0xff, 0xfe, 0x41, 0x80, 0x81, 0x82, 0x42, 0xc3, 0x28]);
      await client.kv.put('/binary/blob', original);
      await selectConnection(page, 'local: solo');
      await openPage(page, 'Keys');
      await page.locator('[data-test=prefix-input] input').fill('/binary/');
      await page.locator('[data-test=apply-prefix]').click();
      await page.locator('[data-test=key-row]').filter({ hasText: '/binary/blob' }).click();
      await page.locator('[data-test=hex-only]').getByText('not valid UTF-8').waitFor();
      await expect.poll(() => editorText(page), { timeout: uiTimeoutMs }).toBe('00 ff fe 41 80 81 82 42 c3 28');
      await page.locator('[data-test=view-text]').click();
      await page.locator('[data-test=switch-error]').getByText('would replace its invalid bytes').waitFor();
      expect(await editorText(page)).toBe('00 ff fe 41 80 81 82 42 c3 28');
      await fillEditor(page, '00 ff fe 43 80 81 82 42 c3 28');
      await page.locator('[data-test=save-key]').click();
      await page.locator('[data-test=key-metadata]').getByText('2', { exact: true }).first().waitFor();
      const stored = await client.kv.getOne('/binary/blob');
      expect(stored?.value).toEqual(Buffer.from([0x00, 0xff, 0xfe, 0x43, 0x80, 0x81, 0x82, 0x42, 0xc3, 0x28]));
    } finally {
      client.close();
    }
  });

  it('imports atomically at one revision when asked, and says how it wrote', async () => {
    const keys = Array.from({ length: 10 }, (_, index) => ({ key: `/imported/k${index}`, value: Buffer.from(`v${index}`).toString('base64') }));
    const file = path.join(console_.scratchDir, 'import.json');
    await writeFile(file, JSON.stringify({ format: 'rafter-keys/1', prefix: '/imported/', revision: 1, keys }));
    await page.locator('[data-test=import-how]').getByText('not atomic').waitFor();
    await page.locator('[data-test=import-atomic]').click();
    await page.locator('[data-test=import-how]').getByText('in one transaction at one revision').waitFor();
    await page.locator('[data-test=import-file]').setInputFiles(file);
    const notice = page.locator('[data-test=import-notice]');
    await notice.getByText('Imported 10 key(s) from import.json in one transaction at revision').waitFor();
    const revision = Number(/revision (\d+)/.exec((await notice.textContent()) ?? '')?.[1]);
    const listed = await service.listKeys({ connectionId: await connectionId(service, 'local: solo'), prefix: '/imported/', cursor: null, limit: 20 });
    if (!listed.ok) throw new Error(listed.error.message);
    expect(listed.value.items.map((item) => item.modRevision)).toEqual(Array.from({ length: 10 }, () => revision));
  });
});

describe('membership of a remote cluster (real etcd, Cluster API)', () => {
  let etcd: EtcdTestCluster;

  beforeAll(async () => {
    etcd = await EtcdTestCluster.start({ members: 3 });
  }, 60_000);

  afterAll(async () => {
    await etcd?.stop();
  });

  it('adds a learner after confirmation, says why it cannot be promoted yet, and removes members', async () => {
    const added = await service.addConnection({ config: { name: 'etcd trio', endpoints: etcd.endpoints } });
    expect(added.ok).toBe(true);
    await selectConnection(page, 'etcd trio');
    await openPage(page, 'Cluster');
    await expect.poll(() => page.locator('[data-test=member-table] tbody tr').count(), { timeout: electionTimeoutMs }).toBe(3);
    const [learnerPort] = await freePorts(1);
    const learnerUrl = `http://127.0.0.1:${learnerPort!}`;
    await page.locator('[data-test=add-member-url] input').fill(learnerUrl);
    const add = page.locator('[data-test=add-member]');
    const notice = page.locator('[data-test=cluster-notice]').getByText('as a learner. Start its process with --initial-cluster-state=existing');
    // etcd refuses membership changes until its members have been connected for 5 s; the page
    // says so, and the user tries again (a bounded number of times here).
    const refused = page.locator('[data-test=members-card] [data-test=error-notice]').getByText('refuses membership changes');
    const tryAdd = async (): Promise<number> => {
      if ((await notice.count()) > 0) return 1;
      await add.locator('[data-test=confirm-ask]').click();
      await add.getByText(`Add ${learnerUrl} to the cluster as a learner?`).waitFor();
      await add.locator('[data-test=confirm-yes]').click();
      await notice.or(refused).first().waitFor();
      return notice.count();
    };
    await expect.poll(tryAdd, { timeout: electionTimeoutMs, interval: membershipRetryMs }).toBe(1);
    const client = etcd.client();
    const learner = (await client.cluster.memberList()).members.find((member) => member.peerUrls.includes(learnerUrl));
    expect(learner?.isLearner).toBe(true);

    // An unstarted learner is not in sync: etcd refuses the promotion, and the page says so under a title.
    await expect.poll(() => page.locator(`[data-test="promote-${learner!.id}"]`).count(), { timeout: uiTimeoutMs }).toBe(1);
    await confirm(page.locator(`[data-test="promote-${learner!.id}"]`), 'Promote');
    const failure = page.locator('[data-test=members-card] [data-test=error-notice]');
    await failure.getByText('The membership change failed').waitFor();
    expect(await failure.textContent()).toMatch(/learner/i);

    await confirm(page.locator(`[data-test="remove-${learner!.id}"]`), 'Remove');
    await page.locator('[data-test=cluster-notice]').getByText('Removed').waitFor();
    expect(await errorTexts(page.locator('[data-test=members-card]'))).toEqual([]);
    const follower = etcd.members[2]!;
    await confirm(page.locator(`[data-test="remove-${follower.name}"]`), 'Remove');
    await page.locator('[data-test=cluster-notice]').getByText(`Removed ${follower.name} from the cluster.`).waitFor();
    await expect.poll(async () => (await client.cluster.memberList()).members.map((member) => member.name).sort(), { timeout: uiTimeoutMs }).toEqual(
      etcd.members.slice(0, 2).map((member) => member.name).sort(),
    );
  });
});

describe('a NOSPACE alarm on real etcd', () => {
  let etcd: EtcdTestCluster;

  beforeAll(async () => {
    etcd = await EtcdTestCluster.start({ extraArgs: [`--quota-backend-bytes=${quotaBytes}`] });
  }, 60_000);

  afterAll(async () => {
    await etcd?.stop();
  });

  it('keeps the write error on the key that caused it; another key, after the alarm is disarmed, shows none', async () => {
    const client = etcd.client();
    await client.kv.put('other', 'fine');
    await client.kv.put('spill', Buffer.alloc(quotaBytes + 4096, 120)).catch(() => undefined);
    expect((await client.maintenance.alarmList()).map((alarm) => alarm.alarm)).toContain('NOSPACE');
    const added = await service.addConnection({ config: { name: 'tiny etcd', endpoints: etcd.endpoints } });
    expect(added.ok).toBe(true);

    await selectConnection(page, 'tiny etcd');
    await openPage(page, 'Keys');
    await page.locator('[data-test=new-key-input] input').fill('fresh');
    await page.locator('[data-test=new-key]').click();
    await fillEditor(page, 'x');
    await page.locator('[data-test=save-key]').click();
    await page.locator('[data-test=key-editor] [data-test=error-notice]').getByText(/database space exceeded/i).waitFor();

    await openPage(page, 'Snapshots');
    const alarms = page.locator('[data-test=alarms-card]');
    await confirm(alarms, 'Disarm');
    await alarms.locator('[data-test=no-alarms]').waitFor();

    await openPage(page, 'Keys');
    await page.locator('[data-test=key-row]').filter({ hasText: 'other' }).click();
    await page.locator('[data-test=editor-key]').getByText('other').waitFor();
    await page.locator('[data-test=key-metadata]').waitFor();
    expect(await errorTexts()).toEqual([]);
    expect(console_.pageErrors.filter((error) => !/database space exceeded|Failed to load resource/i.test(error))).toEqual([]);
  });
});
