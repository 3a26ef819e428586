// etcd's JSON gateway on the client port, answering as etcd 3.4's grpc-gateway answers: POST
// /v3/<service>/<method> (and the same under /v3beta/) with a JSON body read as Go reads it
// (core/api/jsonpbDecode.ts), responses written as jsonpb writes them (core/api/jsonpbEncode.ts),
// streams as newline-delimited {"result": …} objects, and etcd's status codes and bodies for bad
// bodies, unknown paths, wrong methods and requests over the size limit. Each request becomes the
// protobuf request the gRPC service would receive and goes to the same handler.
import { EventEmitter } from 'node:events';
import type http from 'node:http';
import path from 'node:path';
import protobuf from 'protobufjs';
import { status } from '@grpc/grpc-js';
import { gatewayBetaPrefix, gatewayPrefix, httpRoutes, type HttpRoute } from './proto/httpRoutes.js';
import { methodDefinition, protoDirectory, protoFiles } from './proto/load.js';
import { toGrpcFailure, type GrpcFailure } from './grpcStatus.js';
import { decodeNext, GoJsonError, type JsonNode } from './goJson.js';
import { messageFrom } from './jsonpbDecode.js';
import { messageToJson } from './jsonpbEncode.js';
import { oversizeMessage } from './messageSize.js';
import { credentialsOf, type MetadataLike } from '../auth/credentials.js';
import type { CallContext } from './handlers.js';

export type UnaryHandler = (request: never, call: CallContext) => Promise<object>;
export type StreamHandler = (call: GatewayCall) => void;
export type ServerStreamHandler = (request: never, call: CallContext) => AsyncIterable<object>;

/**
 * A request's headers as gRPC metadata: etcd's gateway forwards `Authorization` (the token, as
 * `Authenticate` returned it) to the gRPC side, where it names the caller. A gateway request never
 * names its caller by certificate (etcd ignores the common name of gateway requests).
 */
function headerMetadata(request: http.IncomingMessage): MetadataLike {
  return {
    get(key: string): string[] {
      const value = request.headers[key];
      return value === undefined ? [] : Array.isArray(value) ? value : [value];
    },
  };
}

/** The call context of a buffered gateway request: its credentials, and a signal that aborts when the client goes. */
function gatewayContext(request: http.IncomingMessage, response: http.ServerResponse): CallContext {
  let signal: AbortSignal | null = null;
  return {
    credentials: credentialsOf(headerMetadata(request)),
    get signal(): AbortSignal {
      if (signal === null) {
        const gone = new AbortController();
        response.once('close', () => gone.abort());
        signal = gone.signal;
      }
      return signal;
    },
  };
}

export interface GatewayHandlers {
  readonly unary: ReadonlyMap<string, UnaryHandler>;
  readonly duplex: ReadonlyMap<string, StreamHandler>;
  readonly serverStream: ReadonlyMap<string, ServerStreamHandler>;
}

export interface GatewayOptions {
  /** Largest encoded request the gRPC server takes (etcd: --max-request-bytes plus 512 KiB). */
  readonly requestBytesMax: number;
}

/** Bodies read per request, as a multiple of the request limit (base64 and JSON escapes inflate). */
const bodyBytesPerRequestByte = 4;

/** grpc-gateway v1's HTTPStatusFromCode, which etcd 3.4's gateway answers with. */
const httpStatusOf: Record<number, number> = {
  [status.OK]: 200, [status.CANCELLED]: 408, [status.UNKNOWN]: 500, [status.INVALID_ARGUMENT]: 400,
  [status.DEADLINE_EXCEEDED]: 504, [status.NOT_FOUND]: 404, [status.ALREADY_EXISTS]: 409,
  [status.PERMISSION_DENIED]: 403, [status.UNAUTHENTICATED]: 401, [status.RESOURCE_EXHAUSTED]: 429,
  [status.FAILED_PRECONDITION]: 412, [status.ABORTED]: 409, [status.OUT_OF_RANGE]: 400,
  [status.UNIMPLEMENTED]: 501, [status.INTERNAL]: 500, [status.UNAVAILABLE]: 503, [status.DATA_LOSS]: 500,
};

const httpStatusText: Record<number, string> = {
  200: 'OK', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 408: 'Request Timeout',
  409: 'Conflict', 412: 'Precondition Failed', 429: 'Too Many Requests', 500: 'Internal Server Error',
  501: 'Not Implemented', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

/** The CORS headers etcd's client port sends with every answer. */
const corsHeaders = {
  'access-control-allow-headers': 'accept, content-type, authorization',
  'access-control-allow-methods': 'POST, GET, OPTIONS, PUT, DELETE',
  'access-control-allow-origin': '*',
};
const jsonHeaders = { ...corsHeaders, 'content-type': 'application/json' };

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

/** A request the gRPC server would refuse for its size, before any handler sees it. */
class OversizeRequestError extends Error {}

function methodTypes(route: HttpRoute): { request: protobuf.Type; response: protobuf.Type } {
  const method = protoRoot().lookupService(route.service).methods[route.method]!;
  method.resolve();
  return { request: method.resolvedRequestType!, response: method.resolvedResponseType! };
}

function responseToJson(route: HttpRoute, response: object): unknown {
  const definition = methodDefinition(route.service, route.method);
  const type = methodTypes(route).response;
  return messageToJson(type, type.decode(definition.responseSerialize(response)));
}

/**
 * The gRPC status an error answers with. A body Go cannot decode gets `decodeCode`: etcd's
 * gateway wraps it in INVALID_ARGUMENT for unary calls and passes it bare (UNKNOWN) for streams.
 */
function failureOf(error: unknown, decodeCode: status): GrpcFailure {
  if (error instanceof GoJsonError) return { code: decodeCode, details: error.message };
  if (error instanceof OversizeRequestError) return { code: status.RESOURCE_EXHAUSTED, details: error.message };
  if (typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'number' && !(error instanceof Error)) {
    const { code, details } = error as { code: number; details?: string };
    return { code, details: details ?? '' };
  }
  return toGrpcFailure(error);
}

/** grpc-gateway's error body: a proto message, so an empty message is left out too. */
function errorBody(failure: GrpcFailure): string {
  const body: Record<string, unknown> = {};
  if (failure.details !== '') {
    body['error'] = failure.details;
    body['message'] = failure.details;
  }
  if (failure.code !== status.OK) body['code'] = failure.code;
  return JSON.stringify(body);
}

/** grpc-gateway's in-stream error chunk. */
function streamErrorBody(failure: GrpcFailure): string {
  const httpStatus = httpStatusOf[failure.code] ?? 500;
  const inner: Record<string, unknown> = { grpc_code: failure.code, http_code: httpStatus };
  if (failure.details !== '') inner['message'] = failure.details;
  inner['http_status'] = httpStatusText[httpStatus] ?? '';
  return JSON.stringify({ error: inner });
}

/** Go's http.Error: a plain-text answer. */
function plainError(response: http.ServerResponse, httpStatus: number, text: string): void {
  response
    .writeHead(httpStatus, { ...corsHeaders, 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' })
    .end(`${text}\n`);
}

/** A minimal stand-in for a grpc-js duplex call, so stream handlers serve the gateway unchanged. */
export class GatewayCall extends EventEmitter {
  cancelled = false;
  constructor(
    private readonly onWrite: (message: object) => boolean,
    private readonly onEnd: () => void,
    private readonly onPause: (paused: boolean) => void,
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
  pause(): void {
    this.onPause(true);
  }
  resume(): void {
    this.onPause(false);
  }
}

export class Gateway {
  private readonly routes = new Map<string, HttpRoute>();
  private readonly bodyBytesMax: number;

  constructor(
    private readonly handlers: GatewayHandlers,
    private readonly options: GatewayOptions,
  ) {
    for (const route of httpRoutes) this.routes.set(route.path, route);
    this.bodyBytesMax = options.requestBytesMax * bodyBytesPerRequestByte;
  }

  /**
   * True when the path is the gateway's (under /v3/ or /v3beta/) and has been answered; other
   * paths (/v3alpha/ among them, which etcd 3.4 no longer serves) are left to the caller.
   */
  handle(request: http.IncomingMessage, response: http.ServerResponse): boolean {
    const url = new URL(request.url ?? '/', 'http://localhost');
    let pathname = url.pathname;
    if (pathname.startsWith(gatewayBetaPrefix)) pathname = gatewayPrefix + pathname.slice(gatewayBetaPrefix.length);
    if (!pathname.startsWith(gatewayPrefix)) return false;
    const route = this.routes.get(pathname);
    if (!route) plainError(response, 404, 'Not Found');
    else if (request.method !== 'POST') plainError(response, 405, 'Method Not Allowed');
    else {
      const key = routeKey(route);
      const duplex = this.handlers.duplex.get(key);
      if (duplex) this.serveDuplex(route, duplex, request, response);
      else this.serveBuffered(route, key, request, response);
    }
    return true;
  }

  /** The protobuf request for a JSON body, as the gRPC service would receive it. */
  private toRequest(route: HttpRoute, node: JsonNode | null): object {
    const type = methodTypes(route).request;
    const message = type.fromObject(node === null ? {} : messageFrom(type, node));
    const bytes = Buffer.from(type.encode(message).finish());
    if (bytes.length > this.options.requestBytesMax) throw new OversizeRequestError(oversizeMessage(bytes.length, this.options.requestBytesMax));
    return methodDefinition(route.service, route.method).requestDeserialize(bytes);
  }

  private serveBuffered(route: HttpRoute, key: string, request: http.IncomingMessage, response: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    request.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > this.bodyBytesMax) {
        refused = true;
        const failure = { code: status.RESOURCE_EXHAUSTED, details: `gateway: request body larger than ${this.bodyBytesMax} bytes` };
        response.writeHead(429, { ...jsonHeaders, connection: 'close' }).end(errorBody(failure));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (refused) return;
      void this.answerBuffered(route, key, Buffer.concat(chunks).toString('utf8'), response, gatewayContext(request, response));
    });
  }

  private async answerBuffered(route: HttpRoute, key: string, text: string, response: http.ServerResponse, context: CallContext): Promise<void> {
    const stream = this.handlers.serverStream.get(key);
    try {
      const decoded = decodeNext(text, 0, true);
      if (decoded.kind === 'incomplete') throw new GoJsonError('unexpected EOF');
      const requestMessage = this.toRequest(route, decoded.kind === 'value' ? decoded.node : null);
      if (stream) {
        await this.forwardStream(route, stream(requestMessage as never, context), response);
        return;
      }
      const unary = this.handlers.unary.get(key);
      if (!unary) {
        response.writeHead(501, jsonHeaders).end(errorBody({ code: status.UNIMPLEMENTED, details: `unknown method ${route.method} for service ${route.service}` }));
        return;
      }
      const result = await unary(requestMessage as never, context);
      response.writeHead(200, jsonHeaders).end(JSON.stringify(responseToJson(route, result)));
    } catch (error) {
      const failure = failureOf(error, status.INVALID_ARGUMENT);
      if (response.headersSent) {
        response.end();
        return;
      }
      response.writeHead(httpStatusOf[failure.code] ?? 500, jsonHeaders).end(errorBody(failure));
    }
  }

  /** A server stream, as grpc-gateway forwards one: headers with the first message, errors as a chunk. */
  private async forwardStream(route: HttpRoute, messages: AsyncIterable<object>, response: http.ServerResponse): Promise<void> {
    try {
      for await (const message of messages) {
        if (response.destroyed) return;
        if (!response.headersSent) response.writeHead(200, jsonHeaders);
        if (!response.write(`${JSON.stringify({ result: responseToJson(route, message) })}\n`)) {
          await new Promise<void>((resolve) => response.once('drain', resolve).once('close', resolve));
        }
      }
    } catch (error) {
      const failure = failureOf(error, status.UNKNOWN);
      if (!response.headersSent) response.writeHead(httpStatusOf[failure.code] ?? 500, jsonHeaders);
      response.write(streamErrorBody(failure));
    }
    if (!response.headersSent) response.writeHead(200, jsonHeaders);
    response.end();
  }

  /**
   * A bidirectional stream. As etcd's gateway does: a first request that cannot be read is
   * answered 500 with code 2 and nothing starts; otherwise the call starts, each further request
   * goes to it, and the end of the body — or a request that cannot be read — ends the requests.
   * For routes that answer each request once (keepalive) the response then ends as soon as every
   * request has its answer; a watch stays open and keeps delivering events. Headers go out with
   * the first answer.
   */
  private serveDuplex(route: HttpRoute, handler: StreamHandler, request: http.IncomingMessage, response: http.ServerResponse): void {
    const stream = new DuplexExchange(route, handler, request, response, this.bodyBytesMax, (node) => this.toRequest(route, node));
    stream.listen();
  }
}

/** One bidirectional gateway stream: the body's requests in, the call's answers out. */
class DuplexExchange {
  private text = '';
  private bodyEnded = false;
  private call: GatewayCall | null = null;
  private requestsEnded = false;
  private requests = 0;
  private answers = 0;
  private finished = false;

  constructor(
    private readonly route: HttpRoute,
    private readonly handler: StreamHandler,
    private readonly request: http.IncomingMessage,
    private readonly response: http.ServerResponse,
    private readonly bodyBytesMax: number,
    private readonly toRequest: (node: JsonNode | null) => object,
  ) {}

  listen(): void {
    this.request.on('data', (chunk: Buffer) => {
      if (this.requestsEnded || this.finished) return;
      this.text += chunk.toString('utf8');
      this.pump();
    });
    this.request.on('end', () => {
      this.bodyEnded = true;
      this.pump();
    });
    this.response.on('close', () => {
      this.finished = true;
      this.cancelCall();
    });
  }

  private head(httpStatus = 200): void {
    if (!this.response.headersSent) this.response.writeHead(httpStatus, jsonHeaders);
  }

  private cancelCall(): void {
    const call = this.call;
    if (!call || call.cancelled) return;
    call.cancelled = true;
    call.emit('cancelled');
    call.emit('close');
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.head();
    this.response.end();
    this.cancelCall();
  }

  /** Ends a stream that answers each request once, when the requests are over and all answered. */
  private maybeFinish(): void {
    if (!this.route.endsAfterAnswers || !this.requestsEnded || this.answers < this.requests || !this.call) return;
    this.call.emit('end');
    this.finish();
  }

  private endRequests(): void {
    if (this.requestsEnded) return;
    this.requestsEnded = true;
    this.request.resume();
    this.maybeFinish();
  }

  private write(message: object): boolean {
    if (this.finished) return true;
    this.head();
    this.answers++;
    const flowing = this.response.write(`${JSON.stringify({ result: responseToJson(this.route, message) })}\n`);
    this.maybeFinish();
    return flowing;
  }

  private start(): GatewayCall {
    const call = new GatewayCall(
      (message) => this.write(message),
      () => this.finish(),
      (paused) => (paused ? this.request.pause() : this.request.resume()),
      headerMetadata(this.request),
    );
    this.call = call;
    this.response.on('drain', () => call.emit('drain'));
    call.on('error', (error: unknown) => {
      if (this.finished) return;
      const failure = failureOf(error, status.UNKNOWN);
      this.head(httpStatusOf[failure.code] ?? 500);
      this.response.write(streamErrorBody(failure));
      this.finish();
    });
    this.handler(call);
    return call;
  }

  /** A first request that cannot be read: etcd's gateway answers it and starts nothing. */
  private refuse(error: unknown): void {
    this.finished = true;
    const failure = failureOf(error, status.UNKNOWN);
    this.response.writeHead(httpStatusOf[failure.code] ?? 500, jsonHeaders).end(errorBody(failure));
    this.request.resume();
  }

  /** The next request of the body, `wait` until one is complete, `end` after the last; throws for one that cannot be read. */
  private next(): object | 'wait' | 'end' {
    const decoded = decodeNext(this.text, 0, this.bodyEnded);
    if (decoded.kind === 'incomplete') {
      if (this.bodyEnded) throw new GoJsonError('unexpected EOF');
      if (this.text.length > this.bodyBytesMax) throw new OversizeRequestError(`gateway: request larger than ${this.bodyBytesMax} bytes`);
      return 'wait';
    }
    if (decoded.kind === 'empty') {
      this.text = '';
      return this.bodyEnded ? 'end' : 'wait';
    }
    this.text = this.text.slice(decoded.end);
    return this.toRequest(decoded.node);
  }

  private pump(): void {
    while (!this.requestsEnded && !this.finished) {
      let next: object | 'wait' | 'end';
      try {
        next = this.next();
      } catch (error) {
        if (this.call) this.endRequests();
        else this.refuse(error);
        return;
      }
      if (next === 'wait') return;
      const call = this.call ?? this.start();
      if (next === 'end') {
        this.endRequests();
        return;
      }
      this.requests++;
      call.emit('data', next);
    }
  }
}
