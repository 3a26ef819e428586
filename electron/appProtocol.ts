// Serves the built renderer on the privileged `app://console/` scheme with the desktop CSP on every
// response. Registered instead of loading file:// so the page has its own origin and the CSP
// arrives as a header; paths cannot leave the renderer directory.
import { readFile } from 'node:fs/promises';
import { protocol } from 'electron';
import { contentTypeOf, resolveStaticPath } from '../core/admin/staticFiles.js';
import { appHost, appScheme, contentSecurityPolicy } from './windowOptions.js';

/** Must run before the app is ready. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: appScheme, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}

function notFound(): Response {
  return new Response('Not found.', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } });
}

/** Answers `app://console/...` from `rendererDir`. */
export function serveAppScheme(rendererDir: string): void {
  protocol.handle(appScheme, async (request) => {
    const url = new URL(request.url);
    if (url.host !== appHost || request.method !== 'GET') return notFound();
    const file = resolveStaticPath(rendererDir, url.pathname);
    const body = file === null ? null : await readFile(file).catch(() => null);
    if (file === null || body === null) return notFound();
    return new Response(body, {
      headers: {
        'content-type': contentTypeOf(file),
        'content-security-policy': contentSecurityPolicy,
        'x-content-type-options': 'nosniff',
      },
    });
  });
}
