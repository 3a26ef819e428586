// The Watch service of the proxy: the broadcasts shared by every client stream (each client watch
// is a member of a WatchBroadcast, watchBroadcast.ts, sharing an upstream watch with every other
// watch of the same range and options), and the handler that serves one client stream
// (clientWatchStream.ts). Watches of a caller with a token go up on a stream opened with that
// token, so the cluster itself accepts or refuses them.
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type * as pb from '../api/proto/messages.js';
import type { EtcdClient } from '../client/etcdClient.js';
import { watchersMax, type WatchClient } from '../client/watchClient.js';
import { ClientWatchStream, type WireWatchRequest } from './clientWatchStream.js';
import { broadcastId, WatchBroadcast, type BroadcastKey, type BroadcastMember } from './watchBroadcast.js';
import type { Namespace } from './namespace.js';
import type { ProxyMetrics } from './proxyMetrics.js';
import type { CallContext, Upstream } from './upstream.js';

/** Distinct caller tokens with watches at once (each has its own upstream watch stream). */
export const tokensWatchingMax = 1_024;

/**
 * The state shared by every client stream of one proxy. Watches of callers with a token go up on
 * a stream opened with that token (the cluster checks the watch against its user), so they are
 * shared only among callers with the same token.
 */
export class WatchBroadcasts {
  private readonly shared = new Map<string, WatchBroadcast>();
  private readonly all = new Set<WatchBroadcast>();
  private readonly byToken = new Map<string, { client: EtcdClient; broadcasts: number }>();

  constructor(
    readonly upstream: Upstream,
    readonly namespace: Namespace | undefined,
    readonly metrics: ProxyMetrics,
  ) {}

  /** Joins (or starts) the broadcast for `key`; false when the upstream holds too many watches. */
  join(key: BroadcastKey, member: BroadcastMember, token: string | undefined): WatchBroadcast | null {
    const id = `${token ?? ''}\n${broadcastId(key)}`;
    let broadcast = key.startRevision === 0 ? this.shared.get(id) : undefined;
    if (!broadcast?.open) {
      const upstream = this.watchClient(token);
      if (upstream === null) return null;
      if (upstream.size >= watchersMax) {
        this.release(token);
        return null;
      }
      const created: WatchBroadcast = new WatchBroadcast(key, upstream, this.namespace, this.metrics.latestHeader, (done) => {
        this.all.delete(done);
        if (this.shared.get(id) === done) this.shared.delete(id);
        this.release(token);
        this.publish();
      }, (events) => (this.metrics.eventsCoalesced += events));
      broadcast = created;
      this.all.add(broadcast);
      if (key.startRevision === 0) this.shared.set(id, broadcast);
    }
    broadcast.join(member);
    this.publish();
    return broadcast;
  }

  private watchClient(token: string | undefined): WatchClient | null {
    if (token === undefined) return this.upstream.client.watch;
    let entry = this.byToken.get(token);
    if (!entry) {
      if (this.byToken.size >= tokensWatchingMax) return null;
      entry = { client: this.upstream.clientWithToken(token), broadcasts: 0 };
      this.byToken.set(token, entry);
    }
    entry.broadcasts++;
    return entry.client.watch;
  }

  private release(token: string | undefined): void {
    if (token === undefined) return;
    const entry = this.byToken.get(token);
    if (!entry || --entry.broadcasts > 0) return;
    this.byToken.delete(token);
    entry.client.close();
  }

  /** Ends every watch stream opened with a caller's token. */
  close(): void {
    for (const entry of this.byToken.values()) entry.client.close();
    this.byToken.clear();
  }

  leave(broadcast: WatchBroadcast, member: BroadcastMember): void {
    broadcast.leave(member);
    this.publish();
  }

  private publish(): void {
    let members = 0;
    for (const broadcast of this.all) members += broadcast.size;
    this.metrics.watchers = members;
    this.metrics.upstreamWatchers = this.all.size;
  }
}

/**
 * `preEncoded`: the call's serializer passes Buffers through (the proxy's gRPC Watch method), so
 * event batches are sent as encoded once per broadcast; the gateway's stand-in call takes objects.
 */
export function watchProxyHandler(broadcasts: WatchBroadcasts, contextOf: (call: object) => CallContext, preEncoded = false) {
  return (call: ServerDuplexStream<WireWatchRequest, pb.WatchResponse>): void => {
    new ClientWatchStream(call, broadcasts, contextOf(call).token, preEncoded).start();
  };
}
