// framedHttp2.ts against real HTTP/2 peers: Node's HTTP/2 client (nghttp2, which ends the session
// on any flow-control or framing fault of the server) and raw frames for what no client sends.
import http2 from 'node:http2';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeHeaders, FramedHttp2Session, http2Error, type FramedStream, type IncomingHeaders } from '../../core/api/framedHttp2.js';

type Handler = (stream: FramedStream, headers: IncomingHeaders) => void;

const servers: net.Server[] = [];
const clients: http2.ClientHttp2Session[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await Promise.all(servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
});

/** A server whose every connection is a FramedHttp2Session handing streams to `handler`; resolves with its port. */
async function serve(handler: Handler): Promise<{ port: number; sessions: FramedHttp2Session[] }> {
  const sessions: FramedHttp2Session[] = [];
  const server = net.createServer((socket) => {
    socket.on('error', () => socket.destroy());
    sessions.push(new FramedHttp2Session(socket, handler));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { port: typeof address === 'object' && address ? address.port : 0, sessions };
}

function connect(port: number, settings: http2.Settings = {}): http2.ClientHttp2Session {
  const client = http2.connect(`http://127.0.0.1:${port}`, { settings });
  client.on('error', () => {});
  clients.push(client);
  return client;
}

interface Answer {
  headers: http2.IncomingHttpHeaders;
  body: Buffer;
  trailers: http2.IncomingHttpHeaders;
}

/** One request: its body sent in `chunks`, the whole answer read. Rejects if the session or stream fails. */
function request(client: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, chunks: readonly Buffer[]): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const stream = client.request({ ':method': 'POST', ':path': '/echo', ...headers });
    const answer: Answer = { headers: {}, body: Buffer.alloc(0), trailers: {} };
    const body: Buffer[] = [];
    stream.on('response', (h) => (answer.headers = h));
    stream.on('trailers', (t: http2.IncomingHttpHeaders) => (answer.trailers = t));
    stream.on('data', (chunk: Buffer) => body.push(chunk));
    stream.on('error', reject);
    stream.on('close', () => {
      if (stream.rstCode !== http2.constants.NGHTTP2_NO_ERROR) reject(new Error(`stream reset with ${stream.rstCode}`));
      answer.body = Buffer.concat(body);
      resolve(answer);
    });
    for (const chunk of chunks) stream.write(chunk);
    stream.end();
  });
}

/** Echoes the request body back with headers and trailers, as a gRPC answer is shaped. */
const echo: Handler = (stream, headers) => {
  const body: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => body.push(chunk));
  stream.on('end', () => {
    stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'x-path': String(headers[':path']), 'x-big': headers['x-big'] ?? '' }, { waitForTrailers: true });
    stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': 0, 'grpc-message': 'OK', 'x-count': body.length }));
    stream.end(Buffer.concat(body));
  });
};

/** Bytes whose content shows any reordering or loss. */
function pattern(bytes: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(bytes);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < bytes; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe('framedHttp2', () => {
  it('answers a request with headers, the body and trailers', async () => {
    const { port } = await serve(echo);
    const answer = await request(connect(port), {}, [Buffer.from('hello')]);
    expect(answer.headers[':status']).toBe(200);
    expect(answer.headers['content-type']).toBe('application/grpc');
    expect(answer.headers['x-path']).toBe('/echo');
    expect(answer.body.toString()).toBe('hello');
    expect(answer.trailers['grpc-status']).toBe('0');
    expect(answer.trailers['grpc-message']).toBe('OK');
  });

  it('takes a request far larger than its stream window, giving the window back as the reader takes it', async () => {
    const { port } = await serve(echo);
    const body = pattern(3 << 20, 7);
    const chunks = Array.from({ length: 48 }, (_, i) => body.subarray(i * 65_536, (i + 1) * 65_536));
    const answer = await request(connect(port), {}, chunks);
    expect(answer.body.equals(body)).toBe(true);
  });

  it('sends no more than the client window allows, however small, and resumes on its updates', async () => {
    const { port } = await serve(echo);
    // nghttp2 ends the session with FLOW_CONTROL_ERROR if a server overruns a window.
    const client = connect(port, { initialWindowSize: 1_000 });
    const body = pattern(300_000, 11);
    const answer = await request(client, {}, [body]);
    expect(answer.body.equals(body)).toBe(true);
  });

  it('sends messages written one callback at a time, as grpc-js writes a stream, in order past any window', async () => {
    const body = pattern(1 << 20, 19);
    const { port } = await serve((stream) => {
      stream.on('data', () => {});
      stream.on('end', () => {
        stream.respond({ ':status': 200 }, { waitForTrailers: true });
        stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': 0 }));
        const next = (at: number): void => {
          if (at >= body.length) stream.end();
          else stream.write(body.subarray(at, at + 1_000), () => next(at + 1_000));
        };
        next(0);
      });
    });
    const answer = await request(connect(port, { initialWindowSize: 5_000 }), {}, [Buffer.from('go')]);
    expect(answer.body.equals(body)).toBe(true);
    expect(answer.trailers['grpc-status']).toBe('0');
  });

  it('sends DATA frames as large as the client allows', async () => {
    const { port } = await serve(echo);
    const body = pattern(1 << 20, 13);
    const answer = await request(connect(port, { maxFrameSize: 1 << 20, initialWindowSize: 4 << 20 }), {}, [body]);
    expect(answer.body.equals(body)).toBe(true);
  });

  it('reads a header block split into CONTINUATION frames and sends one back the same way', async () => {
    const { port } = await serve(echo);
    const big = 'v'.repeat(40_000);
    const client = connect(port, { maxHeaderListSize: 1 << 20 });
    const answer = await request(client, { 'x-big': big }, [Buffer.from('x')]);
    expect(answer.headers['x-big']).toBe(big);
  });

  it('keeps the HPACK dynamic table across requests on one connection', async () => {
    const seen: string[] = [];
    const { port } = await serve((stream, headers) => {
      seen.push(String(headers['x-token']));
      echo(stream, headers);
    });
    const client = connect(port);
    // nghttp2 indexes repeated fields, so later requests refer to the table the first ones filled.
    for (let i = 0; i < 20; i++) await request(client, { 'x-token': `token-${i % 3}` }, [Buffer.from([i])]);
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => `token-${i % 3}`));
  });

  it('serves many concurrent streams on one connection, each its own answer', async () => {
    const { port } = await serve(echo);
    const client = connect(port);
    const answers = await Promise.all(Array.from({ length: 300 }, (_, i) => request(client, {}, [pattern(100 + i * 37, i + 1)])));
    answers.forEach((answer, i) => expect(answer.body.equals(pattern(100 + i * 37, i + 1))).toBe(true));
  });

  it('tells a stream the client reset, with the client code', async () => {
    let closedWith: number | undefined = -1;
    let resolveClosed: () => void = () => {};
    const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
    const { port } = await serve((stream) => {
      stream.on('data', () => {});
      stream.on('close', () => {
        closedWith = stream.rstCode;
        resolveClosed();
      });
    });
    const stream = connect(port).request({ ':method': 'POST', ':path': '/wait' });
    stream.on('error', () => {});
    stream.write(Buffer.from('a'));
    await new Promise<void>((resolve) => stream.once('ready', resolve));
    stream.close(http2.constants.NGHTTP2_CANCEL);
    await closed;
    expect(closedWith).toBe(http2Error.cancel);
  });

  it('holds what a paused reader has not taken, and delivers it in order on resume', async () => {
    const { port } = await serve((stream, headers) => {
      stream.pause();
      const body: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => body.push(chunk));
      stream.on('end', () => {
        stream.respond({ ':status': 200 });
        stream.end(Buffer.concat(body));
      });
      // The reader resumes only once the client has sent everything it can within its windows.
      setImmediate(() => stream.resume());
      void headers;
    });
    const body = pattern(200_000, 17);
    const answer = await request(connect(port), {}, [body]);
    expect(answer.body.equals(body)).toBe(true);
  });

  it('answers PINGs with their payload', async () => {
    const { port } = await serve(echo);
    const client = connect(port);
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    const payload = Buffer.from('12345678');
    const echoed = await new Promise<Buffer>((resolve, reject) => {
      client.ping(payload, (error, _duration, answer) => (error ? reject(error) : resolve(answer)));
    });
    expect(echoed.equals(payload)).toBe(true);
  });

  it('ends the connection with GOAWAY and the RFC code for a protocol fault', async () => {
    const { port } = await serve(echo);
    const frames = await rawExchange(port, [
      Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'),
      frame(0x4, 0, 0, Buffer.alloc(0)),
      // DATA on stream 0 is a connection error of type PROTOCOL_ERROR (RFC 9113 §6.1).
      frame(0x0, 0, 0, Buffer.from('x')),
    ]);
    const goaway = frames.find((f) => f.type === 0x7);
    expect(goaway).toBeDefined();
    expect(goaway!.payload.readUInt32BE(4)).toBe(http2Error.protocol);
  });

  it('refuses a frame over its SETTINGS_MAX_FRAME_SIZE with FRAME_SIZE_ERROR', async () => {
    const { port } = await serve(echo);
    const frames = await rawExchange(port, [Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'), frame(0x6, 0, 0, Buffer.alloc(20_000))]);
    const goaway = frames.find((f) => f.type === 0x7);
    expect(goaway!.payload.readUInt32BE(4)).toBe(http2Error.frameSize);
  });

  it('closes a connection that does not open with the HTTP/2 preface', async () => {
    const { port } = await serve(echo);
    const frames = await rawExchange(port, [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n', 'latin1')]);
    expect(frames.find((f) => f.type === 0x7)!.payload.readUInt32BE(4)).toBe(http2Error.protocol);
  });

  it("takes etcdctl 3.4's scheme-prefixed :authority, which Go's server takes and nghttp2 refuses", async () => {
    const authorities: string[] = [];
    const { port } = await serve((stream, headers) => {
      authorities.push(String(headers[':authority']));
      echo(stream, headers);
    });
    const block = encodeHeaders({ ':method': 'POST', ':scheme': 'http', ':path': '/etcdserverpb.Maintenance/Status', ':authority': 'http://127.0.0.1:2379', 'content-type': 'application/grpc' });
    const frames = await rawExchange(port, [
      Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'),
      frame(0x4, 0, 0, Buffer.alloc(0)),
      frame(0x1, 0x4 | 0x1, 1, block),
      frame(0x7, 0, 0, Buffer.alloc(8)),
    ]);
    expect(authorities).toEqual(['http://127.0.0.1:2379']);
    // Answered on stream 1 (headers, then trailers ending it; the body is empty), not reset.
    const answer = frames.filter((f) => f.streamId === 1);
    expect(answer.map((f) => [f.type, f.flags & 0x1])).toEqual([[0x1, 0], [0x1, 0x1]]);
  });

  it('acknowledges SETTINGS, leaves the server preface first, and gives back the connection window it announced', async () => {
    const { port } = await serve(echo);
    const frames = await rawExchange(port, [Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'), frame(0x4, 0, 0, Buffer.alloc(0)), frame(0x7, 0, 0, Buffer.alloc(8))]);
    expect(frames[0]!.type).toBe(0x4);
    expect(frames[0]!.flags & 0x1).toBe(0);
    expect(frames.some((f) => f.type === 0x4 && (f.flags & 0x1) === 1)).toBe(true);
    expect(frames.some((f) => f.type === 0x8 && f.streamId === 0)).toBe(true);
  });
});

function frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(streamId, 5);
  return Buffer.concat([header, payload]);
}

interface RawFrame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

/** Sends `bytes` on a plain socket and reads frames until the server closes the connection. */
function rawExchange(port: number, bytes: readonly Buffer[]): Promise<RawFrame[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const all = Buffer.concat(received);
      const frames: RawFrame[] = [];
      for (let at = 0; at + 9 <= all.length; ) {
        const length = all.readUIntBE(at, 3);
        frames.push({ type: all[at + 3]!, flags: all[at + 4]!, streamId: all.readUInt32BE(at + 5) & 0x7fff_ffff, payload: all.subarray(at + 9, at + 9 + length) });
        at += 9 + length;
      }
      resolve(frames);
    });
    for (const part of bytes) socket.write(part);
  });
}
