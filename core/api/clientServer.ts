// The client port: gRPC (etcd's v3 services) and HTTP/1.1 (the JSON gateway, /health, /version,
// /metrics and Rafter's read-only inspection endpoints) on the same listener, as etcd serves them.
// Each accepted connection is routed by its first bytes: the HTTP/2 connection preface goes to
// Rafter's own HTTP/2 server side (framedHttp2.ts), whose streams are served by the fast unary path
// (fastUnary.ts) or else by grpc-js's call layer; anything else goes to the HTTP/1.1 server. On an
// https:// listener TLS comes first and the decrypted connection is routed by its ALPN protocol
// (h2 to the HTTP/2 side, over the TLS socket itself, so a call knows the verified client
// certificate: clientIdentity.ts), or by its first bytes when the client named none. A connection
// that fails the handshake (plaintext, no or a wrongly signed client certificate) is closed at once.
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { Server, ServerCredentials, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { EtcdBackend } from './backend.js';
import type { PutResponse } from '../mvcc/types.js';
import { clusterHandlers, maintenanceHandlers, snapshotStream } from './clusterService.js';
import { Gateway, type StreamHandler, type UnaryHandler, type ServerStreamHandler } from './gateway.js';
import { serverStream, unary, type CallContext } from './handlers.js';
import { authHandlers } from './authService.js';
import { serveFastUnary, takeStreamsFirst, type FastMethod, type StreamDispatch } from './fastUnary.js';
import { FramedHttp2Session } from './framedHttp2.js';
import { assert } from '../raft/assert.js';
import { frameRangeAnswerOf, kvHandlers, kvStoreHandlers, rangeAnswerToWire, streamedRangeHandler, type StoreAnswer } from './kvService.js';
import { framePutAnswer, kvResponseFrameEncoders } from './kvResponseCodec.js';
import { putResponseToWire } from './convert.js';
import { leaseHandlers, leaseKeepAliveHandler } from './leaseService.js';
import { grpcReceiveBytesCeiling, oversizeInterceptor, withRequestLimit } from './messageSize.js';
import { electionHandlers, lockHandlers, observeStream } from './lockService.js';
import { serviceDefinition, type EtcdServiceName } from './proto/load.js';
import { withWatchEncoding } from './watchEncoding.js';
import { watchHandler } from './watchService.js';

/** What the HTTP side serves besides the gateway. */
export interface HttpEndpoints {
  /** `/health`: etcd answers {"health":"true"} when the member has a leader and can serve. */
  health(): Promise<{ readonly healthy: boolean; readonly reason: string }>;
  /** `/metrics`: Prometheus text exposition. */
  metrics(): string;
  /** `/version`. */
  version(): { readonly etcdserver: string; readonly etcdcluster: string; readonly rafter: string };
  /** Extra GET/POST routes under `/rafter/` (inspection, faults); null when the path is unknown. */
  rafter(method: string, path: string, query: URLSearchParams, body: unknown): Promise<unknown>;
}

/** gRPC framing overhead allowed on top of the member's request limit, as etcd allows. */
const grpcOverheadBytes = 512 * 1024;
const http2Preface = Buffer.from('PRI * HTTP/2.0');
const rafterBodyBytesMax = 64 * 1024;
/** What a --listen-metrics-urls listener serves. */
const metricsPaths = new Set(['/metrics', '/health', '/livez', '/readyz']);
/** How long a connection may take to finish its TLS handshake. */
const tlsHandshakeTimeoutMs = 10_000;

/** One listening address; `tls` present makes it an https:// listener. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
  readonly tls?: tls.TlsOptions | undefined;
  /** Why a TLS client whose certificate Node accepted is still refused (see PortTls.refusal). */
  readonly refusal?: ((socket: tls.TLSSocket) => string | null) | undefined;
}

export class ClientServer {
  private readonly grpc: Server;
  private readonly http: http.Server;
  private readonly listeners: net.Server[] = [];
  private readonly metricsServers: http.Server[] = [];
  private readonly sockets = new Set<net.Socket>();
  /** Made only so grpc-js makes its HTTP/2 server, whose stream listener `dispatch` hands streams to. */
  private injector: ReturnType<Server['createConnectionInjector']> | null = null;
  private readonly dispatch: StreamDispatch;
  private readonly sessions = new Set<FramedHttp2Session>();

  constructor(backend: EtcdBackend, private readonly endpoints: HttpEndpoints) {
    const requestBytesMax = backend.maxRequestBytes + grpcOverheadBytes;
    this.grpc = new Server({
      // Requests over requestBytesMax are refused in etcd's words by oversizeInterceptor.
      // fastTable below must say the same.
      'grpc.max_receive_message_length': Math.max(requestBytesMax, grpcReceiveBytesCeiling),
      'grpc.max_send_message_length': -1,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.http2.min_ping_interval_without_data_ms': 5_000,
      // Nothing reads grpc-js's channelz counters; keeping them costs time on every message.
      'grpc.enable_channelz': 0,
      interceptors: [oversizeInterceptor],
    });
    const fastMethods = new Map<string, FastMethod>();
    const fastTable = { methods: fastMethods, receiveBytesMax: Math.max(requestBytesMax, grpcReceiveBytesCeiling), sendBytesMax: -1, intercepted: true };
    this.dispatch = takeStreamsFirst(this.grpc, (stream, headers) => serveFastUnary(fastTable, stream, headers));
    const unaryMap = new Map<string, UnaryHandler>();
    const duplexMap = new Map<string, StreamHandler>();
    const streamMap = new Map<string, ServerStreamHandler>();
    /** Methods whose fast-path handler answers in another form than the wire object, with its encoders. */
    interface FastAnswer {
      readonly handler: (request: never, call: CallContext) => Promise<object>;
      readonly frame: (answer: never) => Buffer | null;
      readonly toWire: (answer: never) => object;
    }
    const add = (name: EtcdServiceName, methods: Record<string, (request: never, call: CallContext) => Promise<object>>, extra: UntypedServiceImplementation = {}, fast: Record<string, FastAnswer> = {}): void => {
      const implementation: UntypedServiceImplementation = { ...extra };
      const definition = withRequestLimit(serviceDefinition(name), requestBytesMax);
      for (const [method, handler] of Object.entries(methods)) {
        implementation[method] = unary(handler);
        unaryMap.set(`${name}/${method}`, handler);
        const codec = definition[method];
        assert(codec !== undefined, `${name} defines ${method}`);
        const answer = fast[method];
        const serialize = codec.responseSerialize;
        const frame = name === 'etcdserverpb.KV' ? kvResponseFrameEncoders[method] : undefined;
        if (answer) fastMethods.set(codec.path, { deserialize: codec.requestDeserialize, handler: answer.handler, frame: answer.frame, serialize: (value: never) => serialize(answer.toWire(value)) });
        else fastMethods.set(codec.path, { deserialize: codec.requestDeserialize, serialize, ...(frame ? { frame } : {}), handler });
      }
      this.grpc.addService(name === 'etcdserverpb.Watch' ? withWatchEncoding(definition) : definition, implementation);
    };
    const watch = watchHandler(backend);
    const keepAlive = leaseKeepAliveHandler(backend);
    const snapshot = (_request: never, call: CallContext): AsyncIterable<object> => snapshotStream(backend, call.credentials);
    duplexMap.set('etcdserverpb.Watch/Watch', watch as unknown as StreamHandler);
    duplexMap.set('etcdserverpb.Lease/LeaseKeepAlive', keepAlive as unknown as StreamHandler);
    streamMap.set('etcdserverpb.Maintenance/Snapshot', snapshot);
    // Range and Put on the fast path answer with the store's values, encoded without wire objects.
    const kvStore = kvStoreHandlers(backend);
    add('etcdserverpb.KV', kvHandlers(backend), {}, {
      Range: {
        handler: streamedRangeHandler(backend),
        frame: frameRangeAnswerOf,
        toWire: rangeAnswerToWire,
      },
      Put: {
        handler: kvStore.Put,
        frame: (answer: StoreAnswer<PutResponse>) => framePutAnswer(answer.info, answer.response),
        toWire: (answer: StoreAnswer<PutResponse>) => putResponseToWire(answer.info, answer.response),
      },
    });
    add('etcdserverpb.Watch', {}, { Watch: watch });
    add('etcdserverpb.Lease', leaseHandlers(backend), { LeaseKeepAlive: keepAlive });
    add('etcdserverpb.Cluster', clusterHandlers(backend));
    add('etcdserverpb.Maintenance', maintenanceHandlers(backend), { Snapshot: serverStream(snapshot) });
    const observeLeader = (request: never, call: CallContext): AsyncIterable<object> => observeStream(backend, request, call);
    streamMap.set('v3electionpb.Election/Observe', observeLeader);
    add('etcdserverpb.Auth', authHandlers(backend));
    add('v3lockpb.Lock', lockHandlers(backend));
    add('v3electionpb.Election', electionHandlers(backend), { Observe: serverStream(observeLeader) });
    const gateway = new Gateway({ unary: unaryMap, duplex: duplexMap, serverStream: streamMap }, { requestBytesMax });
    this.http = http.createServer((request, response) => {
      if (gateway.handle(request, response)) return;
      this.serveHttp(request, response);
    });
  }

  /** Starts listening on each host:port; resolves with the bound ports (port 0 picks one). */
  async listen(addresses: readonly ListenAddress[]): Promise<number[]> {
    this.injector ??= this.grpc.createConnectionInjector(ServerCredentials.createInsecure());
    const ports: number[] = [];
    for (const address of addresses) {
      const listener = address.tls ? this.tlsListener(address.tls, address.refusal ?? ((): null => null)) : net.createServer({ noDelay: true }, (socket) => this.route(socket));
      this.listeners.push(listener);
      ports.push(
        await new Promise<number>((resolve, reject) => {
          listener.once('error', reject);
          listener.listen({ host: address.host, port: address.port }, () => {
            listener.off('error', reject);
            const bound = listener.address();
            resolve(typeof bound === 'object' && bound ? bound.port : address.port);
          });
        }),
      );
    }
    return ports;
  }

  /**
   * Serves only /metrics and the health endpoints on each host:port (etcd's
   * --listen-metrics-urls, plain HTTP), so monitoring needs no access to the client API.
   * Resolves with the bound ports.
   */
  async listenMetrics(addresses: readonly { readonly host: string; readonly port: number }[]): Promise<number[]> {
    const ports: number[] = [];
    for (const address of addresses) {
      const server = http.createServer((request, response) => {
        const pathname = new URL(request.url ?? '/', 'http://localhost').pathname;
        if (metricsPaths.has(pathname)) this.serveHttp(request, response);
        else response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `no such endpoint: ${pathname}` }));
      });
      this.metricsServers.push(server);
      ports.push(
        await new Promise<number>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ host: address.host, port: address.port }, () => {
            server.off('error', reject);
            const bound = server.address();
            resolve(typeof bound === 'object' && bound ? bound.port : address.port);
          });
        }),
      );
    }
    return ports;
  }

  /**
   * An https:// listener: TLS as `options` say (certificate, client-certificate policy, versions),
   * then routeTls() on the decrypted connection. A connection that does not complete a handshake (a
   * plaintext client, a client certificate missing or signed by another CA) is closed at once.
   */
  private tlsListener(options: tls.TlsOptions, refusal: (socket: tls.TLSSocket) => string | null): tls.Server {
    const listener = tls.createServer(
      {
        ...options,
        noDelay: true,
        // curl and browsers offer both and get HTTP/1.1 (gateway, /health...); gRPC clients offer only h2.
        ALPNProtocols: ['http/1.1', 'h2'],
        handshakeTimeout: tlsHandshakeTimeoutMs,
      },
      (socket) => {
        if (refusal(socket) === null) this.routeTls(socket);
        else socket.destroy();
      },
    );
    listener.on('connection', (socket: net.Socket) => this.track(socket));
    listener.on('tlsClientError', (_error, socket) => socket.destroy());
    return listener;
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  }

  /**
   * A decrypted connection, by the protocol its client chose.
   */
  private routeTls(socket: tls.TLSSocket): void {
    if (socket.alpnProtocol === 'h2') {
      this.track(socket);
      this.serveFramed(socket, null);
    } else if (socket.alpnProtocol === 'http/1.1') {
      this.track(socket);
      this.http.emit('connection', socket);
    } else {
      this.route(socket);
    }
  }

  /** Routes a connection (plaintext, or decrypted TLS without ALPN) by its first bytes. */
  private route(socket: net.Socket): void {
    this.track(socket);
    socket.once('data', (chunk: Buffer) => {
      socket.pause();
      const probe = chunk.subarray(0, http2Preface.length);
      if (http2Preface.subarray(0, probe.length).equals(probe)) {
        this.serveFramed(socket, chunk);
      } else {
        socket.unshift(chunk);
        this.http.emit('connection', socket);
        socket.resume();
      }
    });
  }

  /**
   * An HTTP/2 connection served by framedHttp2.ts, starting with `first` (bytes already read from
   * it, when it was routed by them). Its HPACK decoder takes any :authority, so no connection
   * needs the repair Node's HTTP/2 once needed (docs/compatibility.md).
   */
  private serveFramed(socket: net.Socket, first: Buffer | null): void {
    const session = new FramedHttp2Session(socket, this.dispatch);
    this.sessions.add(session);
    socket.on('close', () => this.sessions.delete(session));
    if (first !== null) session.onData(first);
    socket.resume();
  }

  private serveHttp(request: http.IncomingMessage, response: http.ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const json = (code: number, body: unknown): void => {
      response.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    void (async () => {
      try {
        if (url.pathname === '/health' || url.pathname === '/livez' || url.pathname === '/readyz') {
          const health = await this.endpoints.health();
          json(health.healthy ? 200 : 503, { health: String(health.healthy), reason: health.reason });
        } else if (url.pathname === '/version') {
          json(200, this.endpoints.version());
        } else if (url.pathname === '/metrics') {
          response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(this.endpoints.metrics());
        } else if (url.pathname.startsWith('/rafter/')) {
          const body = request.method === 'POST' ? await readJson(request) : undefined;
          const result = await this.endpoints.rafter(request.method ?? 'GET', url.pathname, url.searchParams, body);
          if (result === null) json(404, { error: `no such endpoint: ${url.pathname}` });
          else json(200, result);
        } else {
          // Go's http.NotFound, as etcd answers any other path (/v3alpha/ among them).
          response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' }).end('404 page not found\n');
        }
      } catch (error) {
        json(400, { error: error instanceof Error ? error.message : String(error) });
      }
    })();
  }

  async close(): Promise<void> {
    for (const listener of this.listeners) listener.close();
    for (const server of this.metricsServers) server.close();
    for (const server of this.metricsServers) server.closeAllConnections();
    for (const session of this.sessions) session.destroy();
    this.injector?.destroy();
    this.grpc.forceShutdown();
    for (const socket of this.sockets) socket.destroy();
    this.http.close();
    await Promise.all(this.listeners.map((l) => new Promise<void>((resolve) => (l.listening ? l.close(() => resolve()) : resolve()))));
  }
}

function readJson(request: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > rafterBodyBytesMax) {
        reject(new Error('request body too large'));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text.trim() === '' ? {} : JSON.parse(text));
      } catch {
        reject(new Error('request body is not JSON'));
      }
    });
    request.on('error', reject);
  });
}
