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
import { credentialsOf, type Credentials, type MetadataLike } from '../auth/credentials.js';

/** Largest JSON body accepted; the member's own request limit applies after decoding. */
const bodyBytesMax = 8 * 1024 * 1024;

export type UnaryHandler = (request: never, credentials: Credentials) => Promise<object>;
export type StreamHandler = (call: GatewayCall) => void;
export type ServerStreamHandler = (request: never, credentials: Credentials) => AsyncIterable<object>;

/**
 * A request's headers as gRPC metadata: etcd's gateway forwards `Authorization` (the token, as
 * `Authenticate` returned it) to the gRPC side, where it names the caller.
 */
function headerMetadata(request: http.IncomingMessage): MetadataLike {
  return {
    get(key: string): string[] {
      const value = request.headers[key];
      return value === undefined ? [] : Array.isArray(value) ? value : [value];
    },
  };
}

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

class GatewayRequestError extends Error {}

const integerTypes = new Set(['int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'fixed32', 'fixed64', 'sfixed32', 'sfixed64']);
/** Standard or URL-safe base64, padding optional (what grpc-gateway's JSON decoding accepts). */
const base64Pattern = /^[A-Za-z0-9+/_-]*={0,2}$/;

function jsonKind(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

/**
 * Checks one JSON value against its proto field's scalar type. protobufjs's fromObject converts
 * silently (a number where bytes belong becomes no bytes at all, so a delete meant for a range
 * would delete the single key); etcd's gateway refuses such a body, and so does this one.
 */
function checkScalar(field: protobuf.Field, value: unknown, where: string): void {
  const wrong = (wanted: string): never => {
    throw new GatewayRequestError(`invalid request body: ${where} wants ${wanted}, got ${jsonKind(value)}`);
  };
  if (field.resolvedType instanceof protobuf.Enum) {
    const values = field.resolvedType.values;
    if (typeof value === 'string' ? !Object.hasOwn(values, value) : !(typeof value === 'number' && Number.isInteger(value))) wrong(`one of ${Object.keys(values).join(', ')}`);
    return;
  }
  switch (field.type) {
    case 'bytes':
      if (typeof value !== 'string' || !base64Pattern.test(value) || value.replace(/=+$/, '').length % 4 === 1) wrong('base64 bytes');
      return;
    case 'string':
      if (typeof value !== 'string') wrong('a string');
      return;
    case 'bool':
      if (typeof value !== 'boolean') wrong('true or false');
      return;
    case 'double':
    case 'float':
      if (typeof value !== 'number' && !(typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))) wrong('a number');
      return;
    default:
      if (integerTypes.has(field.type) && !(typeof value === 'number' ? Number.isInteger(value) : typeof value === 'string' && /^-?\d+$/.test(value))) {
        wrong('an integer (a number or a string of digits)');
      }
  }
}

/**
 * Renames lowerCamel JSON keys to the proto's own names, recursively, so both spellings work,
 * and refuses values of the wrong JSON type. Unknown keys are ignored, as etcd's gateway does.
 */
function normaliseKeys(type: protobuf.Type, value: unknown, where = 'the body'): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new GatewayRequestError(`invalid request body: ${where} wants an object, got ${jsonKind(value)}`);
  }
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    let field = type.fields[key];
    if (!field) field = Object.values(type.fields).find((f) => protobuf.util.camelCase(f.name) === key);
    if (!field) continue;
    if (inner === null) continue;
    field.resolve();
    const child = field.resolvedType instanceof protobuf.Type ? field.resolvedType : null;
    const at = `field "${field.name}"`;
    const one = (x: unknown, whereOne: string): unknown => {
      if (child) return normaliseKeys(child, x, whereOne);
      checkScalar(field, x, whereOne);
      return x;
    };
    if (field.repeated) {
      if (!Array.isArray(inner)) throw new GatewayRequestError(`invalid request body: ${at} wants an array, got ${jsonKind(inner)}`);
      out[field.name] = inner.map((x, i) => one(x, `${at}[${i}]`));
    } else {
      out[field.name] = one(inner, at);
    }
  }
  return out;
}

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
    message = type.fromObject(normaliseKeys(type, json ?? {}));
  } catch (error) {
    if (error instanceof GatewayRequestError) throw error;
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
  constructor(
    private readonly onWrite: (message: object) => boolean,
    private readonly onEnd: () => void,
    readonly metadata: MetadataLike,
  ) {
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
            for await (const message of stream(decoded as never, credentialsOf(headerMetadata(request)))) {
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
          const result = await unary(decoded as never, credentialsOf(headerMetadata(request)));
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
      headerMetadata(request),
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
