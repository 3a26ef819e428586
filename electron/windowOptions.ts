// The desktop window's security settings, kept free of Electron imports so tests can read them:
// BrowserWindow options, the Content-Security-Policy, and the navigation rules main enforces.

/** The BrowserWindow options that matter for security, plus size and title. */
export interface SecureWindowOptions {
  width: number;
  height: number;
  minWidth: number;
  minHeight: number;
  title: string;
  show: boolean;
  backgroundColor: string;
  webPreferences: {
    preload: string;
    contextIsolation: true;
    sandbox: true;
    nodeIntegration: false;
    nodeIntegrationInWorker: false;
    nodeIntegrationInSubFrames: false;
    webSecurity: true;
    allowRunningInsecureContent: false;
    webviewTag: false;
    experimentalFeatures: false;
    enableBlinkFeatures: '';
    spellcheck: boolean;
  };
}

/** Options of the console's single window; `preload` is the bundled preload script's path. */
export function windowOptions(preload: string): SecureWindowOptions {
  return {
    width: 1360,
    height: 880,
    minWidth: 960,
    minHeight: 600,
    title: 'Rafter',
    show: false,
    backgroundColor: '#ffffff',
    webPreferences: {
      preload,
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
    },
  };
}

/**
 * The desktop CSP: the renderer's own files only. No network at all (`connect-src 'none'`): the
 * back end is reached through the preload, not over HTTP. Inline styles are allowed because
 * naive-ui injects its styles at run time; inline scripts and eval are not.
 */
export const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-src 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Links the app opens in the user's browser: http and https only. */
export function isExternalLink(url: string): boolean {
  try {
    const protocol = new URL(url).protocol;
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
}

/** The privileged scheme the renderer is served from (never file://, which any local file shares). */
export const appScheme = 'app';
/** The one host of the app scheme. */
export const appHost = 'console';
/** The console page's URL. */
export const appPageUrl = `${appScheme}://${appHost}/index.html`;

/** True when `url` is the app's own page (the only navigation the window allows). */
export function isAppPage(url: string): boolean {
  try {
    const target = new URL(url);
    const app = new URL(appPageUrl);
    return target.protocol === app.protocol && target.host === app.host && target.pathname === app.pathname;
  } catch {
    return false;
  }
}
