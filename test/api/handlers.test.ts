// The server-streaming adapter on a real grpc-js server and client: a failing stream reaches the
// client as etcd's status (it once ended the call with no status at all, so a client without a
// deadline waited forever), and a client's cancel stops the generator even while it waits for a
// slow reader, so what it holds is released then.
import { Client, credentials, Metadata, Server, ServerCredentials, status, type ServiceError } from '@grpc/grpc-js';
import http2 from 'node:http2';
import { afterEach, describe, expect, it } from 'vitest';
import { serverStream, type ServerStreamFunction } from '../../core/api/handlers.js';
import { ServerError } from '../../core/server/errors.js';

const identity = (bytes: Buffer): Buffer => bytes;
const path = '/rafter.test.Streams/Stream';
/** Bound on waiting for the generator to be released; reaching it fails the test. */
const releaseWaitMs = 10_000;
const messageBytes = 1024;
/** Messages a grpc-js call buffers (its object-mode high-water mark) before write() asks to wait. */
const writesBufferedMax = 16;

let server: Server | null = null;
let client: Client | null = null;

afterEach(() => {
  client?.close();
  server?.forceShutdown();
  client = null;
  server = null;
});

async function serve(handler: ServerStreamFunction): Promise<Client> {
  server = new Server();
  server.addService(
    { Stream: { path, requestStream: false, responseStream: true, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity, originalName: 'Stream' } },
    { Stream: serverStream(handler) },
  );
  const port = await new Promise<number>((resolve, reject) => {
    server!.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound)));
  });
  client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  return client;
}

/** A stream of messages that never waits between them (ending it ends `messages`). */
async function* streamOf(messages: Iterable<Buffer>): AsyncIterable<Buffer> {
  for (const message of messages) yield await Promise.resolve(message);
}

describe('serverStream', () => {
  it('ends a stream whose generator fails with the mapped status, after the messages before it', async () => {
    const raw = await serve(() =>
      streamOf(
        (function* () {
          yield Buffer.from('first');
          throw new ServerError('NO_LEADER');
        })(),
      ),
    );
    const stream = raw.makeServerStreamRequest(path, identity, identity, Buffer.alloc(0), new Metadata(), { deadline: Date.now() + releaseWaitMs });
    const messages: string[] = [];
    stream.on('data', (message: Buffer) => messages.push(message.toString()));
    const ended = await new Promise<ServiceError>((resolve) => stream.on('error', resolve));
    expect(messages).toEqual(['first']);
    expect({ code: ended.code, details: ended.details }).toEqual({ code: status.UNAVAILABLE, details: 'etcdserver: no leader' });
  });

  it('stops the generator when the client cancels while the stream waits for the reader to drain it', async () => {
    let released: () => void = () => undefined;
    const generatorReleased = new Promise<'released'>((resolve) => (released = () => resolve('released')));
    let backedUp: () => void = () => undefined;
    const writesBackedUp = new Promise<void>((resolve) => (backedUp = resolve));
    let yielded = 0;
    const raw = await serve(() =>
      streamOf(
        (function* () {
          try {
            for (;;) {
              yielded++;
              if (yielded === writesBufferedMax) backedUp();
              yield Buffer.alloc(messageBytes);
            }
          } finally {
            released();
          }
        })(),
      ),
    );
    // A client that grants no flow-control window: no message can be sent, so the call's writes
    // buffer up to grpc-js's limit and the stream then waits for a drain that never comes. The
    // cancel arrives over the network, after the stream settled into that wait.
    const session = http2.connect(`http://${raw.getChannel().getTarget().replace(/^dns:/, '')}`, { settings: { initialWindowSize: 0 } });
    try {
      const request = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' });
      request.on('error', () => undefined);
      request.end(Buffer.alloc(5));
      await writesBackedUp;
      request.close(http2.constants.NGHTTP2_CANCEL);
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([generatorReleased, new Promise<'still held'>((resolve) => (timer = setTimeout(() => resolve('still held'), releaseWaitMs)))]);
      clearTimeout(timer);
      expect(yielded).toBeGreaterThanOrEqual(writesBufferedMax);
      expect(outcome).toBe('released');
    } finally {
      session.destroy();
    }
  });
});
