// etcd's JSON gateway on the client port: POST /v3/<service>/<method> with a JSON body, answered as
// etcd's grpc-gateway answers (original field names, 64-bit integers as strings, bytes as base64,
// default values left out; streams as newline-delimited {"result": …} objects). Each request is
// converted to the protobuf request the gRPC service would receive and handed to the same handler.
import { EventEmitter } from 'node:events';
import type http from 'node:http';
import path from 'node:path';
import protobuf from 'protobufjs';
import { status } from '@grpc/grpc-js';
import { httpRoutes, type HttpRoute } from './proto/httpRoutes.js';
import { methodDefinition, protoDirectory, protoFiles } from './proto/load.js';
import { toGrpcFailure } from './grpcStatus.js';

/** Largest JSON body accepted; the member's own request limit applies after decoding. */
const bodyBytesMax = 8 * 1024 * 1024;

export type UnaryHandler = (request: never) => Promise<object>;
export type StreamHandler = (call: GatewayCall) => void;
export type ServerStreamHandler = (request: never) => AsyncIterable<object>;

export interface GatewayHandlers {
  readonly unary: ReadonlyMap<string, UnaryHandler>;
  readonly duplex: ReadonlyMap<string, StreamHandler>;
  readonly serverStream: ReadonlyMap<string, ServerStreamHandler>;
}

const httpStatusOf: Partial<Record<status, number>> = {
  [status.INVALID_ARGUMENT]: 400, [status.OUT_OF_RANGE]: 400, [status.FAILED_PRECONDITION]: 400,
  [status.NOT_FOUND]: 404, [status.ALREADY_EXISTS]: 409, [status.PERMISSION_DENIED]: 403, [status.UNAUTHENTICATED]: 401,
  [status.RESOURCE_EXHAUSTED]: 429, [status.UNIMPLEMENTED]: 501, [status.UNAVAILABLE]: 503, [status.DEADLINE_EXCEEDED]: 504,
};

let root: protobuf.Root | undefined;

function protoRoot(): protobuf.Root {
  if (root) return root;
  const loaded = new protobuf.Root();
  loaded.resolvePath = (_origin, target) => path.join(protoDirectory, path.basename(target));
  loaded.loadSync(protoFiles, { keepCase: true });
  root = loaded;
  return loaded;
}

function routeKey(route: HttpRoute): string {
  return `${route.service}/${route.method}`;
}

/** Renames lowerCamel JSON keys to the proto's own names, recursively, so both spellings work. */
function normaliseKeys(type: protobuf.Type, value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    let field = type.fields[key];
    if (!field) field = Object.values(type.fields).find((f) => protobuf.util.camelCase(f.name) === key);
    if (!field) continue;
    field.resolve();
    const child = field.resolvedType instanceof protobuf.Type ? field.resolvedType : null;
    out[field.name] = child ? (Array.isArray(inner) ? inner.map((x) => normaliseKeys(child, x)) : normaliseKeys(child, inner)) : inner;
  }
  return out;
}

class GatewayRequestError extends Error {}

function methodTypes(route: HttpRoute): { request: protobuf.Type; response: protobuf.Type } {
  const method = protoRoot().lookupService(route.service).methods[route.method];
  if (!method) throw new GatewayRequestError(`unknown method ${route.method}`);
  method.resolve();
  return { request: method.resolvedRequestType!, response: method.resolvedResponseType! };
}

function jsonToRequest(route: HttpRoute, json: unknown): object {
  const definition = methodDefinition(route.service, route.method);
  const type = methodTypes(route).request;
  let message: protobuf.Message;
  try {
    message = type.fromObject(normaliseKeys(type, json ?? {}) as Record<string, unknown>);
  } catch (error) {
    throw new GatewayRequestError(`invalid request body: ${error instanceof Error ? error.message : String(error)}`);
  }
  const bytes = Buffer.from(type.encode(message).finish());
  return definition.requestDeserialize(bytes);
}

function responseToJson(route: HttpRoute, response: object): unknown {
  const definition = methodDefinition(route.service, route.method);
  const type = methodTypes(route).response;
  const bytes = definition.responseSerialize(response);
  return type.toObject(type.decode(bytes), { longs: String, enums: String, bytes: String, defaults: false });
}

function errorBody(error: unknown): { httpStatus: number; body: object } {
  if (error instanceof GatewayRequestError) return { httpStatus: 400, body: { error: error.message, message: error.message, code: status.INVALID_ARGUMENT } };
  const failure = toGrpcFailure(error);
  return { httpStatus: httpStatusOf[failure.code] ?? 500, body: { error: failure.details, message: failure.details, code: failure.code } };
}

/** A minimal stand-in for a grpc-js duplex call, so stream handlers serve the gateway unchanged. */
export class GatewayCall extends EventEmitter {
  cancelled = false;
  constructor(private readonly onWrite: (message: object) => boolean, private readonly onEnd: () => void) {
    super();
  }
  write(message: object): boolean {
    return this.onWrite(message);
  }
  end(): void {
    this.onEnd();
  }
  pause(): void {}
  resume(): void {}
}

/** Splits concatenated JSON objects ({…}{…} or one per line); `rest` is an unfinished tail. */
export function splitJsonObjects(text: string): { values: unknown[]; rest: string } {
  const values: unknown[] = [];
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1;
  let consumed = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}') {
      depth--;
      if (depth < 0) throw new GatewayRequestError('invalid request body: unbalanced braces');
      if (depth === 0) {
        values.push(JSON.parse(text.slice(start, i + 1)) as unknown);
        consumed = i + 1;
      }
    }
  }
  return { values, rest: text.slice(consumed) };
}

export class Gateway {
  private readonly routes = new Map<string, HttpRoute>();

  constructor(private readonly handlers: GatewayHandlers) {
    for (const route of httpRoutes) this.routes.set(route.path, route);
  }

  /** True when the request was a gateway path and has been answered. */
  handle(request: http.IncomingMessage, response: http.ServerResponse): boolean {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const route = this.routes.get(url.pathname);
    if (!route) return false;
    if (request.method !== 'POST') {
      response.writeHead(405, { allow: 'POST', 'content-type': 'application/json' }).end(JSON.stringify({ error: 'method not allowed', code: status.UNIMPLEMENTED }));
      return true;
    }
    const key = routeKey(route);
    const duplex = this.handlers.duplex.get(key);
    if (duplex) this.serveDuplex(route, duplex, request, response);
    else this.serveBuffered(route, key, request, response);
    return true;
  }

  private serveBuffered(route: HttpRoute, key: string, request: http.IncomingMessage, response: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > bodyBytesMax) {
        response.writeHead(413, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'etcdserver: request is too large', code: status.INVALID_ARGUMENT }));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      void (async () => {
        try {
          const text = Buffer.concat(chunks).toString('utf8').trim();
          let json: unknown = {};
          if (text !== '') {
            try {
              json = JSON.parse(text);
            } catch {
              throw new GatewayRequestError('invalid request body: not JSON');
            }
          }
          const decoded = jsonToRequest(route, json);
          const stream = this.handlers.serverStream.get(key);
          if (stream) {
            response.writeHead(200, { 'content-type': 'application/json' });
            for await (const message of stream(decoded as never)) {
              response.write(`${JSON.stringify({ result: responseToJson(route, message) })}\n`);
            }
            response.end();
            return;
          }
          const unary = this.handlers.unary.get(key);
          if (!unary) {
            response.writeHead(501, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `${route.method} is not implemented`, code: status.UNIMPLEMENTED }));
            return;
          }
          const result = await unary(decoded as never);
          response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(responseToJson(route, result)));
        } catch (error) {
          const { httpStatus, body } = errorBody(error);
          if (!response.headersSent) response.writeHead(httpStatus, { 'content-type': 'application/json' });
          response.end(JSON.stringify(body));
        }
      })();
    });
  }

  private serveDuplex(route: HttpRoute, handler: StreamHandler, request: http.IncomingMessage, response: http.ServerResponse): void {
    response.writeHead(200, { 'content-type': 'application/json' });
    const call = new GatewayCall(
      (message) => response.write(`${JSON.stringify({ result: responseToJson(route, message) })}\n`),
      () => response.end(),
    );
    response.on('drain', () => call.emit('drain'));
    call.on('error', (error: unknown) => {
      response.end(`${JSON.stringify({ error: errorBody(error).body })}\n`);
    });
    handler(call);
    let pending = '';
    request.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      if (pending.length > bodyBytesMax) {
        request.destroy();
        return;
      }
      try {
        const { values, rest } = splitJsonObjects(pending);
        pending = rest;
        for (const value of values) call.emit('data', jsonToRequest(route, value));
      } catch (error) {
        response.end(`${JSON.stringify({ error: errorBody(error).body })}\n`);
        request.destroy();
      }
    });
    const close = (): void => {
      call.cancelled = true;
      call.emit('cancelled');
      call.emit('close');
    };
    response.on('close', close);
  }
}
