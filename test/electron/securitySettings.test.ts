// The desktop shell's security settings: fails if any BrowserWindow option, the CSP, the
// navigation rules or the preload's exposed surface is loosened. Reads the modules that hold them
// (which import no Electron) and the preload's source.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { adminMethodNames } from '../../core/admin/requestValidators.js';
import { clusterMethods } from '../../electron/ipc/cluster.js';
import { connectionMethods } from '../../electron/ipc/connections.js';
import { keysMethods } from '../../electron/ipc/keys.js';
import { authMethods, leaseMethods } from '../../electron/ipc/leasesAndAuth.js';
import { preferenceMethods } from '../../electron/ipc/preferences.js';
import { snapshotMethods } from '../../electron/ipc/snapshots.js';
import { watchMethods } from '../../electron/ipc/watches.js';
import { exposedGlobalName, exposedNames } from '../../electron/preloadSurface.js';
import { appPageUrl, contentSecurityPolicy, isAppPage, isExternalLink, windowOptions } from '../../electron/windowOptions.js';

function directives(policy: string): Map<string, string[]> {
  return new Map(
    policy.split(';').map((part) => {
      const [name, ...values] = part.trim().split(/\s+/);
      return [name!, values];
    }),
  );
}

describe('BrowserWindow options', () => {
  const options = windowOptions('/app/preload.cjs');

  it('keeps the renderer isolated, sandboxed and without Node', () => {
    expect(options.webPreferences).toEqual({
      preload: '/app/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      enableBlinkFeatures: '',
      spellcheck: false,
    });
  });
});

describe('Content-Security-Policy', () => {
  const policy = directives(contentSecurityPolicy);

  it('allows only the app’s own scripts: no inline script, no eval, no remote code', () => {
    expect(policy.get('default-src')).toEqual(["'none'"]);
    expect(policy.get('script-src')).toEqual(["'self'"]);
    expect(contentSecurityPolicy).not.toContain('unsafe-eval');
    expect(policy.get('script-src')).not.toContain("'unsafe-inline'");
  });

  it('gives the page no network, plugins, frames or form targets', () => {
    expect(policy.get('connect-src')).toEqual(["'none'"]);
    expect(policy.get('object-src')).toEqual(["'none'"]);
    expect(policy.get('frame-src')).toEqual(["'none'"]);
    expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
    expect(policy.get('form-action')).toEqual(["'none'"]);
    expect(policy.get('base-uri')).toEqual(["'none'"]);
    for (const values of policy.values()) expect(values.some((value) => /^(https?:|\*|ws:|wss:)/.test(value))).toBe(false);
  });
});

describe('navigation rules', () => {
  it('serves the page from its own privileged scheme, not file://', () => {
    expect(appPageUrl).toBe('app://console/index.html');
  });

  it('allows navigation only to the app page itself', () => {
    expect(isAppPage(`${appPageUrl}#keys`)).toBe(true);
    expect(isAppPage('app://console/other.html')).toBe(false);
    expect(isAppPage('app://elsewhere/index.html')).toBe(false);
    expect(isAppPage('file:///etc/passwd')).toBe(false);
    expect(isAppPage('https://example.com/index.html')).toBe(false);
    expect(isAppPage('not a url')).toBe(false);
  });

  it('opens only http and https links externally', () => {
    expect(isExternalLink('https://etcd.io/docs')).toBe(true);
    expect(isExternalLink('file:///etc/passwd')).toBe(false);
    expect(isExternalLink('javascript:alert(1)')).toBe(false);
    expect(isExternalLink('smb://host/share')).toBe(false);
  });
});

describe('preload surface', () => {
  it('exposes exactly the AdminApi methods and the event pair', () => {
    expect([...exposedNames].sort()).toEqual([...adminMethodNames, 'subscribe', 'unsubscribe'].sort());
  });

  it('exposes one object and never ipcRenderer, channel names or Node', async () => {
    const source = await readFile(new URL('../../electron/preload.ts', import.meta.url), 'utf8');
    const exposures = source.match(/exposeInMainWorld\(/g) ?? [];
    expect(exposures).toHaveLength(1);
    expect(source).toContain('contextBridge.exposeInMainWorld(exposedGlobalName, rafter)');
    expect(exposedGlobalName).toBe('rafter');
    const objectLiteral = source.slice(source.indexOf('const rafter = {'), source.indexOf('} as AdminApi;'));
    expect(objectLiteral).not.toMatch(/ipcRenderer\s*[,}]/);
    expect(objectLiteral).not.toMatch(/\bsend\b|\bon\(|\binvoke\s*[,}]/);
    expect(source).not.toMatch(/from 'node:|require\(/);
  });

  it('has an IPC handler group for every AdminApi method, each exactly once', () => {
    const handled = [...connectionMethods, ...clusterMethods, ...keysMethods, ...watchMethods, ...snapshotMethods, ...leaseMethods, ...authMethods, ...preferenceMethods];
    expect(new Set(handled).size).toBe(handled.length);
    expect([...handled].sort()).toEqual([...adminMethodNames].sort());
  });
});
