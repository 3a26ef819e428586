// End to end in Chromium: the Connections form saves a connection through an SSH host (a real
// sshd, test/support/sshd.ts) to a real Rafter member; Test shows the host key, Save pins it, and
// the Keys page reads the member's keys through the tunnel. A wrong SSH key and a changed host key
// give readable messages in the form.
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RafterCluster } from '../support/rafterCluster.js';
import { SshServer, sshdUnavailable } from '../support/sshd.js';
import { connectionId, openPage, screenshot, screenshotDir, selectConnection, startConsole, uiTimeoutMs, type Console } from './consoleHarness.js';

const unavailable = sshdUnavailable();
if (unavailable !== null) throw new Error(`The SSH connection test needs a real sshd: ${unavailable}.`);

let sshd: SshServer;
let rafter: RafterCluster;
let console_: Console;
let page: Page;

beforeAll(async () => {
  [sshd, rafter] = await Promise.all([SshServer.start(), RafterCluster.start({ members: 1 })]);
  console_ = await startConsole();
  page = console_.page;
  await page.goto(console_.host.url);
}, 180_000);

afterAll(async () => {
  await console_?.close();
  await Promise.all([sshd?.stop(), rafter?.stop()]);
});

async function fillSsh(name: string, privateKeyPem: string): Promise<void> {
  await page.locator('[data-test=field-name] input').fill(name);
  await page.locator('[data-test=field-endpoints] input').fill(rafter.endpoints.join(','));
  if ((await page.locator('[data-test=field-ssh-host]').count()) === 0) await page.locator('[data-test=field-ssh]').click();
  await page.locator('[data-test=field-ssh-host] input').fill('127.0.0.1');
  await page.locator('[data-test=field-ssh-port] input').fill(String(sshd.port));
  await page.locator('[data-test=field-ssh-user] input').fill(sshd.username);
  await page.locator('[data-test=field-ssh-key] textarea').fill(privateKeyPem);
}

async function formError(): Promise<string> {
  const notice = page.locator('[data-test=connection-form] [data-test=error-notice]').first();
  return (await notice.count()) > 0 ? ((await notice.textContent()) ?? '') : '';
}

describe('a connection through an SSH host in the console', () => {
  it('says the login was refused for a key the host does not accept', async () => {
    await openPage(page, 'Connections');
    await fillSsh('via bastion', sshd.strangerKey.privateKeyPem);
    await page.locator('[data-test=test-connection]').click();
    await expect.poll(formError, { timeout: uiTimeoutMs }).toMatch(/SSH host .* refused the login: wrong password or key/);
  });

  it('tests, shows the host key, saves with it pinned and lists the keys through the tunnel', async () => {
    await fillSsh('via bastion', sshd.key.privateKeyPem);
    await page.locator('[data-test=test-connection]').click();
    await page.locator('[data-test=probe-ssh-host-key]').getByText(sshd.hostKeys.first).waitFor().catch(async (error: unknown) => {
      await page.screenshot({ path: path.join(screenshotDir, 'console-ssh-probe-failed.png'), fullPage: true });
      throw error;
    });
    await screenshot(page, 'ssh-form');
    const relayedBefore = sshd.connectionsRelayed;
    await page.locator('[data-test=save-connection]').click();
    await page.locator('[data-test="ssh-via bastion"]').getByText(`via SSH ${sshd.username}@127.0.0.1:${sshd.port}`).waitFor();
    const id = await connectionId(console_.service, 'via bastion');
    const listed = await console_.service.listConnections({});
    expect(listed.ok && listed.value.find((connection) => connection.id === id)?.ssh?.hostKeySha256).toBe(sshd.hostKeys.first);

    expect((await console_.service.putKey({ connectionId: id, key: '/through/bastion', value: Buffer.from('hi').toString('base64') })).ok).toBe(true);
    await selectConnection(page, 'via bastion');
    await openPage(page, 'Keys');
    await page.locator('[data-test=key-row]').filter({ hasText: '/through/bastion' }).waitFor();
    expect(sshd.connectionsRelayed).toBeGreaterThan(relayedBefore);
    await screenshot(page, 'ssh-keys');
    expect(console_.pageErrors).toEqual([]);
  });

  it('refuses a changed host key with a readable message on the page', async () => {
    await sshd.changeHostKey();
    sshd.cut();
    await page.locator('[data-test=prefix-input] input').fill('/through/');
    await page.locator('[data-test=apply-prefix]').click();
    const notice = page.locator('[data-test=error-notice]').first();
    await expect.poll(async () => ((await notice.count()) > 0 ? await notice.textContent() : ''), { timeout: uiTimeoutMs }).toMatch(
      new RegExp(`presented host key ${sshd.hostKeys.second.replace(/[+/]/g, '\\$&')}, not the pinned`),
    );
    await screenshot(page, 'ssh-host-key-changed');
  });
});
