// The app's data folder and the preferences file kept in it: where the web console keeps its
// data, that preferences survive a new PreferencesFile on the same file, and that a damaged file
// falls back to the defaults instead of stopping the console.
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appDataOptions, webDataDir } from '../../core/admin/appData.js';
import { defaultPreferences, PreferencesFile } from '../../core/admin/preferencesFile.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rafter-app-data-unit-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the app data folder', () => {
  it('is $RAFTER_HOME when set, and ~/.rafter otherwise — never a temp directory', () => {
    expect(webDataDir({ RAFTER_HOME: '/srv/rafter' })).toBe('/srv/rafter');
    expect(webDataDir({})).toBe(path.join(os.homedir(), '.rafter'));
    expect(webDataDir({ RAFTER_HOME: '' })).toBe(path.join(os.homedir(), '.rafter'));
  });

  it('keeps connections, preferences, local clusters and their logs under the folder, and locks it', () => {
    const options = appDataOptions('/data', ['rafter'], { A: '1' });
    expect(options).toEqual({
      connectionsFile: '/data/connections.json',
      preferencesFile: '/data/preferences.json',
      localClusters: { baseDir: '/data/clusters', memberCommand: ['rafter'], memberEnv: { A: '1' }, logsDir: '/data/logs' },
      lockFolder: '/data',
      secrets: null,
    });
    expect(appDataOptions('/data', null).localClusters).toBeNull();
    const cipher = { encrypt: (plain: string) => Buffer.from(plain), decrypt: (data: Buffer) => data.toString() };
    expect(appDataOptions('/data', null, {}, cipher).secrets).toEqual({ file: '/data/secrets.json', cipher });
  });
});

describe('the preferences file', () => {
  it('saves changes (mode 0600) that a new reader of the same file sees', async () => {
    const file = path.join(dir, 'preferences.json');
    const first = new PreferencesFile(file);
    await first.load();
    expect(first.get()).toEqual(defaultPreferences);
    expect(await first.update({ theme: 'dark' })).toEqual({ theme: 'dark', connectionId: null });
    expect(await first.update({ connectionId: 'abc' })).toEqual({ theme: 'dark', connectionId: 'abc' });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const second = new PreferencesFile(file);
    await second.load();
    expect(second.get()).toEqual({ theme: 'dark', connectionId: 'abc' });
  });

  it('falls back to the defaults when the file is damaged or holds unknown values', async () => {
    const file = path.join(dir, 'preferences.json');
    for (const content of ['{not json', '{"theme": "purple"}', '[]']) {
      await writeFile(file, content);
      const preferences = new PreferencesFile(file);
      await preferences.load();
      expect(preferences.get(), content).toEqual(defaultPreferences);
    }
  });
});
