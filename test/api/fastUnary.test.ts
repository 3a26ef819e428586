// The fast unary path against grpc-js itself: the same raw HTTP/2 requests go to a grpc-js server
// that serves every call itself and to one with the fast path in front, and what comes back
// (headers but the date, body bytes, trailers) must be the same, good calls and each way a unary
// call can go wrong. Each case also says which path served it on the second server, so a case
// that quietly fell back to grpc-js cannot pass as a test of the fast path.
import http2 from 'node:http2';
import zlib from 'node:zlib';
import { Server, ServerCredentials, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveFastUnary, takeStreamsFirst, type FastMethod } from '../../core/api/fastUnary.js';
import { unary, type CallContext, type UnaryFunction } from '../../core/api/handlers.js';
import { InvalidRequestError } from '../../core/api/grpcStatus.js';
import { oversizeInterceptor, withRequestLimit } from '../../core/api/messageSize.js';
import { serviceDefinition } from '../../core/api/proto/load.js';
import type * as pb from '../../core/api/proto/messages.js';

const putPath = '/etcdserverpb.KV/Put';
/** Small limits, so oversize cases stay small: the member's request limit, and grpc-js's receive ceiling. */
const requestBytesMax = 1024;
const receiveBytesMax = 4096;
/** grpc-js's limit on a response; a Put echoing an 800-byte value goes over it. */
const sendBytesMax = 700;

/** Who served each call on the server with the fast path. */
const servedBy: string[] = [];

/** A Put that answers by its key: echoes the caller's credentials, fails, or waits for its call to end. */
const put = async (request: pb.PutRequest, call: CallContext): Promise<pb.PutResponse> => {
  const key = request.key.toString();
  if (key === 'bad') throw new InvalidRequestError('etcdserver: key is not provided');
  if (key === 'boom') throw new Error('100% broken: "quotes" and ünïcode');
  if (key.startsWith('wait')) {
    const signal = call.signal;
    waiting(key).entered();
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    waiting(key).ended();
  }
  return {
    header: { cluster_id: '1', member_id: '18446744073709551615', revision: '7', raft_term: '3' },
    prev_kv: { key: Buffer.from(call.credentials.token ?? '-'), value: request.value, create_revision: '1', mod_revision: '2', version: '3', lease: '0' },
  } as unknown as pb.PutResponse;
};

/** A waiting call, by key: resolves when its handler starts, and when its signal has aborted. */
interface Waiting {
  readonly started: Promise<void>;
  readonly aborted: Promise<void>;
  entered(): void;
  ended(): void;
}
const waits = new Map<string, Waiting>();

function waiting(key: string): Waiting {
  let found = waits.get(key);
  if (found === undefined) {
    let entered = (): void => undefined;
    let ended = (): void => undefined;
    const started = new Promise<void>((resolve) => (entered = resolve));
    const aborted = new Promise<void>((resolve) => (ended = resolve));
    found = { started, aborted, entered, ended };
    waits.set(key, found);
  }
  return found;
}

const servers: Server[] = [];

/**
 * The two ways servers here set grpc-js up: a member's client port (the member's request limit,
 * refused by an interceptor) and the grpc-proxy's (grpc-js's limits only, no interceptor).
 */
const setups = [
  { name: "a member's client port", intercepted: true, plainPort: 0, fastPort: 0 },
  { name: "the grpc-proxy's port", intercepted: false, plainPort: 0, fastPort: 0 },
];

async function start(fast: boolean, intercepted: boolean): Promise<number> {
  const server = new Server({
    'grpc.max_receive_message_length': receiveBytesMax,
    'grpc.max_send_message_length': sendBytesMax,
    'grpc.enable_channelz': 0,
    ...(intercepted ? { interceptors: [oversizeInterceptor] } : {}),
  });
  const definition = intercepted ? withRequestLimit(serviceDefinition('etcdserverpb.KV'), requestBytesMax) : serviceDefinition('etcdserverpb.KV');
  const handler = put as unknown as UnaryFunction;
  const viaGrpcJs: UnaryFunction = (request, call) => {
    servedBy.push('grpc-js');
    return handler(request, call);
  };
  server.addService(definition, { Put: unary(fast ? viaGrpcJs : handler) });
  if (fast) {
    const codec = definition.Put!;
    const viaFast: UnaryFunction = (request, call) => {
      servedBy.push('fast');
      return handler(request, call);
    };
    // A member's client port answers KV calls through encoders that write whole gRPC frames; the
    // grpc-proxy's goes through `serialize`. Each setup here takes its server's way.
    const frameOf = (response: never): Buffer => frame(codec.responseSerialize(response));
    const method: FastMethod = { deserialize: codec.requestDeserialize, serialize: codec.responseSerialize, handler: viaFast, ...(intercepted ? { frame: frameOf } : {}) };
    const methods = new Map<string, FastMethod>([[putPath, method]]);
    takeStreamsFirst(server, (stream, headers) => serveFastUnary({ methods, receiveBytesMax, sendBytesMax, intercepted }, stream, headers));
  }
  servers.push(server);
  return new Promise((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port))));
}

beforeAll(async () => {
  for (const setup of setups) {
    setup.plainPort = await start(false, setup.intercepted);
    setup.fastPort = await start(true, setup.intercepted);
  }
});

afterAll(() => {
  for (const server of servers) server.forceShutdown();
});

interface RawRequest {
  readonly headers?: http2.OutgoingHttpHeaders;
  /** The request body, sent in these pieces; none ends the stream with no body. */
  readonly body?: readonly Buffer[];
}

interface RawResponse {
  readonly headers: Record<string, unknown>;
  readonly body: string;
  readonly trailers: Record<string, unknown>;
}

function frame(message: Buffer, compressed = false): Buffer {
  const header = Buffer.alloc(5);
  header[0] = compressed ? 1 : 0;
  header.writeUInt32BE(message.length, 1);
  return Buffer.concat([header, message]);
}

const encodePut = (request: object): Buffer => serviceDefinition('etcdserverpb.KV').Put!.requestSerialize(request);

function withoutDate(headers: http2.IncomingHttpHeaders): Record<string, unknown> {
  const { date: _date, ...rest } = headers;
  return rest;
}

async function call(port: number, request: RawRequest): Promise<RawResponse> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  try {
    const stream = session.request({ ':method': 'POST', ':path': putPath, 'content-type': 'application/grpc', te: 'trailers', ...request.headers });
    for (const piece of request.body ?? []) stream.write(piece);
    stream.end();
    return await new Promise<RawResponse>((resolve, reject) => {
      let headers: Record<string, unknown> = {};
      let trailers: Record<string, unknown> = {};
      const body: Buffer[] = [];
      stream.on('response', (received) => (headers = withoutDate(received)));
      stream.on('trailers', (received: http2.IncomingHttpHeaders) => (trailers = withoutDate(received)));
      stream.on('data', (chunk: Buffer) => body.push(chunk));
      stream.on('error', reject);
      stream.on('close', () => resolve({ headers, body: Buffer.concat(body).toString('hex'), trailers }));
    });
  } finally {
    session.close();
  }
}

/** The answers of both servers to `request`, and which path served it on the fast one. */
async function both(setup: (typeof setups)[number], request: RawRequest): Promise<{ plain: RawResponse; fast: RawResponse; path: string | undefined }> {
  const plain = await call(setup.plainPort, request);
  servedBy.length = 0;
  const fast = await call(setup.fastPort, request);
  return { plain, fast, path: servedBy[0] };
}

const echo = encodePut({ key: Buffer.from('echo'), value: Buffer.from('v') });

describe.each(setups)('the fast unary path on $name', (setup) => {
  it('answers a good call as grpc-js does, with the caller token the handler sees', async () => {
    const { plain, fast, path } = await both(setup, { headers: { token: 'tok-1' }, body: [frame(echo)] });
    expect(path).toBe('fast');
    expect(fast).toEqual(plain);
    expect(fast.trailers['grpc-status']).toBe('0');
    const decoded = serviceDefinition('etcdserverpb.KV').Put!.responseDeserialize(Buffer.from(fast.body, 'hex').subarray(5)) as { prev_kv: { key: Buffer }; header: { member_id: string } };
    expect(decoded.prev_kv.key.toString()).toBe('tok-1');
    expect(decoded.header.member_id).toBe('18446744073709551615');
  });

  it('reads a message split across many data frames', async () => {
    const message = frame(encodePut({ key: Buffer.from('echo'), value: Buffer.alloc(500, 7) }));
    const pieces = Array.from({ length: Math.ceil(message.length / 3) }, (_, i) => message.subarray(i * 3, i * 3 + 3));
    const { plain, fast, path } = await both(setup, { body: pieces });
    expect(path).toBe('fast');
    expect(fast).toEqual(plain);
    expect(fast.trailers['grpc-status']).toBe('0');
  });

  it.each([
    ['a handler error, mapped as etcd maps it', { body: [frame(encodePut({ key: Buffer.from('bad') }))] }, status.INVALID_ARGUMENT],
    ['an unexpected error, its message percent-encoded', { body: [frame(encodePut({ key: Buffer.from('boom') }))] }, status.UNKNOWN],
    ['no message', { body: [] }, status.UNIMPLEMENTED],
    ['a message cut short', { body: [frame(echo).subarray(0, 8)] }, status.UNIMPLEMENTED],
    ['two messages', { body: [frame(echo), frame(echo)] }, status.UNIMPLEMENTED],
    ['a message with a partial second one', { body: [frame(echo), frame(echo).subarray(0, 3)] }, status.OK],
    ['a message over the member limit (or, with no limit, its echo over the send limit)', { body: [frame(encodePut({ key: Buffer.from('echo'), value: Buffer.alloc(2000) }))] }, status.RESOURCE_EXHAUSTED],
    ['a message over the receive ceiling', { body: [frame(Buffer.alloc(receiveBytesMax + 1))] }, status.RESOURCE_EXHAUSTED],
    ['a message that does not decode', { body: [frame(Buffer.from([0x0a, 0xff, 0x01]))] }, status.INTERNAL],
    ['a second message that does not decode', { body: [frame(echo), frame(Buffer.from([0x0a, 0xff]))] }, status.INTERNAL],
    ['a response over the send limit', { body: [frame(encodePut({ key: Buffer.from('echo'), value: Buffer.alloc(800) }))] }, status.RESOURCE_EXHAUSTED],
    ['a message flagged compressed with no encoding named', { body: [frame(echo, true)] }, status.OK],
    ['a deadline that passes while the handler waits', { headers: { 'grpc-timeout': '20m' }, body: [frame(encodePut({ key: Buffer.from('wait-deadline') }))] }, status.DEADLINE_EXCEEDED],
  ] as const)('answers %s as grpc-js does', async (_name, request, code) => {
    const { plain, fast, path } = await both(setup, request);
    expect(path === undefined || path === 'fast').toBe(true);
    expect(fast).toEqual(plain);
    const codeSeen = fast.trailers['grpc-status'] ?? fast.headers['grpc-status'];
    expect(codeSeen).toBe(String(code));
  });

  it.each([
    ['a gzip-compressed message', { headers: { 'grpc-encoding': 'gzip' }, body: [frame(zlib.gzipSync(echo), true)] }, '0'],
    ['a deadline grpc-js cannot read', { headers: { 'grpc-timeout': 'soon' }, body: [frame(echo)] }, String(status.INTERNAL)],
    ['a content type that is not gRPC', { headers: { 'content-type': 'text/plain' }, body: [frame(echo)] }, undefined],
  ] as const)('leaves %s to grpc-js, with the same answer', async (_name, request, code) => {
    const { plain, fast, path } = await both(setup, request);
    expect(path === undefined || path === 'grpc-js').toBe(true);
    expect(fast).toEqual(plain);
    expect(fast.trailers['grpc-status'] ?? fast.headers['grpc-status']).toBe(code);
  });

  it('aborts the handler signal when the client resets the stream', async () => {
    servedBy.length = 0;
    const session = http2.connect(`http://127.0.0.1:${setup.fastPort}`);
    try {
      const stream = session.request({ ':method': 'POST', ':path': putPath, 'content-type': 'application/grpc', te: 'trailers' });
      stream.on('error', () => undefined);
      stream.end(frame(encodePut({ key: Buffer.from(`wait-reset-${setup.name}`) })));
      await waiting(`wait-reset-${setup.name}`).started;
      stream.close(http2.constants.NGHTTP2_CANCEL);
      await waiting(`wait-reset-${setup.name}`).aborted;
    } finally {
      session.close();
    }
    expect(servedBy).toEqual(['fast']);
  });
});
