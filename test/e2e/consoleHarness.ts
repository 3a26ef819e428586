// The web console under test: the renderer built fresh into a temp folder, an AdminService on a
// fresh data folder running real Rafter members, the web host in front of it and a headless
// Chromium page on it. Helpers wait on conditions in the page, always with a bound.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { expect } from 'vitest';
import { AdminService } from '../../core/admin/adminService.js';
import { appDataOptions } from '../../core/admin/appData.js';
import { compiledMemberCommand } from '../../core/admin/memberCommand.js';
import { startWebHost } from '../../core/admin/webHost.js';
import type { WebHost } from '../../core/admin/webHost.js';

export const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Where screenshots go (git-ignored). */
export const screenshotDir = path.join(repositoryRoot, 'test-results');
/** Upper bound for any single UI expectation; a bound, not a pause. */
export const uiTimeoutMs = 15_000;

/** A running console: service, host, browser and one page, plus the page's errors. */
export interface Console {
  readonly service: AdminService;
  readonly host: WebHost;
  readonly page: Page;
  /** Uncaught page errors and console errors, in order. */
  readonly pageErrors: string[];
  /** A scratch folder removed by close(). */
  readonly scratchDir: string;
  close(): Promise<void>;
}

/** Builds the renderer, opens a service on a fresh data folder, starts the host and Chromium. */
export async function startConsole(): Promise<Console> {
  const cleanups: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const buildDir = await mkdtemp(path.join(os.tmpdir(), 'rafter-console-'));
    cleanups.push(() => rm(buildDir, { recursive: true, force: true }));
    await promisify(execFile)(
      process.execPath,
      [path.join(repositoryRoot, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'renderer/vite.config.ts', '--outDir', buildDir, '--emptyOutDir', '--logLevel', 'warn'],
      { cwd: repositoryRoot },
    );
    await mkdir(screenshotDir, { recursive: true });
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'rafter-console-data-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const scratchDir = await mkdtemp(path.join(os.tmpdir(), 'rafter-console-scratch-'));
    cleanups.push(() => rm(scratchDir, { recursive: true, force: true }));
    const memberCommand = compiledMemberCommand();
    if (!memberCommand) throw new Error('the rafter member command is missing from this checkout');
    const service = new AdminService(appDataOptions(dataDir, memberCommand));
    await service.open();
    cleanups.push(() => service.close());
    const host = await startWebHost({ service, staticDir: buildDir });
    cleanups.push(() => host.close());
    const browser: Browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-dev-shm-usage'],
    });
    cleanups.push(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, locale: 'en-US' });
    page.setDefaultTimeout(uiTimeoutMs);
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    return { service, host, page, pageErrors, scratchDir, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Opens a page of the console by its navigation title and waits until it is shown. */
export async function openPage(page: Page, title: string): Promise<void> {
  await page.locator('[data-test=nav]').getByText(new RegExp(`^${title}`)).first().click();
  await expect.poll(() => page.locator('[data-test=page-title]').textContent(), { timeout: uiTimeoutMs }).toBe(title);
}

/** Makes the connection named `name` the active one through the header's selector. */
export async function selectConnection(page: Page, name: string): Promise<void> {
  await page.locator('[data-test=active-connection]').click();
  await page.locator('.n-base-select-option').filter({ hasText: new RegExp(`^${escapeRegExp(name)}$`) }).click();
  await page.locator('[data-test=active-connection]').getByText(name, { exact: true }).waitFor();
}

/** Saves a full-page screenshot as test-results/console-<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const file = path.join(screenshotDir, `console-${name}.png`);
  await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
  return file;
}

/** The id of the saved connection named `name`. */
export async function connectionId(service: AdminService, name: string): Promise<string> {
  const list = await service.listConnections({});
  const found = list.ok ? list.value.find((connection) => connection.name === name) : undefined;
  if (!found) throw new Error(`no connection named ${name}`);
  return found.id;
}

/**
 * The text of the key editor (CodeMirror), line by line as drawn: right for the short values tests
 * write, since CodeMirror draws every line of a document that fits its viewport.
 */
export async function editorText(page: Page): Promise<string> {
  const lines = await page.locator('[data-test=value-input] .cm-line').allTextContents();
  return lines.join('\n');
}

/** Replaces the key editor's text as typing would (select all, insert). */
export async function fillEditor(page: Page, text: string): Promise<void> {
  await page.locator('[data-test=value-input] .cm-content').fill(text);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
