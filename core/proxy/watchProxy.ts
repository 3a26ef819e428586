// The Watch service of the proxy: one client stream carrying many watches, each a member of a
// WatchBroadcast (watchBroadcast.ts) that shares an upstream watch with every other watch of the
// same range and options. Creates on one stream are answered in the order sent (the next waits
// for the previous one's answer), as a member answers them. Watches of a caller with a token go
// up on a stream opened with that token, so the cluster itself accepts or refuses them.
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type * as pb from '../api/proto/messages.js';
import type { EtcdClient } from '../client/etcdClient.js';
import { watchersMax, type WatchClient } from '../client/watchClient.js';
import { broadcastId, encodedWatchResponse, WatchBroadcast, type BroadcastKey, type BroadcastMember } from './watchBroadcast.js';
import type { Namespace } from './namespace.js';
import type { ProxyMetrics } from './proxyMetrics.js';
import type { CallContext, Upstream } from './upstream.js';

/** Watches one client stream may hold, as a member allows. */
export const watchesPerStreamMax = 10_000;
/** Bytes a client stream may have waiting to be sent before it is ended as too slow. */
export const clientPendingBytesMax = 64 * 1024 * 1024;
/** The watch id of stream-wide progress responses. */
const streamWatchId = '-1';

type WireWatchRequest = {
  create_request?: pb.WatchCreateRequest | null;
  cancel_request?: { watch_id: string | number } | null;
  progress_request?: object | null;
};

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

interface ClientWatch {
  readonly id: string;
  readonly member: BroadcastMember;
  broadcast: WatchBroadcast | null;
  /** The client has been told the watch exists. */
  announced: boolean;
  /** A cancel arrived before the created answer: it is answered right after it. */
  cancelPending: boolean;
}

function filtersOf(request: pb.WatchCreateRequest): { noPut: boolean; noDelete: boolean } {
  const filters = new Set<string | number>(request.filters ?? []);
  return { noPut: filters.has('NOPUT') || filters.has(0), noDelete: filters.has('NODELETE') || filters.has(1) };
}

/**
 * `preEncoded`: the call's serializer passes Buffers through (the proxy's gRPC Watch method), so
 * event batches are sent as encoded once per broadcast; the gateway's stand-in call takes objects.
 */
export function watchProxyHandler(broadcasts: WatchBroadcasts, contextOf: (call: object) => CallContext, preEncoded = false) {
  return (call: ServerDuplexStream<WireWatchRequest, pb.WatchResponse>): void => {
    const context = contextOf(call);
    const watches = new Map<string, ClientWatch>();
    const creates: pb.WatchCreateRequest[] = [];
    let creating = false;
    let nextId = 0;
    let closed = false;
    const send = (response: Partial<pb.WatchResponse> & { watch_id: string }): void => {
      if (closed || call.cancelled) return;
      const pending = (call as { writableLength?: number }).writableLength ?? 0;
      if (pending > clientPendingBytesMax) {
        close();
        call.end();
        return;
      }
      call.write({
        header: response.header ?? broadcasts.metrics.latestHeader, watch_id: response.watch_id, created: response.created ?? false,
        canceled: response.canceled ?? false, compact_revision: response.compact_revision ?? '0',
        cancel_reason: response.cancel_reason ?? '', fragment: false, events: response.events ?? [],
      });
    };
    const sendEncoded = (response: Buffer): void => {
      if (closed || call.cancelled) return;
      if (((call as { writableLength?: number }).writableLength ?? 0) > clientPendingBytesMax) {
        close();
        call.end();
        return;
      }
      (call as unknown as { write(bytes: Buffer): boolean }).write(response);
    };
    const refuse = (reason: string): void => {
      send({ watch_id: streamWatchId, created: true, canceled: true, cancel_reason: reason });
    };
    const next = (): void => {
      creating = false;
      const request = creates.shift();
      if (request) create(request);
    };

    const create = (request: pb.WatchCreateRequest): void => {
      creating = true;
      const requestedId = Number(request.watch_id ?? 0);
      const id = String(requestedId > 0 ? requestedId : nextId);
      if (watches.has(id) || watches.size >= watchesPerStreamMax) {
        refuse(watches.has(id) ? 'mvcc: duplicate watch ID provided on the WatchStream' : 'etcdserver: too many watches on this stream');
        next();
        return;
      }
      while (watches.has(String(nextId)) || String(nextId) === id) nextId++;
      const rawKey = request.key && request.key.length > 0 ? Buffer.from(request.key) : Buffer.from([0]);
      const rawEnd = request.range_end && request.range_end.length > 0 ? Buffer.from(request.range_end) : undefined;
      const range = broadcasts.namespace
        ? broadcasts.namespace.range(request.key ?? Buffer.alloc(0), rawEnd)
        : { key: rawKey, rangeEnd: rawEnd };
      if (closed) return;
      const watch: ClientWatch = {
        id,
        broadcast: null,
        announced: false,
        cancelPending: false,
        member: {
          created: (header) => {
            watch.announced = true;
            send({ header, watch_id: id, created: true });
            if (watch.cancelPending) cancel(watch);
            next();
          },
          deliver: (header, events, encoded) => {
            if (preEncoded) sendEncoded(encodedWatchResponse(encoded(), Number(id)));
            else send({ header, watch_id: id, events });
          },
          ended: (reason) => {
            watches.delete(id);
            if (!watch.announced) {
              refuse(reason.message);
              next();
            } else {
              send({ watch_id: id, canceled: true, compact_revision: String(reason.compactRevision), cancel_reason: reason.message });
            }
          },
        },
      };
      watches.set(id, watch);
      const key: BroadcastKey = {
        key: range.key, rangeEnd: range.rangeEnd, prevKv: request.prev_kv ?? false, ...filtersOf(request),
        progressNotify: request.progress_notify ?? false, startRevision: Math.max(0, Number(request.start_revision ?? 0)),
      };
      watch.broadcast = broadcasts.join(key, watch.member, context.token);
      if (watch.broadcast === null) {
        watches.delete(id);
        refuse('etcdserver: proxy: too many watches upstream');
        next();
      }
    };

    call.on('data', (request: WireWatchRequest) => {
      if (request.create_request) {
        creates.push(request.create_request);
        if (!creating) next();
      } else if (request.cancel_request) {
        const id = String(Number(request.cancel_request.watch_id));
        const watch = watches.get(id);
        if (watch?.announced) cancel(watch);
        else if (watch) watch.cancelPending = true;
      } else if (request.progress_request) {
        // Every batch is passed on as it arrives, so each watch has seen everything up to its
        // broadcast's revision: the stream has seen everything up to the smallest of them.
        let revision = Number(broadcasts.metrics.latestHeader.revision);
        for (const watch of watches.values()) if (watch.broadcast) revision = Math.min(revision, watch.broadcast.revision);
        send({ header: { ...broadcasts.metrics.latestHeader, revision: String(revision) }, watch_id: streamWatchId });
      }
    });
    const cancel = (watch: ClientWatch): void => {
      watches.delete(watch.id);
      if (watch.broadcast) broadcasts.leave(watch.broadcast, watch.member);
      send({ watch_id: watch.id, canceled: true });
    };
    const close = (): void => {
      if (closed) return;
      closed = true;
      for (const watch of watches.values()) if (watch.broadcast) broadcasts.leave(watch.broadcast, watch.member);
      watches.clear();
    };
    call.on('end', () => {
      close();
      call.end();
    });
    call.on('error', close);
    call.on('cancelled', close);
    call.on('close', close);
  };
}
