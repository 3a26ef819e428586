import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { folderMenuItems, type FolderOpener } from '../../electron/folderMenu.js';

describe("the File menu's folder items", () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'rafter-menu-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Clicks the item labelled `label` and resolves once the opener was called or an error reported. */
  async function click(label: string, answer: string): Promise<{ opened: string[]; errors: string[] }> {
    const opened: string[] = [];
    const errors: string[] = [];
    let settle: () => void = () => undefined;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    const opener: FolderOpener = {
      openPath: (folder) => {
        opened.push(folder);
        if (answer === '') settle();
        return Promise.resolve(answer);
      },
    };
    const items = folderMenuItems(dataDir, opener, (message) => {
      errors.push(message);
      settle();
    });
    const item = items.find((candidate) => candidate.label === label);
    expect(item, label).toBeDefined();
    (item!.click as () => void)();
    await settled;
    return { opened, errors };
  }

  it('opens the data folder', async () => {
    expect(await click('Open Data Folder', '')).toEqual({ opened: [dataDir], errors: [] });
  });

  it('opens the logs folder, creating it on a first run', async () => {
    const logs = path.join(dataDir, 'logs');
    expect(await click('Open Logs Folder', '')).toEqual({ opened: [logs], errors: [] });
    expect((await stat(logs)).isDirectory()).toBe(true);
  });

  it("reports the system's refusal instead of failing silently", async () => {
    const { errors } = await click('Open Data Folder', 'no file manager');
    expect(errors).toEqual([`Rafter could not open ${dataDir}: no file manager`]);
  });
});
