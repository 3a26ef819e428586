// End to end in Chromium: the console connects, through the Connections form, to a real etcd 3.4
// that requires TLS with client certificates and has authentication enabled, as a user whose role
// may only read and write under `app/`. A wrong password, a missing client certificate and writes
// outside the role's keys each give a readable message; browsing and writing inside them work.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdTestCluster } from '../support/etcd.js';
import { generateCertificates, type TestCertificates } from '../support/tls.js';
import { fillEditor, screenshotDir, startConsole, uiTimeoutMs, type Console } from './consoleHarness.js';

let certificates: TestCertificates;
let etcd: EtcdTestCluster;
let console_: Console;
let page: Page;
let pems: { ca: string; cert: string; key: string };

beforeAll(async () => {
  certificates = await generateCertificates();
  pems = {
    ca: certificates.caPem,
    cert: await readFile(certificates.clientCertFile, 'utf8'),
    key: await readFile(certificates.clientKeyFile, 'utf8'),
  };
  etcd = await EtcdTestCluster.start({ members: 1, tls: { certificates, clientCertAuth: true } });
  // The client certificate's common name is "root": etcd takes it as the root user.
  const admin = etcd.client();
  await admin.auth.userAdd('root', 'root-password');
  await admin.auth.roleAdd('root');
  await admin.auth.userGrantRole('root', 'root');
  await admin.auth.roleAdd('app-rw');
  await admin.auth.roleGrantPermission('app-rw', 'readwrite', 'app/', { prefix: true });
  await admin.auth.userAdd('alice', 'alice-password');
  await admin.auth.userGrantRole('alice', 'app-rw');
  await admin.kv.put('app/hello', 'hi');
  await admin.kv.put('secret/plans', 'not for alice');
  await admin.auth.authEnable();
  console_ = await startConsole();
  page = console_.page;
  await page.goto(console_.host.url);
}, 180_000);

afterAll(async () => {
  await console_?.close();
  await etcd?.stop();
  await certificates?.cleanup();
});

async function openPage(title: string): Promise<void> {
  await page.locator('[data-test=nav]').getByText(new RegExp(`^${title}`)).first().click();
  await expect.poll(() => page.locator('[data-test=page-title]').textContent(), { timeout: uiTimeoutMs }).toBe(title);
}

async function fillConnection(options: { password: string; clientCertificate: boolean }): Promise<void> {
  await page.locator('[data-test=field-name] input').fill('secure etcd');
  await page.locator('[data-test=field-endpoints] input').fill(etcd.endpoints.join(','));
  await page.locator('[data-test=field-username] input').fill('alice');
  await page.locator('[data-test=field-password] input').fill(options.password);
  if ((await page.locator('[data-test=field-ca]').count()) === 0) await page.locator('[data-test=field-tls]').click();
  await page.locator('[data-test=field-ca] textarea').fill(pems.ca);
  await page.locator('[data-test=field-cert] textarea').fill(options.clientCertificate ? pems.cert : '');
  await page.locator('[data-test=field-key] textarea').fill(options.clientCertificate ? pems.key : '');
}

/** Clicks Test and waits (bounded) until the form's error says `expected`. */
async function testFailsWith(expected: RegExp): Promise<void> {
  await page.locator('[data-test=test-connection]').click();
  const notice = page.locator('[data-test=connection-form] [data-test=error-notice]').first();
  await expect.poll(async () => ((await notice.count()) > 0 ? await notice.textContent() : ''), { timeout: uiTimeoutMs }).toMatch(expected);
}

describe('a TLS, client-certificate and auth-enabled etcd in the console', () => {
  it('says why when the password is wrong or the client certificate is missing', async () => {
    await openPage('Connections');
    await fillConnection({ password: 'wrong-password', clientCertificate: true });
    await testFailsWith(/authentication failed, invalid user ID or password/i);
    await fillConnection({ password: 'alice-password', clientCertificate: false });
    await testFailsWith(/the server asked for a client certificate/);
  });

  it('connects as the user, browses the keys its role may read and refuses the others readably', async () => {
    await fillConnection({ password: 'alice-password', clientCertificate: true });
    await page.locator('[data-test=test-connection]').click();
    await page.locator('[data-test=probe-result]').waitFor().catch(async (error: unknown) => {
      await page.screenshot({ path: path.join(screenshotDir, 'console-tls-auth-probe-failed.png'), fullPage: true });
      throw error;
    });
    await page.locator('[data-test=save-connection]').click();
    await page.locator('[data-test="connection-secure etcd"]').waitFor();

    await openPage('Keys');
    // Listing every key needs read permission on the whole key space, which alice lacks.
    await page.locator('[data-test=error-notice]').getByText(/permission denied/i).first().waitFor();
    await page.locator('[data-test=permission-hint]').getByText('List a prefix its role can read').waitFor();
    await page.screenshot({ path: path.join(screenshotDir, 'console-tls-auth-keys.png'), fullPage: true });
    await page.locator('[data-test=prefix-input] input').fill('app/');
    await page.locator('[data-test=apply-prefix]').click();
    await page.locator('[data-test=key-row]').filter({ hasText: 'app/hello' }).waitFor();
  });

  it('writes inside the role and refuses a write outside it with the permission error', async () => {
    await page.locator('[data-test=new-key-input] input').fill('app/from-console');
    await page.locator('[data-test=new-key]').click();
    await fillEditor(page, 'written by alice');
    await page.locator('[data-test=save-key]').click();
    await page.locator('[data-test=key-row]').filter({ hasText: 'app/from-console' }).waitFor();

    await page.locator('[data-test=new-key-input] input').fill('secret/from-console');
    await page.locator('[data-test=new-key]').click();
    await fillEditor(page, 'should not land');
    await page.locator('[data-test=save-key]').click();
    await page.getByText(/permission denied/i).first().waitFor();
    const root = etcd.client();
    expect((await root.kv.getOne('app/from-console'))?.valueString).toBe('written by alice');
    expect(await root.kv.getOne('secret/from-console')).toBeNull();
    expect(console_.pageErrors.filter((error) => !/permission denied|authentication failed|TLS|certificate/i.test(error))).toEqual([]);
  });
});
