// Serves the built renderer from a directory: path resolution that cannot escape the directory,
// content types, caching headers and the console's Content-Security-Policy on HTML.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ServerResponse } from 'node:http';

/** Largest static file the host will serve (the renderer bundle is far below this). */
export const staticFileBytesMax = 32 * 1024 * 1024;

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

/** The Content-Type to serve a file with, by its extension. */
export function contentTypeOf(filePath: string): string {
  return contentTypes[path.extname(filePath)] ?? 'application/octet-stream';
}

/** The web console's CSP: only its own scripts; styles inline because naive-ui injects them. */
export function webContentSecurityPolicy(): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Maps a URL path (already stripped of the token prefix) to a file inside `root`, or null. */
export function resolveStaticPath(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const relative = decoded === '/' || decoded === '' ? 'index.html' : decoded.replace(/^\/+/, '');
  const resolved = path.resolve(root, relative);
  const rootResolved = path.resolve(root);
  if (resolved !== rootResolved && !resolved.startsWith(rootResolved + path.sep)) return null;
  return resolved;
}

/** Writes the file for `urlPath` to `response`; 404 when it does not exist. */
export async function serveStatic(root: string, urlPath: string, response: ServerResponse): Promise<void> {
  const filePath = resolveStaticPath(root, urlPath);
  const info = filePath ? await stat(filePath).catch(() => null) : null;
  if (!filePath || !info || !info.isFile() || info.size > staticFileBytesMax) {
    response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    response.end('Not found.');
    return;
  }
  const extension = path.extname(filePath);
  const headers: Record<string, string> = {
    'content-type': contentTypeOf(filePath),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': extension === '.html' ? 'no-store' : 'private, max-age=3600',
  };
  if (extension === '.html') headers['content-security-policy'] = webContentSecurityPolicy();
  response.writeHead(200, headers);
  response.end(await readFile(filePath));
}
