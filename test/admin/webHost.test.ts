// The web host: the access token on every request, the loopback Host check, argument validation
// against the contract, body limits, static files, and subscriptions over the WebSocket.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { AdminService } from '../../core/admin/adminService.js';
import { requestBodyBytesMax, startWebHost } from '../../core/admin/webHost.js';
import type { WebHost } from '../../core/admin/webHost.js';
import type { AdminError } from '../../core/admin/api.js';

let host: WebHost;
let service: AdminService;
let staticDir: string;

beforeAll(async () => {
  staticDir = await mkdtemp(path.join(os.tmpdir(), 'rafter-webhost-'));
  await writeFile(path.join(staticDir, 'index.html'), '<!doctype html><title>console</title>');
  await writeFile(path.join(os.tmpdir(), 'rafter-webhost-secret.txt'), 'secret');
  service = new AdminService({ localClusters: null });
  host = await startWebHost({ service, staticDir });
});

afterAll(async () => {
  await host.close();
  await service.close();
  await rm(staticDir, { recursive: true, force: true });
  await rm(path.join(os.tmpdir(), 'rafter-webhost-secret.txt'), { force: true });
});

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(pathname: string, options: { method?: string; body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      { host: '127.0.0.1', port: host.port, path: pathname, method: options.method ?? 'GET', headers: options.headers ?? {} },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

/** The error of a failed call's JSON body. */
function errorOf(reply: Reply): AdminError {
  const parsed = JSON.parse(reply.body) as { ok: boolean; error?: AdminError };
  if (parsed.ok || !parsed.error) throw new Error(`expected a failure, got ${reply.body}`);
  return parsed.error;
}

function call(method: string, body: unknown, token = host.token): Promise<Reply> {
  return request(`/${token}/api/${method}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
}

describe('web host access', () => {
  it('prints a loopback URL that carries the token', () => {
    expect(host.url).toBe(`http://127.0.0.1:${host.port}/${host.token}/`);
    expect(host.token).toMatch(/^[0-9a-f]{64}$/);
  });

  it('serves the console with its CSP only under the token', async () => {
    const page = await request(`/${host.token}/`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>console</title>');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect((await request('/')).status).toBe(401);
    expect((await request('/index.html')).status).toBe(403);
  });

  it('answers 401 without a token and 403 with a wrong one, for API calls too', async () => {
    expect((await request('/', { method: 'POST' })).status).toBe(401);
    const wrong = await call('listConnections', {}, 'f'.repeat(64));
    expect(wrong.status).toBe(403);
    expect(JSON.parse(wrong.body)).toEqual({ ok: false, error: { code: 'permission_denied', message: 'The access token is not valid.' } });
  });

  it('refuses requests whose Host is not the loopback address', async () => {
    const reply = await request(`/${host.token}/api/listConnections`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json', host: `evil.example:${host.port}` },
    });
    expect(reply.status).toBe(403);
  });

  it('does not serve files outside the console directory', async () => {
    const reply = await request(`/${host.token}/..%2Frafter-webhost-secret.txt`);
    expect(reply.status).toBe(404);
    expect(reply.body).not.toContain('secret');
  });
});

describe('web host API', () => {
  it('answers a valid call with its Result', async () => {
    const reply = await call('listConnections', {});
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ ok: true, value: [] });
  });

  it('refuses arguments that break the contract, naming the field', async () => {
    const wrongType = await call('listKeys', { connectionId: 'c', prefix: '', cursor: null, limit: '10' });
    expect(wrongType.status).toBe(400);
    expect(JSON.parse(wrongType.body)).toEqual({ ok: false, error: { code: 'invalid_argument', message: 'request.limit must be an integer, got a string.' } });
    const tooMany = await call('listKeys', { connectionId: 'c', prefix: '', cursor: null, limit: 1_000_000 });
    expect(errorOf(tooMany).message).toBe('request.limit must be between 1 and 1000.');
    const extra = await call('listConnections', { admin: true });
    expect(errorOf(extra).message).toBe('request.admin is not a known field.');
    const badEndpoint = await call('testConnection', { config: { name: 'x', endpoints: ['not an endpoint'] } });
    expect(errorOf(badEndpoint).message).toContain('request.config.endpoints[0] must be host:port');
    const notBase64 = await call('putKey', { connectionId: 'c', key: 'k', value: '***' });
    expect(errorOf(notBase64).message).toBe('request.value must be base64 text.');
  });

  it('keeps preferences on the host and refuses values outside the contract', async () => {
    expect(JSON.parse((await call('loadPreferences', {})).body)).toEqual({ ok: true, value: { theme: 'system', connectionId: null } });
    const saved = await call('savePreferences', { changes: { theme: 'dark' } });
    expect(JSON.parse(saved.body)).toEqual({ ok: true, value: { theme: 'dark', connectionId: null } });
    expect(JSON.parse((await call('loadPreferences', {})).body)).toEqual({ ok: true, value: { theme: 'dark', connectionId: null } });
    const purple = await call('savePreferences', { changes: { theme: 'purple' } });
    expect(purple.status).toBe(400);
    expect(errorOf(purple).message).toBe('request.changes.theme must be one of "system", "light", "dark".');
    expect(errorOf(await call('savePreferences', { changes: { fontSize: 14 } })).message).toBe('request.changes.fontSize is not a known field.');
  });

  it('refuses malformed JSON, other content types, other verbs and unknown methods', async () => {
    const malformed = await request(`/${host.token}/api/listConnections`, { method: 'POST', body: '{', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
    const form = await request(`/${host.token}/api/listConnections`, { method: 'POST', body: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(415);
    expect((await request(`/${host.token}/api/listConnections`)).status).toBe(405);
    const unknown = await call('dropEverything', {});
    expect(unknown.status).toBe(404);
    expect((await call('constructor', {})).status).toBe(404);
  });

  it('refuses a body larger than the limit', async () => {
    const body = Buffer.alloc(requestBodyBytesMax + 1, 0x20);
    const reply = await request(`/${host.token}/api/importKeys`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    expect(reply.status).toBe(413);
    expect(errorOf(reply).code).toBe('resource_exhausted');
  });

  it('reports local clusters as unavailable where the member command is not shipped', async () => {
    const error = errorOf(await call('createLocalCluster', { name: 'dev', memberCount: 3 }));
    expect(error.code).toBe('unavailable');
    expect(error.message).toContain('does not ship');
  });
});

describe('web host events', () => {
  function open(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { headers });
      socket.once('open', () => resolve(socket));
      socket.once('error', reject);
    });
  }

  function next(socket: WebSocket): Promise<Record<string, unknown>> {
    return new Promise((resolve) => socket.once('message', (data: Buffer) => resolve(JSON.parse(data.toString('utf8')) as Record<string, unknown>)));
  }

  it('refuses a socket without the token or from another origin', async () => {
    await expect(open(`ws://127.0.0.1:${host.port}/${'0'.repeat(64)}/events`)).rejects.toThrow(/403/);
    await expect(open(`ws://127.0.0.1:${host.port}/${host.token}/events`, { origin: 'http://evil.example' })).rejects.toThrow(/403/);
  });

  it('delivers status events to a subscriber and validates topics', async () => {
    const socket = await open(`ws://127.0.0.1:${host.port}/${host.token}/events`);
    try {
      socket.send(JSON.stringify({ type: 'subscribe', requestId: 1, topic: { kind: 'everything' } }));
      const refused = await next(socket);
      expect(refused).toMatchObject({ type: 'reply', requestId: 1, result: { ok: false, error: { code: 'invalid_argument' } } });
      const replyAndEvent = new Promise<Record<string, unknown>[]>((resolve) => {
        const messages: Record<string, unknown>[] = [];
        socket.on('message', (data: Buffer) => {
          messages.push(JSON.parse(data.toString('utf8')) as Record<string, unknown>);
          if (messages.length === 2) resolve(messages);
        });
      });
      socket.send(JSON.stringify({ type: 'subscribe', requestId: 2, topic: { kind: 'clusterStatus', connectionId: 'missing' } }));
      const messages = await replyAndEvent;
      const reply = messages.find((message) => message.type === 'reply');
      const event = messages.find((message) => message.type === 'event');
      expect(reply).toMatchObject({ requestId: 2, result: { ok: true } });
      expect(event).toMatchObject({
        event: { kind: 'clusterStatus', connectionId: 'missing', status: { ok: false, error: { code: 'not_found' } } },
      });
    } finally {
      socket.close();
    }
  });
});
