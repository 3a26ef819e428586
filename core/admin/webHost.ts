// The web console's host: serves the built renderer and the AdminApi over HTTP (one JSON POST per
// method) plus one WebSocket for subscriptions. Every request must carry the access token as the
// first path segment (`/<token>/...`), so the printed URL is the only way in; the Host header must
// name the loopback address (against DNS rebinding) and every request body is validated against
// the contract, because the browser page is untrusted. Business logic stays in the AdminService.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import type { AdminApi, AdminError, AdminEvent, Result } from './api.js';
import { isAdminMethodName, validateRequest, validateTopic } from './requestValidators.js';
import { serveStatic } from './staticFiles.js';
import { ValidationError } from './validate.js';
import { toAdminError } from './result.js';

/** Largest JSON body one API call may send (an import document of many keys fits). */
export const requestBodyBytesMax = 8 * 1024 * 1024;
/** Largest message a WebSocket client may send (subscribe and unsubscribe are tiny). */
export const socketMessageBytesMax = 16 * 1024;
/** A socket whose unsent events exceed this is too slow to follow and is closed. */
export const socketBufferedBytesMax = 16 * 1024 * 1024;
/** Most subscriptions one WebSocket may hold. */
export const socketSubscriptionsMax = 256;

export interface WebHostOptions {
  service: AdminApi;
  /** Directory with the built renderer (index.html and assets); null serves the API only. */
  staticDir: string | null;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** A fixed token (the one saved from the last run, so open pages find the host again); by default 32 random bytes in hex. */
  token?: string;
}

export interface WebHost {
  /** The URL to open, token included. */
  url: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

type SocketMessage =
  | { type: 'subscribe'; requestId: number; topic: unknown }
  | { type: 'unsubscribe'; requestId: number; subscriptionId: string };

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  response.end(JSON.stringify(body));
}

function sendError(response: ServerResponse, status: number, error: AdminError): void {
  const result: Result<never> = { ok: false, error };
  sendJson(response, status, result);
}

class BodyTooLarge extends Error {}

async function readBody(request: IncomingMessage): Promise<string> {
  const declared = Number(request.headers['content-length'] ?? '0');
  if (declared > requestBodyBytesMax) throw new BodyTooLarge();
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    total += buffer.length;
    if (total > requestBodyBytesMax) throw new BodyTooLarge();
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function tokenMatches(expected: Buffer, candidate: string): boolean {
  const given = Buffer.from(candidate, 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function hostAllowed(request: IncomingMessage, port: number): boolean {
  const host = request.headers.host;
  return host === `127.0.0.1:${port}` || host === `localhost:${port}` || host === `[::1]:${port}`;
}

/** Splits `/<token>/rest` into the token and the rest (always starting with `/`). */
function splitToken(urlPath: string): { token: string; rest: string } | null {
  const match = /^\/([^/]+)(\/.*)?$/.exec(urlPath);
  if (!match?.[1]) return null;
  return { token: match[1], rest: match[2] ?? '/' };
}

/** Starts the web host; resolves once it listens. */
export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const token = options.token ?? randomBytes(32).toString('hex');
  const expected = Buffer.from(token, 'utf8');
  const host = options.host ?? '127.0.0.1';
  const { service, staticDir } = options;
  let port = 0;

  async function handleApi(method: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method !== 'POST') {
      response.setHeader('allow', 'POST');
      sendError(response, 405, { code: 'invalid_argument', message: 'API calls use POST.' });
      return;
    }
    if (!isAdminMethodName(method)) {
      sendError(response, 404, { code: 'not_found', message: `There is no API method named "${method}".` });
      return;
    }
    if (!(request.headers['content-type'] ?? '').startsWith('application/json')) {
      sendError(response, 415, { code: 'invalid_argument', message: 'API calls send application/json.' });
      return;
    }
    let body: string;
    try {
      body = await readBody(request);
    } catch (error) {
      if (!(error instanceof BodyTooLarge)) throw error;
      sendError(response, 413, {
        code: 'resource_exhausted',
        message: `The request body is larger than ${requestBodyBytesMax} bytes.`,
      });
      request.resume();
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      sendError(response, 400, { code: 'invalid_argument', message: 'The request body is not valid JSON.' });
      return;
    }
    let validated: unknown;
    try {
      validated = validateRequest(method, parsed);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      sendError(response, 400, { code: 'invalid_argument', message: error.message });
      return;
    }
    const call = service[method] as (request: unknown) => Promise<Result<unknown>>;
    const result = await call.call(service, validated).catch(
      (error: unknown): Result<unknown> => ({ ok: false, error: toAdminError(error) }),
    );
    sendJson(response, 200, result);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (!hostAllowed(request, port)) {
      sendError(response, 403, { code: 'permission_denied', message: 'Requests must address the loopback host.' });
      return;
    }
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const parts = splitToken(url.pathname);
    if (!parts) {
      sendError(response, 401, { code: 'unauthenticated', message: 'An access token is required: open the URL the host printed.' });
      return;
    }
    if (!tokenMatches(expected, parts.token)) {
      sendError(response, 403, { code: 'permission_denied', message: 'The access token is not valid.' });
      return;
    }
    if (parts.rest.startsWith('/api/')) {
      await handleApi(parts.rest.slice('/api/'.length), request, response);
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      sendError(response, 405, { code: 'invalid_argument', message: 'Only GET serves the console.' });
      return;
    }
    if (staticDir === null) {
      sendError(response, 404, { code: 'not_found', message: 'This host serves the API only.' });
      return;
    }
    await serveStatic(staticDir, parts.rest, response);
  }

  const server = http.createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      console.error('web host request failed', error);
      if (!response.headersSent) sendError(response, 500, { code: 'internal', message: 'The host failed to answer.' });
      else response.destroy();
    });
  });
  server.requestTimeout = 120_000;
  server.headersTimeout = 10_000;

  const sockets = new WebSocketServer({ noServer: true, maxPayload: socketMessageBytesMax });
  server.on('upgrade', (request, socket, head) => {
    const parts = splitToken(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
    const origin = request.headers.origin;
    const originAllowed = origin === undefined || origin === `http://${request.headers.host ?? ''}`;
    if (!hostAllowed(request, port) || !parts || !tokenMatches(expected, parts.token) || parts.rest !== '/events' || !originAllowed) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(request, socket, head, (webSocket) => serveSocket(webSocket, service));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}/${token}/`,
    token,
    port,
    close: async () => {
      for (const client of sockets.clients) client.terminate();
      await new Promise<void>((resolve) => sockets.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

function parseSocketMessage(data: string): SocketMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const message = value as Record<string, unknown>;
  if (typeof message.requestId !== 'number' || !Number.isSafeInteger(message.requestId)) return null;
  if (message.type === 'subscribe') return { type: 'subscribe', requestId: message.requestId, topic: message.topic };
  if (message.type === 'unsubscribe' && typeof message.subscriptionId === 'string') {
    return { type: 'unsubscribe', requestId: message.requestId, subscriptionId: message.subscriptionId };
  }
  return null;
}

/** One browser's event channel: its subscriptions end when the socket closes. */
function serveSocket(socket: WebSocket, service: AdminApi): void {
  const owned = new Set<string>();
  const send = (message: unknown): void => {
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > socketBufferedBytesMax) {
      socket.close(1013, 'events are not being read fast enough');
      return;
    }
    socket.send(JSON.stringify(message));
  };
  const reply = (requestId: number, result: Result<unknown>): void => send({ type: 'reply', requestId, result });

  async function handle(message: SocketMessage): Promise<void> {
    if (message.type === 'unsubscribe') {
      if (!owned.has(message.subscriptionId)) {
        reply(message.requestId, { ok: false, error: { code: 'not_found', message: 'No such subscription on this connection.' } });
        return;
      }
      owned.delete(message.subscriptionId);
      reply(message.requestId, await service.unsubscribe(message.subscriptionId));
      return;
    }
    if (owned.size >= socketSubscriptionsMax) {
      reply(message.requestId, { ok: false, error: { code: 'resource_exhausted', message: `At most ${socketSubscriptionsMax} subscriptions per page.` } });
      return;
    }
    let topic;
    try {
      topic = validateTopic(message.topic);
    } catch (error) {
      reply(message.requestId, { ok: false, error: toAdminError(error) });
      return;
    }
    // Events can be published before the subscription id is known: hold them until it is.
    let subscriptionId: string | null = null;
    const early: AdminEvent[] = [];
    const result = await service.subscribe(topic, (event) => {
      if (subscriptionId === null) early.push(event);
      else send({ type: 'event', subscriptionId, event });
    });
    if (result.ok) {
      const id = result.value.subscriptionId;
      if (socket.readyState !== socket.OPEN) {
        await service.unsubscribe(id);
        return;
      }
      owned.add(id);
      reply(message.requestId, result);
      subscriptionId = id;
      for (const event of early.splice(0)) send({ type: 'event', subscriptionId: id, event });
      return;
    }
    reply(message.requestId, result);
  }

  socket.on('message', (data, isBinary) => {
    const text = Buffer.isBuffer(data) ? data.toString('utf8') : null;
    const message = isBinary || text === null ? null : parseSocketMessage(text);
    if (!message) {
      socket.close(1008, 'malformed message');
      return;
    }
    handle(message).catch((error: unknown) => reply(message.requestId, { ok: false, error: toAdminError(error) }));
  });
  socket.on('close', () => {
    for (const id of owned) void service.unsubscribe(id);
    owned.clear();
  });
}
