// The proxy's client port: gRPC and the JSON gateway on one listener (plaintext, or TLS with
// --cert-file/--key-file, client certificates required with --trusted-ca-file), routed by the
// connection's first bytes as a member's client port routes them (core/api/clientServer.ts), plus
// /health (the cluster answers a read, as etcd's proxy checks) and /metrics of its own. It wires
// the forwarding services to one Upstream.
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { Server, ServerCredentials, type MethodDefinition, type ServiceDefinition, type ServerUnaryCall, type ServerWritableStream, type ServiceError, type UntypedServiceImplementation, type sendUnaryData } from '@grpc/grpc-js';
import { FramedHttp2Session } from '../api/framedHttp2.js';
import { Gateway, type ServerStreamHandler, type StreamHandler, type UnaryHandler } from '../api/gateway.js';
import { serviceError } from '../api/handlers.js';
import { serveFastUnary, takeStreamsFirst, type FastCallContext, type FastMethod, type StreamDispatch } from '../api/fastUnary.js';
import { etcdServiceNames, serviceDefinition, type EtcdServiceName } from '../api/proto/load.js';
import { withoutDefaults } from './wireDefaults.js';
import { KeepAlives, keepAliveProxyHandler } from './keepAliveProxy.js';
import { Namespace } from './namespace.js';
import type { ProxyConfig } from './proxyConfig.js';
import { ProxyMetrics } from './proxyMetrics.js';
import { proxyServices, type ProxyServiceSet } from './proxyServices.js';
import { RangeCache } from './rangeCache.js';
import { Registration } from './registration.js';
import { Upstream, type CallContext } from './upstream.js';
import { WatchBroadcasts, watchProxyHandler } from './watchProxy.js';

const http2Preface = Buffer.from('PRI * HTTP/2.0');
/** How long the health check's read may take. */
export const healthTimeoutMs = 1_000;
const authRefusals = new Set(['etcdserver: permission denied', 'etcdserver: user name is empty', 'etcdserver: invalid auth token']);
/** How long a connection may take to finish its TLS handshake. */
const tlsHandshakeTimeoutMs = 10_000;

interface MetadataLike {
  get(key: string): unknown[];
}

/** The token and deadline of an incoming call (a grpc-js call or the gateway's stand-in). */
export function callContext(call: object): CallContext {
  const metadata = (call as { metadata?: MetadataLike }).metadata;
  const first = (key: string): string | undefined => {
    const value = metadata?.get(key)[0];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const token = first('token') ?? first('authorization');
  const getDeadline = (call as { getDeadline?: () => Date | number }).getDeadline;
  const deadline = getDeadline ? Number(getDeadline.call(call)) : Infinity;
  const timeoutMs = Number.isFinite(deadline) ? Math.max(1, deadline - Date.now()) : undefined;
  return { token, timeoutMs };
}

/** callContext() of a call on the fast unary path. */
function fastCallContext(call: FastCallContext): CallContext {
  const token = call.credentials.token;
  const timeoutMs = Number.isFinite(call.deadline) ? Math.max(1, call.deadline - Date.now()) : undefined;
  return { token: token === null || token === '' ? undefined : token, timeoutMs };
}

export class ProxyServer {
  readonly metrics = new ProxyMetrics();
  readonly upstream: Upstream;
  private readonly grpc: Server;
  private readonly http: http.Server;
  private readonly listeners: net.Server[] = [];
  private readonly sockets = new Set<Duplex>();
  private readonly keepAlives: KeepAlives;
  private readonly broadcasts: WatchBroadcasts;
  private readonly registration: Registration;
  /** Made only so grpc-js makes its HTTP/2 server, whose stream listener `dispatch` hands streams to. */
  private injector: ReturnType<Server['createConnectionInjector']> | null = null;
  private readonly dispatch: StreamDispatch;
  private lastHealth: boolean | null = null;

  constructor(private readonly config: ProxyConfig, log: (message: string) => void) {
    const upstreamTls = config.cert !== '' || config.key !== '' || config.cacert !== '' || config.insecureSkipTlsVerify
      ? {
          ...(config.cacert !== '' ? { caFile: config.cacert } : {}), ...(config.cert !== '' ? { certFile: config.cert } : {}),
          ...(config.key !== '' ? { keyFile: config.key } : {}), ...(config.insecureSkipTlsVerify ? { insecureSkipVerify: true } : {}),
        }
      : undefined;
    this.upstream = new Upstream({ endpoints: config.endpoints, tls: upstreamTls });
    const namespace = config.namespace === '' ? undefined : new Namespace(config.namespace);
    this.registration = new Registration(this.upstream, namespace, {
      advertiseClientUrl: config.advertiseClientUrl, resolverPrefix: config.resolverPrefix, resolverTtlSeconds: config.resolverTtlSeconds,
    }, log);
    const services = proxyServices({ upstream: this.upstream, cache: new RangeCache(), metrics: this.metrics, namespace, directory: this.registration });
    this.keepAlives = new KeepAlives(this.upstream, this.metrics);
    this.broadcasts = new WatchBroadcasts(this.upstream, namespace, this.metrics);
    const watch = watchProxyHandler(this.broadcasts, callContext);
    const grpcWatch = watchProxyHandler(this.broadcasts, callContext, true);
    const keepAlive = keepAliveProxyHandler(this.keepAlives, callContext);

    this.grpc = new Server({
      // fastTable below must say the same.
      'grpc.max_receive_message_length': config.maxRecvBytes,
      'grpc.max_send_message_length': config.maxSendBytes,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.http2.min_ping_interval_without_data_ms': 5_000,
      'grpc.enable_channelz': 0,
    });
    const fastMethods = new Map<string, FastMethod>();
    const fastTable = { methods: fastMethods, receiveBytesMax: config.maxRecvBytes, sendBytesMax: config.maxSendBytes, intercepted: false };
    this.dispatch = takeStreamsFirst(this.grpc, (stream, headers) => serveFastUnary(fastTable, stream, headers));
    for (const service of etcdServiceNames) {
      const implementation: UntypedServiceImplementation = {};
      const definition = service === 'etcdserverpb.Watch' ? watchServiceTakingBytes() : service === 'etcdserverpb.KV' ? kvServiceEncodingOnce() : serviceDefinition(service);
      for (const [method, codec] of Object.entries(definition) as [string, MethodDefinition<never, object>][]) {
        const path = `${service}/${method}`;
        const handler = services.unary.get(path);
        const stream = services.serverStream.get(path);
        if (handler) {
          fastMethods.set(codec.path, { deserialize: codec.requestDeserialize, serialize: codec.responseSerialize, handler: (request: never, call) => handler(request, fastCallContext(call)) });
          implementation[method] = (call: ServerUnaryCall<unknown, object>, callback: sendUnaryData<object>): void => {
            handler(call.request as never, callContext(call)).then(
              (response) => callback(null, response),
              (error: unknown) => callback(serviceError(error)),
            );
          };
        } else if (stream) {
          implementation[method] = (call: ServerWritableStream<unknown, object>): void => void relayStream(call, stream(call.request as never, callContext(call)));
        }
      }
      if (service === 'etcdserverpb.Watch') implementation['Watch'] = grpcWatch;
      if (service === 'etcdserverpb.Lease') implementation['LeaseKeepAlive'] = keepAlive;
      this.grpc.addService(definition, implementation);
    }
    const gatewayFor = (token: string | undefined): Gateway => proxyGateway(services, watch, keepAlive, token, config.maxRecvBytes);
    const anonymous = gatewayFor(undefined);
    this.http = http.createServer((request, response) => {
      const token = request.headers.authorization;
      const gateway = token === undefined || token === '' ? anonymous : gatewayFor(token);
      if (gateway.handle(request, response)) return;
      void this.serveHttp(request, response);
    });
  }

  /** Starts listening (and registering); resolves with the bound port. */
  async start(): Promise<number> {
    this.injector = this.grpc.createConnectionInjector(ServerCredentials.createInsecure());
    const { host, port } = this.config.listenAddr;
    const listener = this.config.certFile !== '' ? this.tlsListener() : net.createServer({ noDelay: true }, (socket) => this.route(socket));
    const bound = await this.listen(listener, host, port);
    if (this.config.metricsAddr !== '') {
      const url = new URL(this.config.metricsAddr.includes('://') ? this.config.metricsAddr : `http://${this.config.metricsAddr}`);
      const metricsServer = net.createServer((socket) => {
        this.track(socket);
        this.http.emit('connection', socket);
      });
      await this.listen(metricsServer, url.hostname, Number(url.port));
    }
    this.registration.start();
    return bound;
  }

  private listen(listener: net.Server, host: string, port: number): Promise<number> {
    this.listeners.push(listener);
    return new Promise<number>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen({ host, port }, () => {
        listener.off('error', reject);
        const address = listener.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  private tlsListener(): tls.Server {
    const trusted = this.config.trustedCaFile !== '';
    const listener = tls.createServer(
      {
        cert: fs.readFileSync(this.config.certFile), key: fs.readFileSync(this.config.keyFile),
        ...(trusted ? { ca: fs.readFileSync(this.config.trustedCaFile), requestCert: true, rejectUnauthorized: true } : {}),
        noDelay: true, ALPNProtocols: ['http/1.1', 'h2'], handshakeTimeout: tlsHandshakeTimeoutMs,
      },
      (socket) => this.route(socket),
    );
    listener.on('tlsClientError', (_error, socket) => socket.destroy());
    return listener;
  }

  private track(socket: Duplex): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  }

  private route(socket: net.Socket): void {
    this.track(socket);
    socket.once('data', (chunk: Buffer) => {
      socket.pause();
      const probe = chunk.subarray(0, http2Preface.length);
      if (http2Preface.subarray(0, probe.length).equals(probe)) {
        const session = new FramedHttp2Session(socket, this.dispatch);
        session.onData(chunk);
      } else {
        socket.unshift(chunk);
        this.http.emit('connection', socket);
      }
      socket.resume();
    });
  }

  private async serveHttp(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname === '/health') {
      const healthy = await this.checkHealth();
      response.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ health: String(healthy) }));
    } else if (url.pathname === '/metrics') {
      const text = this.metrics.render({ endpoint: this.upstream.currentEndpoint, healthy: this.lastHealth });
      response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(text);
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
    }
  }

  /**
   * Healthy when the cluster answers a linearizable read, or refuses it for want of a user or a
   * permission (the cluster answered; the proxy has no credentials of its own). etcd's proxy
   * accepts only "permission denied", so it reports a cluster with authentication on unhealthy.
   */
  private async checkHealth(): Promise<boolean> {
    try {
      await this.upstream.unary('etcdserverpb.KV', 'Range', { key: Buffer.from('a') }, { timeoutMs: healthTimeoutMs }, true);
      this.lastHealth = true;
    } catch (error) {
      this.lastHealth = error instanceof Error && authRefusals.has(error.message);
    }
    return this.lastHealth;
  }

  async close(): Promise<void> {
    await this.registration.stop();
    for (const listener of this.listeners) listener.close();
    this.injector?.destroy();
    this.grpc.forceShutdown();
    for (const socket of this.sockets) socket.destroy();
    this.http.close();
    this.keepAlives.close();
    this.broadcasts.close();
    this.upstream.close();
  }
}

/**
 * The JSON gateway over the proxy's handlers. Its handlers take no context, so a request with a
 * token (etcd's gateway reads it from the Authorization header) gets a gateway whose handlers
 * carry it. Answers are printed without proto3 defaults, as etcd's gateway prints them.
 */
function proxyGateway(services: ProxyServiceSet, watch: (call: never) => void, keepAlive: (call: never) => void, token: string | undefined, requestBytesMax: number): Gateway {
  const context: CallContext = { token };
  // A gateway stream's messages are printed without defaults too, and carry the token.
  const adapt = (call: object, service: EtcdServiceName, method: string): object => {
    const stream = call as { write(message: object): boolean };
    const write = stream.write.bind(stream);
    stream.write = (message: object): boolean => write(withoutDefaults(service, method, message));
    return token === undefined || 'metadata' in call ? call : Object.assign(call, { metadata: { get: (key: string) => (key === 'token' ? [token] : []) } });
  };
  return new Gateway({
    unary: new Map<string, UnaryHandler>([...services.unary].map(([path, handler]) => [path, async (request: never) => {
      const [service, method] = path.split('/') as [EtcdServiceName, string];
      return withoutDefaults(service, method, await handler(request, context));
    }])),
    serverStream: new Map<string, ServerStreamHandler>([...services.serverStream].map(([path, stream]) => [path, (request: never) => {
      const [service, method] = path.split('/') as [EtcdServiceName, string];
      return mapMessages(stream(request, context), (message) => withoutDefaults(service, method, message));
    }])),
    duplex: new Map<string, StreamHandler>([
      ['etcdserverpb.Watch/Watch', (call) => watch(adapt(call, 'etcdserverpb.Watch', 'Watch') as never)],
      ['etcdserverpb.Lease/LeaseKeepAlive', (call) => keepAlive(adapt(call, 'etcdserverpb.Lease', 'LeaseKeepAlive') as never)],
    ]),
  }, { requestBytesMax });
}

/**
 * The KV service, whose Range answers are encoded once per answer object: a cache hit returns the
 * object the cache holds (rangeCache.ts), which is never changed once stored, so its bytes are
 * kept beside it (weakly: they go when the entry goes) instead of being made again for every hit.
 * Encoding was the largest cost of a hit that the proxy itself controls.
 */
function kvServiceEncodingOnce(): ServiceDefinition {
  const definition = serviceDefinition('etcdserverpb.KV');
  const method = definition['Range']!;
  const serialize = method.responseSerialize;
  const encoded = new WeakMap<object, Buffer>();
  const responseSerialize = (value: object): Buffer => {
    let bytes = encoded.get(value);
    if (bytes === undefined) {
      bytes = serialize(value);
      encoded.set(value, bytes);
    }
    return bytes;
  };
  return { ...definition, Range: { ...method, responseSerialize } };
}

/** The Watch service, whose responses may also be given already encoded (watchProxy.ts). */
function watchServiceTakingBytes(): ServiceDefinition {
  const definition = serviceDefinition('etcdserverpb.Watch');
  const method = definition['Watch']!;
  const serialize = method.responseSerialize;
  return { ...definition, Watch: { ...method, responseSerialize: (value: object) => (Buffer.isBuffer(value) ? value : serialize(value)) } };
}

async function* mapMessages(messages: AsyncIterable<object>, map: (message: object) => object): AsyncIterable<object> {
  for await (const message of messages) yield map(message);
}

/** Writes a server stream's messages to a grpc-js call, ending it with the stream's failure if any. */
async function relayStream(call: ServerWritableStream<unknown, object>, messages: AsyncIterable<object>): Promise<void> {
  try {
    for await (const message of messages) {
      if (call.cancelled) return;
      if (!call.write(message)) await new Promise<void>((resolve) => call.once('drain', resolve));
    }
    call.end();
  } catch (error) {
    call.destroy(serviceError(error) as ServiceError);
  }
}
