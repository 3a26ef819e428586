// The client port's own HTTP/2 server side (RFC 9113), framed over the connection's socket in
// JavaScript instead of through node:http2. On the put path Node's HTTP/2 layer cost a member
// about 30 µs of CPU per unary call with no work behind it; framing by hand, with everything one
// turn of the event loop answers written to the socket at once, costs a fraction of that
// (docs/benchmarks.md).
//
// It gives its streams the part of Node's ServerHttp2Stream that the two layers above it use:
// fastUnary.ts's calls, and grpc-js's own server call (for the streaming methods and whatever the
// fast path declines), which reads a stream through on('data'|'end'|'close'), pause(), resume(),
// respond(), write(), end(), 'wantTrailers' and sendTrailers(), `closed`, `destroyed`, `rstCode`
// and `session.socket`. It keeps what a server must: flow control both ways (a stream's and the
// connection's windows, the peer's SETTINGS_INITIAL_WINDOW_SIZE and SETTINGS_MAX_FRAME_SIZE),
// stream states, PING acknowledgements, GOAWAY, RST_STREAM, HEADERS with CONTINUATION and
// padding, HPACK with the dynamic table (decoding; answers are encoded as literals that never
// touch the table), and connection errors as GOAWAY with the RFC's codes.
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import hpack, { type HeaderField } from 'hpack.js';
import { assert } from '../raft/assert.js';

/** A request's header block as Node's HTTP/2 gives it: repeated names become arrays. */
export type IncomingHeaders = Record<string, string | string[] | undefined>;
/** Headers to send; numbers are written in decimal, arrays as repeated fields. */
export type OutgoingHeaders = Record<string, string | number | readonly string[] | undefined>;

const prefaceBytes = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const frameHeaderBytes = 9;
const frameType = { data: 0x0, headers: 0x1, priority: 0x2, rstStream: 0x3, settings: 0x4, pushPromise: 0x5, ping: 0x6, goaway: 0x7, windowUpdate: 0x8, continuation: 0x9 } as const;
const flagEndStream = 0x1;
const flagAck = 0x1;
const flagEndHeaders = 0x4;
const flagPadded = 0x8;
const flagPriority = 0x20;
/** RFC 9113 §7 error codes. */
export const http2Error = {
  noError: 0x0, protocol: 0x1, internal: 0x2, flowControl: 0x3, streamClosed: 0x5, frameSize: 0x6,
  refusedStream: 0x7, cancel: 0x8, compression: 0x9, enhanceYourCalm: 0xb,
} as const;
const settingHeaderTableSize = 0x1;
const settingEnablePush = 0x2;
const settingInitialWindowSize = 0x4;
const settingMaxFrameSize = 0x5;

/** HTTP/2's defaults, which hold for a peer until its SETTINGS say otherwise. */
const defaultWindowBytes = 65_535;
const defaultFrameBytes = 16_384;
const windowBytesMax = 0x7fff_ffff;
/** What this side allows: each stream's receive window, the connection's, and the HPACK table. */
const streamWindowBytes = 1 << 20;
const connectionWindowBytes = 4 << 20;
const headerTableBytes = 4_096;
/** The largest frame this side takes (its SETTINGS_MAX_FRAME_SIZE stays at the default). */
const frameBytesMax = defaultFrameBytes;
/** A header block larger than this, compressed, ends the connection (ENHANCE_YOUR_CALM). */
const headerBlockBytesMax = 256 * 1024;
/** Streams open at once on one connection; more are refused (REFUSED_STREAM), which clients retry. */
const openStreamsMax = 100_000;
/** Bytes a stream may hold queued to send before write() asks its writer to wait. */
const streamHighWaterBytes = 16_384;
/** Output gathered for one socket write above which it goes as separate writes rather than one copy. */
const coalesceBytesMax = 64 * 1024;

/** What the server says first: its SETTINGS, then the connection window raised to its size. */
const serverPreface: Buffer = (() => {
  const settings = Buffer.alloc(frameHeaderBytes + 6);
  writeFrameHeader(settings, 0, 6, frameType.settings, 0, 0);
  settings.writeUInt16BE(settingInitialWindowSize, 9);
  settings.writeUInt32BE(streamWindowBytes, 11);
  const update = Buffer.alloc(frameHeaderBytes + 4);
  writeFrameHeader(update, 0, 4, frameType.windowUpdate, 0, 0);
  update.writeUInt32BE(connectionWindowBytes - defaultWindowBytes, 9);
  return Buffer.concat([settings, update]);
})();
const settingsAck: Buffer = (() => {
  const frame = Buffer.alloc(frameHeaderBytes);
  writeFrameHeader(frame, 0, 0, frameType.settings, flagAck, 0);
  return frame;
})();

function writeFrameHeader(target: Buffer, at: number, length: number, type: number, flags: number, streamId: number): void {
  target[at] = length >>> 16;
  target[at + 1] = (length >>> 8) & 0xff;
  target[at + 2] = length & 0xff;
  target[at + 3] = type;
  target[at + 4] = flags;
  target.writeUInt32BE(streamId, at + 5);
}

function frameHeader(length: number, type: number, flags: number, streamId: number): Buffer {
  const header = Buffer.allocUnsafe(frameHeaderBytes);
  writeFrameHeader(header, 0, length, type, flags, streamId);
  return header;
}

/** A frame whose payload is one 32-bit value (RST_STREAM, WINDOW_UPDATE). */
function wordFrame(type: number, streamId: number, value: number): Buffer {
  const frame = Buffer.allocUnsafe(frameHeaderBytes + 4);
  writeFrameHeader(frame, 0, 4, type, 0, streamId);
  frame.writeUInt32BE(value >>> 0, frameHeaderBytes);
  return frame;
}

/** HPACK's integer (RFC 7541 §5.1) with an N-bit prefix, its first byte's high bits `mark`. */
function pushInteger(out: number[], value: number, prefixBits: number, mark: number): void {
  const limit = (1 << prefixBits) - 1;
  if (value < limit) {
    out.push(mark | value);
    return;
  }
  out.push(mark | limit);
  let rest = value - limit;
  while (rest >= 128) {
    out.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
}

/** A literal header field never indexed (RFC 7541 §6.2.3: 0001xxxx), name and value as raw octets. */
const literalCache = new Map<string, Buffer>();
function literalField(name: string, value: string): Buffer {
  const key = `${name}\n${value}`;
  const cached = literalCache.get(key);
  if (cached !== undefined) return cached;
  const nameBytes = Buffer.from(name, 'latin1');
  const valueBytes = Buffer.from(value, 'latin1');
  const prefix: number[] = [];
  pushInteger(prefix, 0, 4, 0x10);
  pushInteger(prefix, nameBytes.length, 7, 0);
  const middle: number[] = [];
  pushInteger(middle, valueBytes.length, 7, 0);
  const field = Buffer.concat([Buffer.from(prefix), nameBytes, Buffer.from(middle), valueBytes]);
  // Fields that repeat (statuses, content types, common messages) are kept; one-off texts are not.
  if (literalCache.size < 1_024 && value.length <= 64) literalCache.set(key, field);
  return field;
}

/** `:status: 200` is index 8 of HPACK's static table. */
const status200 = Buffer.from([0x88]);

/** Blocks of frozen header objects (the constant ones a layer sends with every answer), encoded once. */
const frozenBlocks = new WeakMap<OutgoingHeaders, Buffer>();

/**
 * An HPACK block for `headers`, pseudo-headers first, with no reference to the dynamic table. A
 * frozen `headers` object is encoded once.
 */
export function encodeHeaders(headers: OutgoingHeaders): Buffer {
  if (!Object.isFrozen(headers)) return encodeFields(headers);
  let block = frozenBlocks.get(headers);
  if (block === undefined) {
    block = encodeFields(headers);
    frozenBlocks.set(headers, block);
  }
  return block;
}

function encodeFields(headers: OutgoingHeaders): Buffer {
  const fields: Buffer[] = [];
  const status = headers[':status'];
  if (status !== undefined) fields.push(String(status) === '200' ? status200 : literalField(':status', String(status)));
  for (const name in headers) {
    if (name === ':status') continue;
    const value = headers[name];
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (typeof value === 'object') for (const each of value) fields.push(literalField(lower, each));
    else fields.push(literalField(lower, String(value)));
  }
  return fields.length === 1 ? (fields[0] as Buffer) : Buffer.concat(fields);
}

/** The parts of hpack.js's Decompressor that decode without its stream wrapper (hpack.js is pinned). */
interface DecompressorInternals {
  readonly _decoder: { push(bytes: Buffer): void; isEmpty(): boolean };
  _execute(): void;
  push(field: HeaderField | null): boolean;
}

/**
 * HPACK decoding with one connection's dynamic table: hpack.js's decoder and table, driven
 * directly. Its Decompressor wraps them in a readable stream, which cost as much per request
 * as the decoding itself; fields are taken here as the decoder emits them instead.
 */
class HeaderDecoder {
  private readonly inner: DecompressorInternals;
  private into: IncomingHeaders | null = null;

  constructor() {
    const made: unknown = hpack.decompressor.create({ table: { size: headerTableBytes } });
    const inner = made as Partial<DecompressorInternals>;
    assert(typeof inner._execute === 'function' && typeof inner._decoder?.push === 'function' && typeof inner._decoder.isEmpty === 'function', 'hpack.js decompressors decode with _decoder and _execute');
    this.inner = made as DecompressorInternals;
    this.inner.push = (field) => {
      if (field !== null && this.into !== null) add(this.into, field.name, field.value);
      return true;
    };
  }

  /** Adds the fields of `block` to `into`; throws on a block that is not valid HPACK. */
  decode(block: Buffer, into: IncomingHeaders): void {
    this.into = into;
    try {
      this.inner._decoder.push(block);
      while (!this.inner._decoder.isEmpty()) this.inner._execute();
    } finally {
      this.into = null;
    }
  }
}

/** Adds one field: a repeated name becomes an array, as in Node's HTTP/2 headers. */
function add(headers: IncomingHeaders, name: string, value: string): void {
  const before = headers[name];
  if (before === undefined) headers[name] = value;
  else if (typeof before === 'string') headers[name] = [before, value];
  else before.push(value);
}

type Outgoing =
  | { readonly kind: 'data'; bytes: Buffer; readonly end: boolean; readonly done: ((error?: Error | null) => void) | null }
  | { readonly kind: 'headers'; readonly block: Buffer; readonly end: boolean };

type WriteCallback = (error?: Error | null) => void;

/** One request stream, shaped like the part of Node's ServerHttp2Stream the call layers use. */
export class FramedStream extends EventEmitter {
  /** The connection, as `stream.session` (its `socket` is the client's, TLS or plain). */
  readonly session: FramedHttp2Session;
  closed = false;
  destroyed = false;
  headersSent = false;
  /** The RST_STREAM code the stream closed with (0 when it ended normally). */
  rstCode: number | undefined = undefined;
  /** What the peer may still send on this stream before a WINDOW_UPDATE. */
  receiveWindow = streamWindowBytes;
  /** Bytes delivered to the reader and not yet given back to the peer. */
  unacknowledged = 0;
  /** What this side may still send on this stream (DATA only). */
  sendWindow: number;
  readonly queue: Outgoing[] = [];
  queuedBytes = 0;
  remoteEnded = false;
  /** An END_STREAM is queued (or sent): nothing more may be sent. */
  localEnded = false;
  private paused = false;
  /** Received data (null: the end) waiting for the reader to flow. */
  private inbox: (Buffer | null)[] = [];
  private draining = false;
  private waitForTrailers = false;
  private wantsDrain = false;

  constructor(
    readonly id: number,
    session: FramedHttp2Session,
    sendWindow: number,
  ) {
    super();
    this.session = session;
    this.sendWindow = sendWindow;
  }

  pause(): this {
    this.paused = true;
    return this;
  }

  resume(): this {
    this.paused = false;
    if (this.inbox.length > 0 && !this.draining) {
      this.draining = true;
      process.nextTick(() => this.drainInbox());
    }
    return this;
  }

  private flowing(): boolean {
    return !this.paused && !this.closed && this.listenerCount('data') > 0;
  }

  private drainInbox(): void {
    this.draining = false;
    while (this.inbox.length > 0 && this.flowing()) {
      const item = this.inbox.shift() as Buffer | null;
      this.deliver(item);
    }
  }

  private deliver(item: Buffer | null): void {
    if (item === null) {
      this.emit('end');
      return;
    }
    this.session.consumed(this, item.length);
    this.emit('data', item);
  }

  /** Data from the peer, handed on at once when the reader flows, else held. */
  received(data: Buffer | null): void {
    if (this.inbox.length === 0 && this.flowing()) this.deliver(data);
    else this.inbox.push(data);
  }

  respond(headers: OutgoingHeaders, options?: { readonly endStream?: boolean; readonly waitForTrailers?: boolean }): void {
    if (this.closed || this.headersSent) return;
    this.headersSent = true;
    const end = options?.endStream === true;
    this.waitForTrailers = options?.waitForTrailers === true;
    this.enqueue({ kind: 'headers', block: encodeHeaders(headers), end });
  }

  write(data: Buffer | Uint8Array, callback?: WriteCallback): boolean {
    if (this.closed || this.localEnded) {
      if (callback) process.nextTick(callback, new Error('the stream is closed'));
      return false;
    }
    if (!this.headersSent) this.respond({ ':status': 200 });
    const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    // Within the stream's high-water mark a write is done once queued, so a writer with more to
    // send (grpc-js sends a stream's messages one callback at a time) queues it in this same turn
    // and it all goes out in one socket write; beyond the mark, the callback waits until sent.
    const held = this.queuedBytes + bytes.length <= streamHighWaterBytes;
    this.enqueue({ kind: 'data', bytes, end: false, done: held ? null : (callback ?? null) });
    if (held) {
      callback?.();
      return true;
    }
    this.wantsDrain = true;
    return false;
  }

  /** Ends what this side sends: with trailers ('wantTrailers' asks for them) when respond() said so. */
  end(data?: Buffer | Uint8Array | (() => void), callback?: () => void): this {
    if (typeof data === 'function') {
      callback = data;
      data = undefined;
    }
    if (this.closed || this.localEnded) return this;
    if (data !== undefined && data.length > 0) this.write(data);
    else if (!this.headersSent) this.respond({ ':status': 200 });
    if (this.waitForTrailers) {
      this.emit('wantTrailers');
      if (!this.localEnded) this.enqueue({ kind: 'data', bytes: Buffer.alloc(0), end: true, done: null });
    } else {
      this.enqueue({ kind: 'data', bytes: Buffer.alloc(0), end: true, done: null });
    }
    if (callback) process.nextTick(callback);
    return this;
  }

  sendTrailers(headers: OutgoingHeaders): void {
    if (this.closed || this.localEnded) return;
    this.enqueue({ kind: 'headers', block: encodeHeaders(headers), end: true });
  }

  /** Resets the stream (RST_STREAM with `code`, CANCEL by default). */
  close(code: number = http2Error.cancel): void {
    if (this.closed) return;
    this.session.reset(this, code);
  }

  private enqueue(item: Outgoing): void {
    if (item.end) this.localEnded = true;
    if (item.kind === 'data') this.queuedBytes += item.bytes.length;
    this.queue.push(item);
    this.session.ready(this);
  }

  /** Called by the session once queued bytes were handed to the socket. */
  sent(bytes: number): void {
    this.queuedBytes -= bytes;
    if (this.wantsDrain && this.queuedBytes < streamHighWaterBytes) {
      this.wantsDrain = false;
      process.nextTick(() => this.emit('drain'));
    }
  }

  /** Marks the stream closed with `code` and tells its listeners on the next tick, as Node does. */
  closedWith(code: number): void {
    if (this.closed) return;
    this.closed = true;
    this.destroyed = true;
    this.rstCode = code;
    this.inbox.length = 0;
    let waiting: WriteCallback[] | null = null;
    for (const item of this.queue) if (item.kind === 'data' && item.done !== null) (waiting ??= []).push(item.done);
    this.queue.length = 0;
    this.queuedBytes = 0;
    process.nextTick(emitClose, this, waiting);
  }
}

/** Fails the writes a closed stream never sent, then tells its listeners. */
function emitClose(stream: FramedStream, waiting: WriteCallback[] | null): void {
  if (waiting !== null) {
    const error = new Error('the stream closed');
    for (const done of waiting) done(error);
  }
  stream.emit('close');
}

/** Why the connection ends: an HTTP/2 connection error, sent to the peer as GOAWAY. */
class ConnectionError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** The socket a session runs on: a net.Socket or a tls.TLSSocket. */
export type SessionSocket = Duplex & { readonly remoteAddress?: string | undefined; readonly remotePort?: number | undefined; setNoDelay?(noDelay: boolean): unknown };

/**
 * One client connection: reads frames, hands each new request stream to `onStream` with its
 * headers, and writes what the streams send, everything queued in one turn at once.
 */
export class FramedHttp2Session {
  private readonly streams = new Map<number, FramedStream>();
  private readonly decoder = new HeaderDecoder();
  private pending: Buffer = Buffer.alloc(0);
  private prefaceLeft = prefaceBytes.length;
  private lastStreamId = 0;
  /** The header block being read: its stream, END_STREAM flag and fragments. */
  private block: { streamId: number; endStream: boolean; fragments: Buffer[]; bytes: number } | null = null;
  private peerInitialWindow = defaultWindowBytes;
  private peerFrameBytes = defaultFrameBytes;
  private sendWindow = defaultWindowBytes;
  private receiveWindow = connectionWindowBytes;
  private receiveUnacknowledged = 0;
  /** Streams with something queued to send, in the order they queued it. */
  private readonly readyStreams = new Set<FramedStream>();
  private out: Buffer[] = [];
  private outBytes = 0;
  private callbacks: WriteCallback[] = [];
  private flushScheduled = false;
  /** The socket's buffer is full: DATA waits for its 'drain'. */
  private blocked = false;
  private goingAway = false;
  private ended = false;

  constructor(
    readonly socket: SessionSocket,
    private readonly onStream: (stream: FramedStream, headers: IncomingHeaders) => void,
  ) {
    this.send(serverPreface);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => {
      this.blocked = false;
      this.scheduleFlush();
    });
    socket.on('end', () => this.terminate(http2Error.cancel));
    socket.on('close', () => this.terminate(http2Error.cancel));
    socket.on('error', () => this.terminate(http2Error.cancel));
  }

  /** Reads `chunk` (bytes the client sent, in order), answering what it asks within this turn. */
  onData(chunk: Buffer): void {
    if (this.ended) return;
    try {
      this.read(chunk);
    } catch (error) {
      if (error instanceof ConnectionError) this.goaway(error.code, error.message);
      else this.goaway(http2Error.internal, error instanceof Error ? error.message : String(error));
    }
  }

  private read(chunk: Buffer): void {
    let bytes = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    if (this.prefaceLeft > 0) {
      const seen = prefaceBytes.length - this.prefaceLeft;
      const take = Math.min(this.prefaceLeft, bytes.length);
      if (!bytes.subarray(0, take).equals(prefaceBytes.subarray(seen, seen + take))) throw new ConnectionError(http2Error.protocol, 'not an HTTP/2 connection preface');
      this.prefaceLeft -= take;
      bytes = bytes.subarray(take);
    }
    let at = 0;
    while (bytes.length - at >= frameHeaderBytes && !this.ended) {
      const length = (bytes[at]! << 16) | (bytes[at + 1]! << 8) | bytes[at + 2]!;
      if (length > frameBytesMax) throw new ConnectionError(http2Error.frameSize, `a frame of ${length} bytes`);
      if (bytes.length - at < frameHeaderBytes + length) break;
      const type = bytes[at + 3]!;
      const flags = bytes[at + 4]!;
      const streamId = bytes.readUInt32BE(at + 5) & 0x7fff_ffff;
      const payload = bytes.subarray(at + frameHeaderBytes, at + frameHeaderBytes + length);
      at += frameHeaderBytes + length;
      this.frame(type, flags, streamId, payload);
    }
    this.pending = at === bytes.length ? Buffer.alloc(0) : Buffer.from(bytes.subarray(at));
  }

  private frame(type: number, flags: number, streamId: number, payload: Buffer): void {
    if (this.block !== null && type !== frameType.continuation) throw new ConnectionError(http2Error.protocol, 'a frame interrupted a header block');
    switch (type) {
      case frameType.data:
        this.dataFrame(flags, streamId, payload);
        return;
      case frameType.headers:
        this.headersFrame(flags, streamId, payload);
        return;
      case frameType.continuation: {
        const block = this.block;
        if (block === null || block.streamId !== streamId) throw new ConnectionError(http2Error.protocol, 'CONTINUATION outside a header block');
        this.addFragment(block, payload);
        if ((flags & flagEndHeaders) !== 0) this.headerBlockDone();
        return;
      }
      case frameType.priority:
        if (streamId === 0) throw new ConnectionError(http2Error.protocol, 'PRIORITY on stream 0');
        if (payload.length !== 5) this.resetUnknown(streamId, http2Error.frameSize);
        return;
      case frameType.rstStream: {
        if (streamId === 0) throw new ConnectionError(http2Error.protocol, 'RST_STREAM on stream 0');
        if (payload.length !== 4) throw new ConnectionError(http2Error.frameSize, 'RST_STREAM of the wrong length');
        if (streamId > this.lastStreamId) throw new ConnectionError(http2Error.protocol, 'RST_STREAM on an idle stream');
        const stream = this.streams.get(streamId);
        if (stream !== undefined) this.forget(stream, payload.readUInt32BE(0));
        return;
      }
      case frameType.settings:
        this.settingsFrame(flags, streamId, payload);
        return;
      case frameType.pushPromise:
        throw new ConnectionError(http2Error.protocol, 'PUSH_PROMISE from a client');
      case frameType.ping:
        if (streamId !== 0) throw new ConnectionError(http2Error.protocol, 'PING on a stream');
        if (payload.length !== 8) throw new ConnectionError(http2Error.frameSize, 'PING of the wrong length');
        if ((flags & flagAck) === 0) {
          const ack = Buffer.allocUnsafe(frameHeaderBytes + 8);
          writeFrameHeader(ack, 0, 8, frameType.ping, flagAck, 0);
          payload.copy(ack, frameHeaderBytes);
          this.send(ack);
        }
        return;
      case frameType.goaway:
        if (streamId !== 0) throw new ConnectionError(http2Error.protocol, 'GOAWAY on a stream');
        this.goingAway = true;
        if (this.streams.size === 0) this.finish();
        return;
      case frameType.windowUpdate:
        this.windowUpdate(streamId, payload);
        return;
      default:
        // Unknown frame types are ignored (RFC 9113 §4.1).
        return;
    }
  }

  private dataFrame(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0) throw new ConnectionError(http2Error.protocol, 'DATA on stream 0');
    const length = payload.length;
    // Flow control counts the whole frame, padding included, whatever becomes of the stream.
    this.receiveWindow -= length;
    if (this.receiveWindow < 0) throw new ConnectionError(http2Error.flowControl, 'the client overran the connection window');
    this.receiveUnacknowledged += length;
    if (this.receiveUnacknowledged >= connectionWindowBytes / 2) {
      this.send(wordFrame(frameType.windowUpdate, 0, this.receiveUnacknowledged));
      this.receiveWindow += this.receiveUnacknowledged;
      this.receiveUnacknowledged = 0;
    }
    const stream = this.streams.get(streamId);
    if (stream === undefined || stream.remoteEnded) {
      if (streamId > this.lastStreamId) throw new ConnectionError(http2Error.protocol, 'DATA on an idle stream');
      if (stream !== undefined) this.reset(stream, http2Error.streamClosed);
      return;
    }
    let data = payload;
    if ((flags & flagPadded) !== 0) {
      const padding = payload[0] ?? 0;
      if (length === 0 || padding >= length) throw new ConnectionError(http2Error.protocol, 'padding longer than the frame');
      data = payload.subarray(1, length - padding);
    }
    stream.receiveWindow -= length;
    if (stream.receiveWindow < 0) {
      this.reset(stream, http2Error.flowControl);
      return;
    }
    // The padding is given back at once; the data when its reader takes it.
    if (length > data.length) this.consumed(stream, length - data.length);
    const end = (flags & flagEndStream) !== 0;
    if (end) stream.remoteEnded = true;
    if (data.length > 0) stream.received(data);
    if (end) {
      stream.received(null);
      this.maybeClosed(stream);
    }
  }

  private headersFrame(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0) throw new ConnectionError(http2Error.protocol, 'HEADERS on stream 0');
    let start = 0;
    let end = payload.length;
    if ((flags & flagPadded) !== 0) {
      start = 1;
      end -= payload[0] ?? 0;
    }
    if ((flags & flagPriority) !== 0) start += 5;
    if (start > end) throw new ConnectionError(http2Error.protocol, 'malformed HEADERS frame');
    this.block = { streamId, endStream: (flags & flagEndStream) !== 0, fragments: [], bytes: 0 };
    this.addFragment(this.block, payload.subarray(start, end));
    if ((flags & flagEndHeaders) !== 0) this.headerBlockDone();
  }

  private addFragment(block: { fragments: Buffer[]; bytes: number }, fragment: Buffer): void {
    block.bytes += fragment.length;
    if (block.bytes > headerBlockBytesMax) throw new ConnectionError(http2Error.enhanceYourCalm, 'header block too large');
    block.fragments.push(fragment);
  }

  private headerBlockDone(): void {
    const block = this.block!;
    this.block = null;
    const headers: IncomingHeaders = Object.create(null) as IncomingHeaders;
    try {
      this.decoder.decode(block.fragments.length === 1 ? (block.fragments[0] as Buffer) : Buffer.concat(block.fragments), headers);
    } catch (error) {
      throw new ConnectionError(http2Error.compression, `undecodable header block: ${error instanceof Error ? error.message : String(error)}`);
    }
    const streamId = block.streamId;
    const existing = this.streams.get(streamId);
    if (existing !== undefined || streamId <= this.lastStreamId) {
      // Trailers from the client: they must end its side of a stream still open.
      if (existing === undefined) {
        if (streamId % 2 === 1) return;
        throw new ConnectionError(http2Error.protocol, 'HEADERS on a stream the client cannot use');
      }
      if (existing.remoteEnded || !block.endStream) {
        this.reset(existing, http2Error.protocol);
        return;
      }
      existing.remoteEnded = true;
      existing.received(null);
      this.maybeClosed(existing);
      return;
    }
    if (streamId % 2 === 0) throw new ConnectionError(http2Error.protocol, 'a client stream with an even id');
    this.lastStreamId = streamId;
    const stream = new FramedStream(streamId, this, this.peerInitialWindow);
    if (this.goingAway || this.streams.size >= openStreamsMax || typeof headers[':path'] !== 'string') {
      this.send(wordFrame(frameType.rstStream, streamId, typeof headers[':path'] !== 'string' ? http2Error.protocol : http2Error.refusedStream));
      return;
    }
    this.streams.set(streamId, stream);
    if (block.endStream) stream.remoteEnded = true;
    try {
      this.onStream(stream, headers);
    } catch {
      this.reset(stream, http2Error.internal);
      return;
    }
    if (block.endStream) {
      stream.received(null);
      this.maybeClosed(stream);
    }
  }

  private settingsFrame(flags: number, streamId: number, payload: Buffer): void {
    if (streamId !== 0) throw new ConnectionError(http2Error.protocol, 'SETTINGS on a stream');
    if ((flags & flagAck) !== 0) {
      if (payload.length !== 0) throw new ConnectionError(http2Error.frameSize, 'a SETTINGS acknowledgement with a payload');
      return;
    }
    if (payload.length % 6 !== 0) throw new ConnectionError(http2Error.frameSize, 'SETTINGS of the wrong length');
    for (let at = 0; at < payload.length; at += 6) {
      const id = payload.readUInt16BE(at);
      const value = payload.readUInt32BE(at + 2);
      if (id === settingInitialWindowSize) {
        if (value > windowBytesMax) throw new ConnectionError(http2Error.flowControl, 'SETTINGS_INITIAL_WINDOW_SIZE over 2^31-1');
        const delta = value - this.peerInitialWindow;
        this.peerInitialWindow = value;
        for (const stream of this.streams.values()) {
          stream.sendWindow += delta;
          if (stream.sendWindow > windowBytesMax) throw new ConnectionError(http2Error.flowControl, 'a stream window over 2^31-1');
          if (delta > 0 && stream.queue.length > 0) this.readyStreams.add(stream);
        }
      } else if (id === settingMaxFrameSize) {
        if (value < defaultFrameBytes || value > 0xff_ffff) throw new ConnectionError(http2Error.protocol, 'SETTINGS_MAX_FRAME_SIZE out of range');
        this.peerFrameBytes = value;
      } else if (id === settingEnablePush) {
        if (value > 1) throw new ConnectionError(http2Error.protocol, 'SETTINGS_ENABLE_PUSH not 0 or 1');
      } else if (id === settingHeaderTableSize) {
        // Answers never use the dynamic table, so its size does not matter to this side.
      }
    }
    this.send(settingsAck);
  }

  private windowUpdate(streamId: number, payload: Buffer): void {
    if (payload.length !== 4) throw new ConnectionError(http2Error.frameSize, 'WINDOW_UPDATE of the wrong length');
    const increment = payload.readUInt32BE(0) & 0x7fff_ffff;
    if (streamId === 0) {
      if (increment === 0) throw new ConnectionError(http2Error.protocol, 'a WINDOW_UPDATE of 0');
      this.sendWindow += increment;
      if (this.sendWindow > windowBytesMax) throw new ConnectionError(http2Error.flowControl, 'the connection window over 2^31-1');
      if (this.readyStreams.size > 0) this.scheduleFlush();
      return;
    }
    const stream = this.streams.get(streamId);
    if (stream === undefined) {
      if (streamId > this.lastStreamId) throw new ConnectionError(http2Error.protocol, 'WINDOW_UPDATE on an idle stream');
      return;
    }
    if (increment === 0) {
      this.reset(stream, http2Error.protocol);
      return;
    }
    stream.sendWindow += increment;
    if (stream.sendWindow > windowBytesMax) {
      this.reset(stream, http2Error.flowControl);
      return;
    }
    if (stream.queue.length > 0) this.ready(stream);
  }

  /** A stream's reader took `bytes`: give them back to the client once half its window is taken. */
  consumed(stream: FramedStream, bytes: number): void {
    stream.unacknowledged += bytes;
    if (stream.unacknowledged >= streamWindowBytes / 2 && !stream.remoteEnded && !stream.closed) {
      this.send(wordFrame(frameType.windowUpdate, stream.id, stream.unacknowledged));
      stream.receiveWindow += stream.unacknowledged;
      stream.unacknowledged = 0;
    }
  }

  /** `stream` has something queued to send. */
  ready(stream: FramedStream): void {
    this.readyStreams.add(stream);
    this.scheduleFlush();
  }

  /** Resets `stream` with `code` (RST_STREAM) and forgets it. */
  reset(stream: FramedStream, code: number): void {
    if (stream.closed) return;
    this.send(wordFrame(frameType.rstStream, stream.id, code));
    this.forget(stream, code);
  }

  /** A stream with no id in the table (never opened, or refused) gets an RST_STREAM. */
  private resetUnknown(streamId: number, code: number): void {
    const stream = this.streams.get(streamId);
    if (stream !== undefined) this.reset(stream, code);
    else this.send(wordFrame(frameType.rstStream, streamId, code));
  }

  private forget(stream: FramedStream, code: number): void {
    this.streams.delete(stream.id);
    this.readyStreams.delete(stream);
    stream.closedWith(code);
    if (this.goingAway && this.streams.size === 0) this.finish();
  }

  /** Closes `stream` when both sides have ended; a client still sending after the answer is told to stop. */
  private maybeClosed(stream: FramedStream): void {
    if (stream.closed || !stream.localEnded || stream.queue.length > 0) return;
    if (stream.remoteEnded) this.forget(stream, http2Error.noError);
    else this.reset(stream, http2Error.noError);
  }

  private send(frame: Buffer): void {
    this.out.push(frame);
    this.outBytes += frame.length;
    this.scheduleFlush();
  }

  /**
   * Flushes in the loop's check phase, after this turn's I/O callbacks, timers and promise
   * reactions have queued what they answer: a watch event fanned out to a hundred streams of a
   * connection, or a batch of applied puts, goes out in one socket write. (On the next tick
   * instead, grpc-js's one-message-at-a-time writes made a write each, and a 1,000-watcher fan-out
   * ran at three quarters of node:http2's rate; sequential puts showed no difference.)
   */
  private scheduleFlush(): void {
    if (this.flushScheduled || this.ended) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  /** Moves what the streams queued into the output, as far as the windows allow, and writes it at once. */
  private flush(): void {
    this.flushScheduled = false;
    if (this.ended) return;
    if (!this.blocked) for (const stream of this.readyStreams) this.pull(stream);
    if (this.out.length === 0) return;
    const out = this.out;
    const callbacks = this.callbacks;
    this.out = [];
    this.callbacks = [];
    const bytes = this.outBytes;
    this.outBytes = 0;
    let flowing: boolean;
    if (out.length === 1) flowing = this.socket.write(out[0]);
    else if (bytes <= coalesceBytesMax) flowing = this.socket.write(Buffer.concat(out, bytes));
    else {
      this.socket.cork();
      for (const part of out) this.socket.write(part);
      flowing = this.socket.write(Buffer.alloc(0));
      this.socket.uncork();
    }
    if (!flowing) this.blocked = true;
    for (const callback of callbacks) callback();
  }

  /** Frames what `stream` has queued, stopping at a window that is shut. */
  private pull(stream: FramedStream): void {
    const queue = stream.queue;
    let sent = 0;
    while (queue.length > 0) {
      const item = queue[0]!;
      if (item.kind === 'headers') {
        this.headerFrames(stream.id, item.block, item.end);
        queue.shift();
        continue;
      }
      const bytes = item.bytes;
      if (bytes.length === 0) {
        this.send(frameHeader(0, frameType.data, item.end ? flagEndStream : 0, stream.id));
        queue.shift();
        if (item.done !== null) this.callbacks.push(item.done);
        continue;
      }
      const size = Math.min(bytes.length, stream.sendWindow, this.sendWindow, this.peerFrameBytes);
      if (size <= 0) break;
      const last = size === bytes.length;
      this.send(frameHeader(size, frameType.data, last && item.end ? flagEndStream : 0, stream.id));
      this.send(last ? bytes : bytes.subarray(0, size));
      stream.sendWindow -= size;
      this.sendWindow -= size;
      sent += size;
      if (last) {
        queue.shift();
        if (item.done !== null) this.callbacks.push(item.done);
      } else {
        item.bytes = bytes.subarray(size);
      }
    }
    if (sent > 0) stream.sent(sent);
    if (queue.length === 0) {
      this.readyStreams.delete(stream);
      this.maybeClosed(stream);
    }
  }

  private headerFrames(streamId: number, block: Buffer, endStream: boolean): void {
    const endFlag = endStream ? flagEndStream : 0;
    if (block.length <= this.peerFrameBytes) {
      this.send(frameHeader(block.length, frameType.headers, flagEndHeaders | endFlag, streamId));
      this.send(block);
      return;
    }
    for (let offset = 0; offset < block.length; offset += this.peerFrameBytes) {
      const part = block.subarray(offset, offset + this.peerFrameBytes);
      const last = offset + part.length >= block.length;
      this.send(frameHeader(part.length, offset === 0 ? frameType.headers : frameType.continuation, (last ? flagEndHeaders : 0) | (offset === 0 ? endFlag : 0), streamId));
      this.send(part);
    }
  }

  /** A connection error: GOAWAY with `code`, then the connection ends. */
  private goaway(code: number, reason: string): void {
    if (this.ended) return;
    const text = Buffer.from(reason.slice(0, 256), 'utf8');
    const frame = Buffer.allocUnsafe(frameHeaderBytes + 8 + text.length);
    writeFrameHeader(frame, 0, 8 + text.length, frameType.goaway, 0, 0);
    frame.writeUInt32BE(this.lastStreamId, frameHeaderBytes);
    frame.writeUInt32BE(code, frameHeaderBytes + 4);
    text.copy(frame, frameHeaderBytes + 8);
    this.out.push(frame);
    this.outBytes += frame.length;
    this.flush();
    this.finish();
  }

  /** Ends the connection once what is written has gone. */
  private finish(): void {
    if (this.ended) return;
    this.flush();
    this.ended = true;
    this.socket.end();
    this.closeStreams(http2Error.cancel);
  }

  /** The socket went away: every open stream is cancelled. */
  private terminate(code: number): void {
    this.ended = true;
    this.closeStreams(code);
  }

  private closeStreams(code: number): void {
    for (const stream of [...this.streams.values()]) this.forget(stream, code);
  }

  /** Ends the connection now, as a server shutting down does: GOAWAY, then the socket is destroyed. */
  destroy(): void {
    if (!this.ended) this.goaway(http2Error.noError, 'server shutting down');
    this.socket.destroy();
  }
}
