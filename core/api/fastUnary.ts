// Unary calls served straight from Node's HTTP/2 streams, without grpc-js's per-call machinery
// (an intercepting call, a Metadata object, a stream decoder, a ServerUnaryCall, promise and
// callback layers). grpc-js still owns the connection: its HTTP/2 server, sessions, keepalive and
// every streaming method, and it answers any call this path does not take. This path takes a call
// only when it looks like the common case (a known unary method, a gRPC content type, no message
// compression, a well-formed deadline) and answers it byte for byte as grpc-js would: the same
// response headers, trailers, trailers-only errors, and status texts for what a unary call can get
// wrong (no message, a second message, an oversize or undecodable one, a deadline).
//
// Profiled on one member under puts from etcd's Go client, grpc-js's call layer was about a tenth
// of the member's busy time; docs/benchmarks.md has the figures.
import { EventEmitter } from 'node:events';
import type http2 from 'node:http2';
import { TLSSocket } from 'node:tls';
import { status, type Server } from '@grpc/grpc-js';
import { assert } from '../raft/assert.js';
import type { CallContext } from './handlers.js';
import type { Credentials } from '../auth/credentials.js';
import { clientCommonName } from './clientIdentity.js';
import { toGrpcFailure } from './grpcStatus.js';
import { OversizeRequest, oversizeMessage } from './messageSize.js';

/** What a fast-path handler knows of its call: a CallContext, and its deadline (ms since the epoch, Infinity without one). */
export interface FastCallContext extends CallContext {
  readonly deadline: number;
}

/** One unary method: its codec (the service definition's) and its handler. */
export interface FastMethod {
  readonly deserialize: (bytes: Buffer) => unknown;
  readonly serialize: (value: never) => Buffer;
  /**
   * Optionally, an encoder of the handler's answer straight to a whole gRPC message frame (flag and
   * length first), saving a copy of the message; null sends it through `serialize` instead.
   */
  readonly frame?: (value: never) => Buffer | null;
  readonly handler: (request: never, call: FastCallContext) => Promise<object>;
}

/** The methods a server serves on the fast path, and how its grpc-js server is set up. */
export interface FastUnaryTable {
  readonly methods: ReadonlyMap<string, FastMethod>;
  /** grpc-js's message limits (-1: none). */
  readonly receiveBytesMax: number;
  readonly sendBytesMax: number;
  /**
   * Whether the grpc-js server has interceptors: grpc-js then sends the response headers before
   * it serializes the answer, so an answer that fails to serialize or is over the send limit ends
   * with trailers after headers rather than trailers only.
   */
  readonly intercepted: boolean;
}

/** grpc-js's deadline syntax and units (server-interceptors), so a deadline means the same on both paths. */
const deadlinePattern = /(\d{1,8})\s*([HMSmun])/;
const deadlineUnitMs: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 0.001, n: 0.000001 };
const frameHeaderBytes = 5;

/** What grpc-js sends ahead of a response message (frozen: framedHttp2.ts then encodes it once). */
const responseHeaders: http2.OutgoingHttpHeaders = Object.freeze({
  ':status': 200,
  'content-type': 'application/grpc+proto',
  'grpc-accept-encoding': 'identity,deflate,gzip',
  'grpc-encoding': 'identity',
});
const okTrailers: http2.OutgoingHttpHeaders = Object.freeze({ 'grpc-status': status.OK, 'grpc-message': 'OK' });
const respondOptions = { waitForTrailers: true };
const trailersOnlyOptions = { endStream: true };

/** A request's headers, as Node's HTTP/2 and framedHttp2.ts give them. */
export type CallHeaders = Readonly<Record<string, string | string[] | undefined>>;

/**
 * The part of an HTTP/2 server stream a fast call uses: Node's ServerHttp2Stream has it, and so
 * has framedHttp2.ts's FramedStream.
 */
export interface CallStream {
  readonly session?: { readonly socket: unknown } | undefined;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'error' | 'close' | 'end' | 'wantTrailers', listener: () => void): unknown;
  once(event: 'wantTrailers', listener: () => void): unknown;
  respond(headers: http2.OutgoingHttpHeaders, options?: { endStream?: boolean; waitForTrailers?: boolean }): void;
  end(data?: Buffer): unknown;
  sendTrailers(headers: http2.OutgoingHttpHeaders): void;
  resume(): unknown;
}

/** The verified client certificate's common name per HTTP/2 session (it cannot change within one). */
const sessionNames = new WeakMap<object, string | null>();

function commonNameOf(stream: CallStream): string | null {
  const session = stream.session;
  if (!session) return null;
  let name = sessionNames.get(session);
  if (name === undefined) {
    const socket = session.socket;
    name = socket instanceof TLSSocket && socket.authorized ? clientCommonName({ getAuthContext: () => ({ sslPeerCertificate: peerCertificate(socket) }) }) : null;
    sessionNames.set(session, name);
  }
  return name;
}

/** grpc-js's reading of a verified TLS socket's peer certificate: present only when it has raw bytes. */
function peerCertificate(socket: TLSSocket): ReturnType<TLSSocket['getPeerCertificate']> | undefined {
  const certificate = socket.getPeerCertificate();
  return certificate.raw ? certificate : undefined;
}

function firstHeader(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? (value[0] ?? null) : value;
}

/**
 * Serves `stream` if it is a unary call in `methods` that this path takes (see the header), and
 * says whether it did; when it did not, nothing of the stream was read or answered.
 */
export function serveFastUnary(table: FastUnaryTable, stream: CallStream, headers: CallHeaders): boolean {
  const path = headers[':path'];
  const method = typeof path === 'string' ? table.methods.get(path) : undefined;
  if (method === undefined) return false;
  const contentType = headers['content-type'];
  if (typeof contentType !== 'string' || !contentType.startsWith('application/grpc')) return false;
  const encoding = headers['grpc-encoding'];
  if (encoding !== undefined && encoding !== 'identity') return false;
  const timeout = headers['grpc-timeout'];
  let timeoutMs = -1;
  if (timeout !== undefined) {
    const match = deadlinePattern.exec(String(timeout));
    if (match === null) return false;
    timeoutMs = (Number(match[1]) * (deadlineUnitMs[match[2] ?? ''] ?? 0)) | 0;
  }
  new FastCall(method, table, stream, headers, path as string, timeoutMs);
  return true;
}

/** Where a stream on the fast path holds its call. */
const callOf = Symbol('fast unary call');

type CallCarrier = CallStream & { [callOf]: FastCall };

// An error always comes with a close, which is what ends the call.
function ignoreError(): void {}

function onClose(this: CallCarrier): void {
  this[callOf].cancel();
}

function onData(this: CallCarrier, chunk: Buffer): void {
  this[callOf].receive(chunk);
}

function onEnd(this: CallCarrier): void {
  this[callOf].halfClosed();
}

function sendOkTrailers(this: CallStream): void {
  this.sendTrailers(okTrailers);
}

/** `message` as an uncompressed gRPC message frame. */
function framed(message: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(frameHeaderBytes + message.length);
  frame[0] = 0;
  frame.writeUInt32BE(message.length, 1);
  message.copy(frame, frameHeaderBytes);
  return frame;
}

/** Marks a call whose request message has not arrived. */
const noRequest = Symbol('no request');

/** One call on the fast path, from its first byte to its status. */
class FastCall {
  /** Bytes received and not yet taken as whole messages. */
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  /** The length of the message whose header was read, or -1 before it. */
  private expected = -1;
  private request: unknown = noRequest;
  /** Set once a status went out, or the stream closed first; nothing is sent after. */
  private finished = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly deadline: number = Infinity;
  private gone: AbortController | null = null;

  constructor(
    private readonly method: FastMethod,
    private readonly table: FastUnaryTable,
    private readonly stream: CallStream,
    private readonly headers: CallHeaders,
    private readonly path: string,
    timeoutMs: number,
  ) {
    // The listeners are shared functions that find the call on the stream: no closures per call.
    (stream as Partial<CallCarrier>)[callOf] = this;
    stream.on('error', ignoreError);
    stream.on('close', onClose);
    stream.on('data', onData);
    stream.on('end', onEnd);
    if (timeoutMs >= 0) {
      this.deadline = Date.now() + timeoutMs;
      this.timer = setTimeout(() => this.fail(status.DEADLINE_EXCEEDED, 'Deadline exceeded'), timeoutMs);
    }
  }

  /** Takes each whole message as it completes, in the order and with the checks grpc-js applies. */
  receive(chunk: Buffer): void {
    if (this.finished) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.expected < 0) {
        if (this.buffered < frameHeaderBytes) return;
        this.expected = this.flatten().readUInt32BE(1);
        // grpc-js refuses a message over its receive limit as soon as its length is read.
        const limit = this.table.receiveBytesMax;
        if (limit !== -1 && this.expected > limit) {
          this.fail(status.RESOURCE_EXHAUSTED, `Received message larger than max (${this.expected} vs ${limit})`);
          return;
        }
      }
      const end = frameHeaderBytes + this.expected;
      if (this.buffered < end) return;
      const bytes = this.flatten();
      this.chunks.length = 0;
      this.buffered -= end;
      if (this.buffered > 0) this.chunks.push(bytes.subarray(end));
      this.expected = -1;
      this.message(bytes.subarray(frameHeaderBytes, end));
      if (this.finished) return;
    }
  }

  /** The buffered bytes as one buffer (copied only when they came in several chunks). */
  private flatten(): Buffer {
    if (this.chunks.length > 1) {
      const whole = Buffer.concat(this.chunks, this.buffered);
      this.chunks.length = 0;
      this.chunks.push(whole);
    }
    return this.chunks[0] as Buffer;
  }

  private message(bytes: Buffer): void {
    let request: unknown;
    try {
      request = this.method.deserialize(bytes);
    } catch {
      this.fail(status.INTERNAL, 'Error deserializing request');
      return;
    }
    if (request instanceof OversizeRequest) this.fail(status.RESOURCE_EXHAUSTED, oversizeMessage(request.sizeBytes, request.limitBytes));
    else if (this.request !== noRequest) this.fail(status.UNIMPLEMENTED, `Received a second request message for server streaming method ${this.path}`);
    else this.request = request;
  }

  halfClosed(): void {
    if (this.finished) return;
    this.chunks.length = 0;
    if (this.request === noRequest) {
      this.fail(status.UNIMPLEMENTED, `Received no request message for server streaming method ${this.path}`);
      return;
    }
    let answer: Promise<object>;
    try {
      answer = this.method.handler(this.request as never, this.context());
    } catch {
      // grpc-js's words for a handler that throws instead of rejecting.
      this.fail(status.UNKNOWN, 'Unknown error');
      return;
    }
    answer.then(
      (response) => this.succeed(response),
      (error: unknown) => {
        const failure = toGrpcFailure(error);
        this.fail(failure.code, failure.details);
      },
    );
  }

  private context(): FastCallContext {
    const headers = this.headers;
    const credentials: Credentials = { token: firstHeader(headers.token) ?? firstHeader(headers.authorization), commonName: commonNameOf(this.stream) };
    const signal = (): AbortSignal => this.signal();
    return {
      credentials,
      deadline: this.deadline,
      get signal(): AbortSignal {
        return signal();
      },
    };
  }

  /** Aborts when the call ends before its handler does. Only handlers that read it (Lock, Campaign: they wait) pay for one. */
  private signal(): AbortSignal {
    this.gone ??= new AbortController();
    if (this.finished) this.gone.abort();
    return this.gone.signal;
  }

  private succeed(response: object): void {
    if (this.finished) return;
    let frame: Buffer;
    try {
      frame = this.method.frame?.(response as never) ?? framed(this.method.serialize(response as never));
    } catch {
      this.failAnswer(status.INTERNAL, 'Error serializing response');
      return;
    }
    const limit = this.table.sendBytesMax;
    if (limit !== -1 && frame.length - frameHeaderBytes > limit) {
      this.failAnswer(status.RESOURCE_EXHAUSTED, `Sent message larger than max (${frame.length} vs. ${limit})`);
      return;
    }
    this.finish();
    this.answer(frame, okTrailers);
  }

  /** An answer that could not be sent, with the status grpc-js gives it. */
  private failAnswer(code: status, details: string): void {
    if (!this.table.intercepted) {
      this.fail(code, details);
      return;
    }
    this.finish();
    this.answer(null, { 'grpc-status': code, 'grpc-message': encodeURI(details) });
  }

  /** Response headers, then `frame` if any, then `trailers`. */
  private answer(frame: Buffer | null, trailers: http2.OutgoingHttpHeaders): void {
    const stream = this.stream;
    try {
      stream.respond(responseHeaders, respondOptions);
      if (trailers === okTrailers) stream.on('wantTrailers', sendOkTrailers);
      else stream.once('wantTrailers', () => stream.sendTrailers(trailers));
      if (frame === null) stream.end();
      else stream.end(frame);
    } catch {
      // The client reset the stream between the check and the write: nobody is left to answer.
    }
  }

  /** A trailers-only answer, as grpc-js sends a status before any message. */
  private fail(code: status, details: string): void {
    if (this.finished) return;
    this.finish();
    try {
      this.stream.respond({ 'grpc-status': code, 'grpc-message': encodeURI(details), ':status': 200, 'content-type': 'application/grpc+proto' }, trailersOnlyOptions);
    } catch {
      // As above: the stream is already gone.
    }
    // Whatever the client still sends is read and dropped, so its flow-control window stays open.
    this.stream.resume();
  }

  private finish(): void {
    this.finished = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.gone?.abort();
  }

  cancel(): void {
    if (this.finished) return;
    this.finish();
  }
}

type StreamListener = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, flags: number, rawHeaders: string[]) => void;

/** Serves one HTTP/2 stream: `take` first, grpc-js's own call layer when `take` declines it. */
export type StreamDispatch = (stream: CallStream, headers: CallHeaders) => void;

/**
 * Puts `take` in front of every HTTP/2 server `server` makes (the connection injector's among
 * them): each new stream goes to `take` first, and to grpc-js only when `take` declines it. This
 * reaches into grpc-js (its `createHttp2Server`, and the one 'stream' listener it installs), which
 * is pinned to an exact version; if either changes shape the member fails at start, loudly.
 *
 * Returns the same dispatch for streams that did not come through Node's HTTP/2 (framedHttp2.ts's):
 * grpc-js's stream listener reads of a stream only what FramedStream provides (see there). It can
 * serve once grpc-js has made an HTTP/2 server, which createConnectionInjector() does.
 */
export function takeStreamsFirst(server: Server, take: (stream: CallStream, headers: CallHeaders) => boolean): StreamDispatch {
  const internals = server as unknown as { createHttp2Server?: unknown };
  const create = internals.createHttp2Server;
  assert(typeof create === 'function', 'grpc-js servers make their HTTP/2 servers with createHttp2Server');
  let grpcServe: StreamListener | null = null;
  internals.createHttp2Server = (credentials: unknown): http2.Http2Server => {
    const made: unknown = create.call(server, credentials);
    assert(made instanceof EventEmitter, 'grpc-js createHttp2Server returns an HTTP/2 server');
    const http2Server = made as http2.Http2Server;
    const listeners = http2Server.listeners('stream');
    assert(listeners.length === 1, `grpc-js installs one stream listener (found ${listeners.length})`);
    const grpcListener = listeners[0] as StreamListener;
    grpcServe ??= (stream, headers, flags, rawHeaders) => grpcListener.call(http2Server, stream, headers, flags, rawHeaders);
    http2Server.removeAllListeners('stream');
    http2Server.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, flags: number, rawHeaders: string[]) => {
      if (!take(stream, headers)) grpcListener.call(http2Server, stream, headers, flags, rawHeaders);
    });
    return http2Server;
  };
  return (stream, headers) => {
    if (take(stream, headers)) return;
    assert(grpcServe !== null, 'grpc-js made its HTTP/2 server before the first stream');
    grpcServe(stream as unknown as http2.ServerHttp2Stream, headers, 0, []);
  };
}
