// Messages between members: one outgoing TCP connection per peer carrying length-prefixed frames,
// written in batches (many messages share one write) and pipelined; reconnection with back-off;
// snapshots on a separate connection so a large transfer never delays heartbeats; a handshake
// that refuses peers of another cluster; and fault hooks (drop to/from a peer, delay) used by tests
// and by the console's "partition" button. Payloads are opaque bytes: encoding Raft messages is
// the server's business. An https:// peer URL is dialled with TLS (PeerTransportOptions.tls) and a
// listener given TLS options serves only TLS; with a trusted CA it takes only connections whose
// client certificate that CA signed, so a process without one never reaches the handshake below.
import net from 'node:net';
import tls from 'node:tls';
import { FrameDecoder, FrameError, frameHeader } from './frames.js';
import { SnapshotReceiver } from './snapshotReceiver.js';

export interface TransportLogger {
  warn(message: string): void;
}

export interface PeerTransportOptions {
  readonly clusterId: string;
  readonly memberId: string;
  /** Called for every message received from a peer, in the order that peer sent them. */
  readonly onMessage: (from: string, payload: Buffer) => void;
  /** Receives a snapshot stream; the sender learns of success when the returned promise settles. */
  readonly onSnapshot: (from: string, header: Buffer, body: AsyncIterable<Buffer>) => Promise<void>;
  /**
   * Answers a request/response query from a peer (membership lookups, calls forwarded to the
   * leader). Queries may come before the asker knows this member's id or the cluster's.
   */
  readonly onQuery?: (from: string, request: unknown) => Promise<unknown>;
  /**
   * A message from a peer was dropped on arrival by an injected fault (`dropFrom`). Called only on
   * that path, so the console's message tap can show what a partition swallows.
   */
  readonly onDroppedMessage?: (from: string, payload: Buffer) => void;
  /** A peer could not be reached (connection refused or dropped): Raft should slow down to probing. */
  readonly onUnreachable?: (peer: string) => void;
  readonly log?: TransportLogger;
  /** TLS for connections to https:// peer URLs: this member's certificate, the CA it trusts. */
  readonly tls?: { readonly client: tls.ConnectionOptions };
  readonly frameBytesMax?: number;
  /** Bytes queued for one peer beyond which further messages are dropped (Raft retransmits). */
  readonly queueBytesMax?: number;
}

/** Counters for /metrics and the console. */
export interface TransportStats {
  messagesReceived: number;
  messagesDroppedIncoming: number;
  messagesDroppedOutgoing: number;
}

export interface TransportFaults {
  /** Peers whose outgoing messages are dropped. */
  readonly dropTo: readonly string[];
  /** Peers whose incoming messages are dropped. */
  readonly dropFrom: readonly string[];
  /** Added delay on every outgoing message, in milliseconds. */
  readonly delayMs: number;
  /**
   * Snapshots received in full are held before they reach Raft, until a later `setFaults` clears
   * this: a late snapshot stream, delivered after appends from another leader caught the member up.
   */
  readonly holdSnapshots?: boolean;
}

const protocolVersion = 1;
const defaultFrameBytesMax = 128 * 1024 * 1024;
const defaultQueueBytesMax = 64 * 1024 * 1024;
const reconnectDelayMsMin = 50;
const reconnectDelayMsMax = 1_000;
const snapshotChunkBytes = 1024 * 1024;
/** Largest handshake frame a connection may open with (a real one is under 200 bytes). */
const helloBytesMax = 4 * 1024;
/** How long a new connection may take to send its handshake. */
const helloTimeoutMs = 10_000;
const noFaults: TransportFaults = { dropTo: [], dropFrom: [], delayMs: 0 };
/** How long an incoming connection may take to finish its TLS handshake. */
const tlsHandshakeTimeoutMs = 10_000;
/** How often refused TLS handshakes are logged (a stranger may try many). */
const tlsRefusalWarnIntervalMs = 10_000;

interface Hello {
  readonly v: number;
  readonly clusterId: string;
  readonly from: string;
  readonly to: string;
  readonly kind: 'messages' | 'snapshot' | 'query';
}

interface Reply {
  readonly ok: boolean;
  readonly error?: string;
  readonly value?: unknown;
}

/** A peer answered a query with an error, or could not be asked. */
export class QueryError extends Error {
  override readonly name = 'QueryError';
  constructor(
    message: string,
    /** The connection failed before the query was sent, so the peer cannot have acted on it. */
    readonly unsent = false,
  ) {
    super(message);
  }
}

const queryTimeoutMsDefault = 5_000;

function encodeJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

function peerAddress(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port: Number(parsed.port) };
}

/** The event after which a dialled connection may carry frames: TLS ones once the handshake is done. */
function readyEvent(socket: net.Socket): 'connect' | 'secureConnect' {
  return socket instanceof tls.TLSSocket ? 'secureConnect' : 'connect';
}

/** The outgoing side towards one peer. */
class PeerSender {
  private socket: net.Socket | null = null;
  private connected = false;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private corked = false;
  private retryAt = 0;
  private retryDelayMs = reconnectDelayMsMin;
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  /** The last connection error logged, so a peer that keeps failing the same way is named once. */
  private lastError = '';

  constructor(
    private readonly transport: PeerTransport,
    readonly peerId: string,
    public urls: readonly string[],
  ) {}

  isConnected(): boolean {
    return this.connected;
  }

  send(payload: Uint8Array): void {
    if (this.closed) return;
    const frame = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    if (this.connected && this.socket) {
      if (this.socket.writableLength > this.transport.queueBytesMax) return;
      if (!this.corked) {
        this.corked = true;
        this.socket.cork();
        process.nextTick(() => this.uncork());
      }
      this.socket.write(frameHeader(frame.length));
      this.socket.write(frame);
      return;
    }
    if (this.pendingBytes + frame.length > this.transport.queueBytesMax) return;
    this.pending.push(frame);
    this.pendingBytes += frame.length;
    this.connect();
  }

  private uncork(): void {
    this.corked = false;
    this.socket?.uncork();
  }

  private connect(): void {
    if (this.socket || this.closed || this.reconnectTimer) return;
    const waitMs = this.retryAt - Date.now();
    if (waitMs > 0) {
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = null;
        this.connect();
      }, waitMs);
      this.reconnectTimer.unref();
      return;
    }
    const url = this.urls[0];
    if (url === undefined) return;
    const socket = this.transport.dial(url);
    this.socket = socket;
    socket.on(readyEvent(socket), () => {
      this.connected = true;
      this.lastError = '';
      this.retryDelayMs = reconnectDelayMsMin;
      const hello: Hello = { v: protocolVersion, clusterId: this.transport.clusterId, from: this.transport.memberId, to: this.peerId, kind: 'messages' };
      const helloBytes = encodeJson(hello);
      socket.cork();
      socket.write(frameHeader(helloBytes.length));
      socket.write(helloBytes);
      for (const frame of this.pending) {
        socket.write(frameHeader(frame.length));
        socket.write(frame);
      }
      socket.uncork();
      this.pending = [];
      this.pendingBytes = 0;
    });
    const decoder = new FrameDecoder(64 * 1024);
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const frame of decoder.push(chunk)) {
          const reply = JSON.parse(frame.toString('utf8')) as Reply;
          if (!reply.ok) this.transport.log?.warn(`peer ${this.peerId} refused the connection: ${reply.error ?? 'no reason given'}`);
        }
      } catch (error) {
        socket.destroy(error instanceof Error ? error : new Error(String(error)));
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // The close handler below does the bookkeeping; TLS failures are worth a line each.
      const tlsFailure = socket instanceof tls.TLSSocket && !this.connected && error.code !== 'ECONNREFUSED';
      if (tlsFailure && error.message !== this.lastError) {
        this.lastError = error.message;
        this.transport.log?.warn(`cannot connect to peer ${this.peerId} at ${url} over TLS: ${error.message}`);
      }
    });
    socket.on('close', () => {
      const wasConnected = this.connected;
      this.socket = null;
      this.connected = false;
      this.corked = false;
      this.retryAt = Date.now() + this.retryDelayMs;
      this.retryDelayMs = Math.min(this.retryDelayMs * 2, reconnectDelayMsMax);
      this.pending = [];
      this.pendingBytes = 0;
      if (!this.closed) {
        this.transport.options.onUnreachable?.(this.peerId);
        if (wasConnected) this.transport.log?.warn(`lost the connection to peer ${this.peerId}`);
      }
    });
  }

  close(): void {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.socket?.destroy();
    this.socket = null;
  }
}

/** Sends and receives peer messages for one member. */
export class PeerTransport {
  readonly clusterId: string;
  readonly memberId: string;
  readonly queueBytesMax: number;
  readonly log: TransportLogger | undefined;
  private readonly frameBytesMax: number;
  private readonly senders = new Map<string, PeerSender>();
  private readonly inbound = new Set<net.Socket>();
  private server: net.Server | null = null;
  private faults: TransportFaults = noFaults;
  private dropTo = new Set<string>();
  private dropFrom = new Set<string>();
  /** Receivers of held snapshots, woken when `holdSnapshots` is cleared. */
  private snapshotWaiters: (() => void)[] = [];
  readonly stats: TransportStats = { messagesReceived: 0, messagesDroppedIncoming: 0, messagesDroppedOutgoing: 0 };

  constructor(readonly options: PeerTransportOptions) {
    this.clusterId = options.clusterId;
    this.memberId = options.memberId;
    this.queueBytesMax = options.queueBytesMax ?? defaultQueueBytesMax;
    this.frameBytesMax = options.frameBytesMax ?? defaultFrameBytesMax;
    this.log = options.log;
  }

  /**
   * Starts accepting peer connections, over TLS when `secure` is given (an https:// listen URL);
   * resolves with the bound port. `refusal` says why a verified peer is still refused (a common or
   * host name the flags do not allow).
   */
  listen(host: string, port: number, secure?: tls.TlsOptions, refusal: (socket: tls.TLSSocket) => string | null = () => null): Promise<number> {
    const server = secure ? this.tlsServer(secure, refusal) : net.createServer((socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.off('error', reject);
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  /**
   * A TLS listener. Client certificates are checked here rather than by Node, which drops a
   * certificate from another CA without a word: each refusal is logged (at most every 10 s, a
   * stranger may try many), and nothing from a refused connection is read.
   */
  private tlsServer(options: tls.TlsOptions, refusal: (socket: tls.TLSSocket) => string | null): tls.Server {
    const verifyClients = options.requestCert === true && options.rejectUnauthorized !== false;
    let warnedAtMs = 0;
    const refuse = (socket: net.Socket, reason: string): void => {
      const now = Date.now();
      if (now >= warnedAtMs + tlsRefusalWarnIntervalMs) {
        warnedAtMs = now;
        this.log?.warn(`refused a peer connection from ${socket.remoteAddress ?? 'an unknown address'}: ${reason} (said at most every 10 s)`);
      }
      socket.destroy();
    };
    const server = tls.createServer({ ...options, rejectUnauthorized: false, handshakeTimeout: tlsHandshakeTimeoutMs }, (socket) => {
      if (verifyClients && !socket.authorized) {
        refuse(socket, `client certificate not accepted: ${String(socket.authorizationError ?? 'none presented')}`);
        return;
      }
      const refused = verifyClients ? refusal(socket) : null;
      if (refused !== null) refuse(socket, refused);
      else this.accept(socket);
    });
    server.on('connection', (socket: net.Socket) => {
      this.inbound.add(socket);
      socket.on('close', () => this.inbound.delete(socket));
    });
    server.on('tlsClientError', (error, socket) => refuse(socket, `TLS handshake failed: ${error.message}`));
    return server;
  }

  /** A new connection to the peer at `url`: TLS for https://, plain TCP otherwise. */
  dial(url: string): net.Socket {
    const { host, port } = peerAddress(url);
    if (new URL(url).protocol !== 'https:') return net.connect({ host, port, noDelay: true });
    const socket = tls.connect({ ...this.options.tls?.client, host, port });
    socket.setNoDelay(true);
    return socket;
  }

  /** Adds a peer or replaces its URLs. */
  setPeer(peerId: string, urls: readonly string[]): void {
    const sender = this.senders.get(peerId);
    if (sender) sender.urls = urls;
    else this.senders.set(peerId, new PeerSender(this, peerId, urls));
  }

  removePeer(peerId: string): void {
    this.senders.get(peerId)?.close();
    this.senders.delete(peerId);
  }

  peers(): string[] {
    return [...this.senders.keys()];
  }

  /** Whether the outgoing connection to a peer is up (it is dialled when there is something to send). */
  isConnected(peerId: string): boolean {
    return this.senders.get(peerId)?.isConnected() ?? false;
  }

  /**
   * Queues a message for a peer. Never blocks; a message that cannot be sent is dropped. Answers
   * false when it was dropped here (an unknown peer or a `dropTo` fault).
   */
  send(to: string, payload: Uint8Array): boolean {
    const sender = this.senders.get(to);
    if (!sender || this.dropTo.has(to)) {
      this.stats.messagesDroppedOutgoing++;
      return false;
    }
    if (this.faults.delayMs > 0) {
      const copy = Uint8Array.from(payload);
      setTimeout(() => sender.send(copy), this.faults.delayMs).unref();
      return true;
    }
    sender.send(payload);
    return true;
  }

  /** Replaces the injected faults. `heal()` is `setFaults` with none. */
  setFaults(faults: TransportFaults): void {
    this.faults = faults;
    this.dropTo = new Set(faults.dropTo);
    this.dropFrom = new Set(faults.dropFrom);
    if (faults.holdSnapshots !== true) for (const wake of this.snapshotWaiters.splice(0)) wake();
  }

  /** Resolves at once, or once the `holdSnapshots` fault is cleared. */
  snapshotsReleased(): Promise<void> {
    if (this.faults.holdSnapshots !== true) return Promise.resolve();
    return new Promise((resolve) => this.snapshotWaiters.push(resolve));
  }

  heal(): void {
    this.setFaults(noFaults);
  }

  currentFaults(): TransportFaults {
    return this.faults;
  }

  /**
   * Streams a snapshot to a peer on its own connection. Resolves once the peer has installed it;
   * rejects with the peer's reason or a connection error.
   */
  async sendSnapshot(to: string, header: Uint8Array, body: AsyncIterable<Uint8Array>): Promise<void> {
    const sender = this.senders.get(to);
    if (!sender) throw new Error(`unknown peer ${to}`);
    if (this.dropTo.has(to)) throw new Error(`messages to peer ${to} are being dropped`);
    const url = sender.urls[0];
    if (url === undefined) throw new Error(`peer ${to} has no URL`);
    const socket = this.dial(url);
    const reply = new Promise<Reply>((resolve, reject) => {
      const decoder = new FrameDecoder(64 * 1024);
      socket.on('data', (chunk: Buffer) => {
        try {
          const frame = decoder.push(chunk)[0];
          if (frame) resolve(JSON.parse(frame.toString('utf8')) as Reply);
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
      socket.on('error', reject);
      socket.on('close', () => reject(new Error(`peer ${to} closed the snapshot connection`)));
    });
    // A refusal can come before the body is all sent (the receiver failed early and stopped
    // reading): stop writing then, or the writes would wait forever on a receiver that reads no
    // more, and this peer would never be sent another snapshot.
    const refused: { error: Error | null } = { error: null };
    reply.then(
      (answer) => {
        if (answer.ok) return;
        refused.error = new Error(`peer ${to} refused the snapshot: ${answer.error ?? 'no reason given'}`);
        socket.destroy();
      },
      () => undefined,
    );
    const write = (bytes: Uint8Array): Promise<void> =>
      new Promise((resolve, reject) => socket.write(bytes, (error) => (error ? reject(refused.error ?? error) : resolve())));
    await new Promise<void>((resolve, reject) => {
      socket.once(readyEvent(socket), resolve);
      socket.once('error', reject);
    });
    const hello: Hello = { v: protocolVersion, clusterId: this.clusterId, from: this.memberId, to, kind: 'snapshot' };
    for (const frame of [encodeJson(hello), Buffer.from(header)]) {
      await write(frameHeader(frame.length));
      await write(frame);
    }
    for await (const chunk of body) {
      for (let offset = 0; offset < chunk.length; offset += snapshotChunkBytes) {
        if (refused.error !== null) throw refused.error;
        const part = chunk.subarray(offset, offset + snapshotChunkBytes);
        await write(frameHeader(part.length));
        await write(part);
      }
    }
    await write(frameHeader(0));
    try {
      const answer = await reply;
      if (!answer.ok) throw new Error(`peer ${to} refused the snapshot: ${answer.error ?? 'no reason given'}`);
    } finally {
      socket.destroy();
    }
  }

  /**
   * Sends one query to the member at `url` and resolves with its answer. `to` may be '' and the
   * cluster id unknown ('') when asking a cluster this member is about to join.
   */
  query(url: string, to: string, request: unknown, timeoutMs = queryTimeoutMsDefault): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const socket = this.dial(url);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new QueryError(`peer at ${url} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const finish = (error: Error | null, value?: unknown): void => {
        clearTimeout(timer);
        socket.destroy();
        if (error) reject(error);
        else resolve(value);
      };
      let sent = false;
      socket.on(readyEvent(socket), () => {
        sent = true;
        const hello: Hello = { v: protocolVersion, clusterId: this.clusterId, from: this.memberId, to, kind: 'query' };
        for (const frame of [encodeJson(hello), encodeJson(request)]) {
          socket.write(frameHeader(frame.length));
          socket.write(frame);
        }
      });
      const decoder = new FrameDecoder(this.frameBytesMax);
      socket.on('data', (chunk: Buffer) => {
        try {
          const frame = decoder.push(chunk)[0];
          if (!frame) return;
          const reply = JSON.parse(frame.toString('utf8')) as Reply;
          if (reply.ok) finish(null, reply.value);
          else finish(new QueryError(reply.error ?? 'the peer refused the query'));
        } catch (error) {
          finish(error instanceof Error ? error : new Error(String(error)));
        }
      });
      socket.on('error', (error) => finish(new QueryError(`cannot reach peer at ${url}: ${error.message}`, !sent)));
      socket.on('close', () => finish(new QueryError(`peer at ${url} closed the connection`)));
    });
  }

  private accept(socket: net.Socket): void {
    this.inbound.add(socket);
    socket.setNoDelay(true);
    // The handshake is read before the peer is known: it may neither make this member buffer more
    // than a handshake nor hold the connection open without sending one.
    const helloTimer = setTimeout(() => {
      this.log?.warn('dropping a peer connection: no handshake within 10 s');
      socket.destroy();
    }, helloTimeoutMs);
    helloTimer.unref();
    socket.on('close', () => {
      clearTimeout(helloTimer);
      this.inbound.delete(socket);
    });
    socket.on('error', () => socket.destroy());
    const decoder = new FrameDecoder((frame) => (frame === 0 ? helloBytesMax : this.frameBytesMax));
    let hello: Hello | null = null;
    let snapshot: SnapshotReceiver | null = null;
    socket.on('data', (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = decoder.push(chunk);
      } catch (error) {
        this.log?.warn(`dropping a peer connection: ${error instanceof FrameError ? error.message : String(error)}`);
        socket.destroy();
        return;
      }
      for (const frame of frames) {
        if (hello === null) {
          const refusal = this.checkHello(frame);
          if (typeof refusal === 'string') {
            this.refuse(socket, refusal);
            return;
          }
          hello = refusal;
          clearTimeout(helloTimer);
          continue;
        }
        if (hello.kind === 'query') {
          const onQuery = this.options.onQuery;
          let request: unknown;
          try {
            request = JSON.parse(frame.toString('utf8'));
          } catch {
            this.refuse(socket, 'malformed query');
            return;
          }
          if (!onQuery) {
            this.refuse(socket, 'this member answers no queries');
            return;
          }
          onQuery(hello.from, request).then(
            (value) => this.reply(socket, { ok: true, value }),
            (error: unknown) => this.reply(socket, { ok: false, error: error instanceof Error ? error.message : String(error) }),
          );
          continue;
        }
        if (hello.kind === 'messages') {
          if (this.dropFrom.has(hello.from)) {
            this.stats.messagesDroppedIncoming++;
            this.options.onDroppedMessage?.(hello.from, frame);
          } else {
            this.stats.messagesReceived++;
            this.options.onMessage(hello.from, frame);
          }
          continue;
        }
        if (snapshot === null) {
          snapshot = new SnapshotReceiver(() => socket.pause(), () => socket.resume());
          const from = hello.from;
          if (this.dropFrom.has(from)) {
            this.refuse(socket, `messages from ${from} are being dropped`);
            return;
          }
          this.options.onSnapshot(from, frame, snapshot.chunks()).then(
            () => this.reply(socket, { ok: true }),
            (error: unknown) => this.reply(socket, { ok: false, error: error instanceof Error ? error.message : String(error) }),
          );
          continue;
        }
        snapshot.push(frame.length === 0 ? null : frame);
      }
    });
  }

  private checkHello(frame: Buffer): Hello | string {
    let hello: Hello;
    try {
      hello = JSON.parse(frame.toString('utf8')) as Hello;
    } catch {
      return 'malformed handshake';
    }
    if (hello.v !== protocolVersion) return `unsupported peer protocol version ${String(hello.v)}`;
    if (hello.kind === 'query' && (hello.clusterId === '' || hello.clusterId === this.clusterId)) return hello;
    if (hello.clusterId !== this.clusterId) return `cluster id mismatch: this member belongs to cluster ${this.clusterId}, the peer to ${hello.clusterId}`;
    if (hello.to !== this.memberId) return `member id mismatch: this member is ${this.memberId}, not ${hello.to}`;
    if (hello.kind !== 'messages' && hello.kind !== 'snapshot' && hello.kind !== 'query') return 'unknown connection kind';
    return hello;
  }

  private refuse(socket: net.Socket, reason: string): void {
    this.log?.warn(`refused a peer connection: ${reason}`);
    this.reply(socket, { ok: false, error: reason });
    socket.end();
  }

  private reply(socket: net.Socket, reply: Reply): void {
    if (socket.destroyed) return;
    const bytes = encodeJson(reply);
    socket.write(frameHeader(bytes.length));
    socket.write(bytes);
  }

  /** Stops listening and closes every connection. */
  async close(): Promise<void> {
    for (const sender of this.senders.values()) sender.close();
    this.senders.clear();
    for (const socket of this.inbound) socket.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
