// What the proxy does for each etcd method: most are forwarded to the cluster unchanged (with the
// caller's token); KV keeps the range cache and the namespace, Lease, Lock and Election the
// namespace, Cluster's MemberList answers with the proxies when the proxy advertises itself.
// Each handler takes the wire request (as core/api's loader decodes it) and the call's context.
import type { ServiceDefinition } from '@grpc/grpc-js';
import { etcdServiceNames, serviceDefinition, type EtcdServiceName } from '../api/proto/load.js';
import type * as admin from '../api/proto/adminMessages.js';
import type * as pb from '../api/proto/messages.js';
import type { Namespace } from './namespace.js';
import type { ProxyMetrics } from './proxyMetrics.js';
import type { RangeCache } from './rangeCache.js';
import { upstreamFailure, type CallContext, type Upstream } from './upstream.js';
import { InvalidRequestError } from '../api/grpcStatus.js';
import { status } from '@grpc/grpc-js';

export type ProxyUnary = (request: never, context: CallContext) => Promise<object>;
export type ProxyServerStream = (request: never, context: CallContext) => AsyncIterable<object>;

export interface ProxyServiceSet {
  readonly unary: ReadonlyMap<string, ProxyUnary>;
  readonly serverStream: ReadonlyMap<string, ProxyServerStream>;
}

/** Methods safe to send again to another member after an answer was lost. */
const idempotentMethods = new Set([
  'etcdserverpb.KV/Range', 'etcdserverpb.Lease/LeaseTimeToLive', 'etcdserverpb.Lease/LeaseLeases',
  'etcdserverpb.Cluster/MemberList', 'etcdserverpb.Maintenance/Status', 'etcdserverpb.Maintenance/Hash',
  'etcdserverpb.Maintenance/HashKV', 'etcdserverpb.Maintenance/Alarm', 'etcdserverpb.Maintenance/Defragment',
  'etcdserverpb.Auth/AuthStatus', 'etcdserverpb.Auth/Authenticate', 'etcdserverpb.Auth/UserGet', 'etcdserverpb.Auth/UserList',
  'etcdserverpb.Auth/RoleGet', 'etcdserverpb.Auth/RoleList', 'v3electionpb.Election/Leader',
]);
/** Methods that wait for other clients by design: no default deadline of their own. */
const waitingMethods = new Set(['v3lockpb.Lock/Lock', 'v3electionpb.Election/Campaign']);

/** Registered proxies, for MemberList (registration.ts). */
export interface ProxyDirectory {
  /** The advertised proxies; empty when the proxy does not advertise itself. */
  members(context: CallContext): Promise<admin.Member[] | null>;
}

export interface ProxyServiceOptions {
  readonly upstream: Upstream;
  readonly cache: RangeCache;
  readonly metrics: ProxyMetrics;
  readonly namespace: Namespace | undefined;
  readonly directory: ProxyDirectory;
}

interface WireLeader {
  name: Buffer;
  key: Buffer;
  rev: string;
  lease: string;
}

function isStreaming(definition: ServiceDefinition, method: string): boolean {
  const m = definition[method]!;
  return m.requestStream || m.responseStream;
}

export function proxyServices(options: ProxyServiceOptions): ProxyServiceSet {
  const { upstream, cache, metrics, namespace: ns, directory } = options;
  const unary = new Map<string, ProxyUnary>();
  const serverStream = new Map<string, ProxyServerStream>();
  const forward = async <T extends object>(service: EtcdServiceName, method: string, request: object, context: CallContext): Promise<T> => {
    const path = `${service}/${method}`;
    const response = await upstream.unary<T>(service, method, request, context, idempotentMethods.has(path), waitingMethods.has(path));
    metrics.observe((response as { header?: pb.ResponseHeader | null }).header);
    return response;
  };
  // Every unary method is forwarded as it is unless a handler below replaces it.
  for (const service of etcdServiceNames) {
    const definition = serviceDefinition(service);
    for (const method of Object.keys(definition)) {
      if (isStreaming(definition, method)) continue;
      unary.set(`${service}/${method}`, (request: object, context) => forward(service, method, request, context));
    }
  }
  const set = (path: string, handler: (request: never, context: CallContext) => Promise<object>): void => {
    unary.set(path, handler);
  };

  setKvHandlers(set, forward, cache, metrics, ns);
  set('etcdserverpb.Lease/LeaseRevoke', async (q: pb.LeaseRevokeRequest, context) => {
    try {
      return await forward('etcdserverpb.Lease', 'LeaseRevoke', q, context);
    } finally {
      // The keys of the lease are deleted without a write the cache could see.
      cache.invalidate(Buffer.from([0]), Buffer.from([0]));
      metrics.cacheKeys = cache.size;
    }
  });
  if (ns) {
    set('etcdserverpb.Lease/LeaseTimeToLive', async (q: pb.LeaseTimeToLiveRequest, context) => {
      const response = await forward<pb.LeaseTimeToLiveResponse>('etcdserverpb.Lease', 'LeaseTimeToLive', q, context);
      return { ...response, keys: ns.leaseKeys(response.keys) };
    });
    setNamespacedLocks(set, forward, ns);
  }
  set('etcdserverpb.Cluster/MemberList', async (q: admin.MemberListRequest, context) => {
    const proxies = await directory.members(context);
    if (proxies === null) return forward('etcdserverpb.Cluster', 'MemberList', q, context);
    // etcd's proxy answers from its own list, without a header.
    return { header: null, members: proxies };
  });

  serverStream.set('etcdserverpb.Maintenance/Snapshot', (q: object, context) => relay(upstream, 'etcdserverpb.Maintenance', 'Snapshot', q, context));
  serverStream.set('v3electionpb.Election/Observe', (q: { name: Buffer }, context) => {
    const request = ns ? { name: ns.key(q.name) } : q;
    const stream = relay(upstream, 'v3electionpb.Election', 'Observe', request, context);
    return ns ? mapStream(stream, (r: admin.LeaderResponse) => ({ ...r, kv: ns.stripKv(r.kv) })) : stream;
  });
  return { unary, serverStream };
}

type Forward = <T extends object>(service: EtcdServiceName, method: string, request: object, context: CallContext) => Promise<T>;
type Setter = (path: string, handler: (request: never, context: CallContext) => Promise<object>) => void;

/** KV with the range cache and the namespace. */
function setKvHandlers(set: Setter, forward: Forward, cache: RangeCache, metrics: ProxyMetrics, ns: Namespace | undefined): void {
  set('etcdserverpb.KV/Range', async (q: pb.RangeRequest, context) => {
    const request = ns ? ns.rangeRequest(q) : q;
    const scope = context.token ?? '';
    if (request.serializable) {
      const cached = cache.get(request, scope);
      if (cached) {
        metrics.cacheHits++;
        return cached;
      }
      metrics.cacheMisses++;
    }
    const response = await forward<pb.RangeResponse>('etcdserverpb.KV', 'Range', request, context);
    const answer = ns ? ns.rangeResponse(response) : response;
    cache.add(request, scope, answer);
    metrics.cacheKeys = cache.size;
    return answer;
  });
  set('etcdserverpb.KV/Put', async (q: pb.PutRequest, context) => {
    const request = ns ? ns.putRequest(q) : q;
    try {
      const response = await forward<pb.PutResponse>('etcdserverpb.KV', 'Put', request, context);
      return ns ? ns.putResponse(response) : response;
    } finally {
      cache.invalidate(request.key, undefined);
      metrics.cacheKeys = cache.size;
    }
  });
  set('etcdserverpb.KV/DeleteRange', async (q: pb.DeleteRangeRequest, context) => {
    const request = ns ? ns.rangeRequest(q) : q;
    try {
      const response = await forward<pb.DeleteRangeResponse>('etcdserverpb.KV', 'DeleteRange', request, context);
      return ns ? ns.deleteRangeResponse(response) : response;
    } finally {
      cache.invalidate(request.key, request.range_end);
      metrics.cacheKeys = cache.size;
    }
  });
  set('etcdserverpb.KV/Txn', async (q: pb.TxnRequest, context) => {
    const request = ns ? ns.txnRequest(q) : q;
    try {
      const response = await forward<pb.TxnResponse>('etcdserverpb.KV', 'Txn', request, context);
      return ns ? ns.txnResponse(response) : response;
    } finally {
      cache.invalidateTxn(request);
      metrics.cacheKeys = cache.size;
    }
  });
  set('etcdserverpb.KV/Compact', async (q: pb.CompactionRequest, context) => {
    const response = await forward<pb.CompactionResponse>('etcdserverpb.KV', 'Compact', q, context);
    cache.compact(Number(q.revision));
    return response;
  });
}

/** Lock and Election with names (and the keys they return) inside the namespace. */
function setNamespacedLocks(set: Setter, forward: Forward, ns: Namespace): void {
  const leaderIn = (leader: WireLeader | null): WireLeader | null => (leader ? { ...leader, name: ns.key(leader.name), key: ns.key(leader.key) } : null);
  const leaderOut = (leader: WireLeader | null): WireLeader | null => (leader ? { ...leader, name: ns.strip(leader.name), key: ns.strip(leader.key) } : null);
  set('v3lockpb.Lock/Lock', async (q: { name: Buffer; lease: string }, context) => {
    const response = await forward<{ header: pb.ResponseHeader; key: Buffer }>('v3lockpb.Lock', 'Lock', { ...q, name: ns.key(q.name) }, context);
    return { ...response, key: ns.strip(response.key) };
  });
  set('v3lockpb.Lock/Unlock', (q: { key: Buffer }, context) => forward('v3lockpb.Lock', 'Unlock', { key: ns.key(q.key) }, context));
  set('v3electionpb.Election/Campaign', async (q: { name: Buffer; lease: string; value: Buffer }, context) => {
    const response = await forward<{ header: pb.ResponseHeader; leader: WireLeader | null }>('v3electionpb.Election', 'Campaign', { ...q, name: ns.key(q.name) }, context);
    return { ...response, leader: leaderOut(response.leader) };
  });
  set('v3electionpb.Election/Proclaim', (q: { leader: WireLeader | null; value: Buffer }, context) =>
    forward('v3electionpb.Election', 'Proclaim', { ...q, leader: leaderIn(q.leader) }, context));
  set('v3electionpb.Election/Resign', (q: { leader: WireLeader | null }, context) =>
    forward('v3electionpb.Election', 'Resign', { leader: leaderIn(q.leader) }, context));
  set('v3electionpb.Election/Leader', async (q: { name: Buffer }, context) => {
    const response = await forward<admin.LeaderResponse>('v3electionpb.Election', 'Leader', { name: ns.key(q.name) }, context);
    return { ...response, kv: ns.stripKv(response.kv) };
  });
}

async function* relay(upstream: Upstream, service: EtcdServiceName, method: string, request: object, context: CallContext): AsyncIterable<object> {
  let call;
  try {
    call = await upstream.serverStream(service, method, request, context);
  } catch (error) {
    throw upstreamFailure(error);
  }
  try {
    for await (const message of call as AsyncIterable<object>) yield message;
  } catch (error) {
    const failure = error as { code?: number; details?: string };
    throw new InvalidRequestError(failure.details ?? String(error), failure.code ?? status.UNKNOWN);
  } finally {
    call.cancel();
  }
}

async function* mapStream<T, U>(stream: AsyncIterable<object>, map: (value: T) => U): AsyncIterable<U> {
  for await (const value of stream) yield map(value as T);
}
