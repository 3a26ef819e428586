// One client's Watch stream through the proxy: many watches, each a member of a WatchBroadcast.
// Creates are answered in the order sent (the next waits for the previous one's answer, as a
// member answers them), with etcd's answers for refused ones; a cancel that arrives before its
// watch's created answer is answered right after it; a progress request is answered from what
// the stream's watches have been sent.
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type * as pb from '../api/proto/messages.js';
import { encodedWatchResponse, type BroadcastKey, type BroadcastMember, type WatchBroadcast } from './watchBroadcast.js';
import type { WatchBroadcasts } from './watchProxy.js';

/** Watches one client stream may hold, as a member allows. */
export const watchesPerStreamMax = 10_000;
/** Bytes a client stream may have waiting to be sent before it is ended as too slow. */
export const clientPendingBytesMax = 64 * 1024 * 1024;
/** The watch id of stream-wide progress responses. */
const streamWatchId = '-1';

export type WireWatchRequest = {
  create_request?: pb.WatchCreateRequest | null;
  cancel_request?: { watch_id: string | number } | null;
  progress_request?: object | null;
};

interface WatchState {
  readonly id: string;
  broadcast: WatchBroadcast | null;
  /** The client has been told the watch exists. */
  announced: boolean;
  /** A cancel arrived before the created answer: it is answered right after it. */
  cancelPending: boolean;
}

interface ClientWatch extends WatchState {
  readonly member: BroadcastMember;
}

function filtersOf(request: pb.WatchCreateRequest): { noPut: boolean; noDelete: boolean } {
  const filters = new Set<string | number>(request.filters ?? []);
  return { noPut: filters.has('NOPUT') || filters.has(0), noDelete: filters.has('NODELETE') || filters.has(1) };
}

export class ClientWatchStream {
  private readonly watches = new Map<string, ClientWatch>();
  private readonly creates: pb.WatchCreateRequest[] = [];
  private creating = false;
  private nextId = 0;
  private closed = false;

  /** `preEncoded`: the call's serializer passes encoded responses through (see watchProxyHandler). */
  constructor(
    private readonly call: ServerDuplexStream<WireWatchRequest, pb.WatchResponse>,
    private readonly broadcasts: WatchBroadcasts,
    private readonly token: string | undefined,
    private readonly preEncoded: boolean,
  ) {}

  start(): void {
    const close = (): void => this.close();
    this.call.on('data', (request: WireWatchRequest) => this.onRequest(request));
    this.call.on('end', () => {
      close();
      this.call.end();
    });
    this.call.on('error', close);
    this.call.on('cancelled', close);
    this.call.on('close', close);
  }

  private onRequest(request: WireWatchRequest): void {
    if (request.create_request) {
      this.creates.push(request.create_request);
      if (!this.creating) this.next();
    } else if (request.cancel_request) {
      const watch = this.watches.get(String(Number(request.cancel_request.watch_id)));
      if (watch?.announced) this.cancel(watch);
      else if (watch) watch.cancelPending = true;
    } else if (request.progress_request) {
      // Every batch is passed on as it arrives, so each watch has seen everything up to its
      // broadcast's revision: the stream has seen everything up to the smallest of them.
      const latest = this.broadcasts.metrics.latestHeader;
      let revision = Number(latest.revision);
      for (const watch of this.watches.values()) if (watch.broadcast) revision = Math.min(revision, watch.broadcast.revision);
      this.send({ header: { ...latest, revision: String(revision) }, watch_id: streamWatchId });
    }
  }

  /** False (and the stream ended) when the client has let too much pile up unread. */
  private writable(): boolean {
    if (this.closed || this.call.cancelled) return false;
    if (((this.call as { writableLength?: number }).writableLength ?? 0) <= clientPendingBytesMax) return true;
    this.close();
    this.call.end();
    return false;
  }

  private send(response: Partial<pb.WatchResponse> & { watch_id: string }): void {
    if (!this.writable()) return;
    this.call.write({
      header: response.header ?? this.broadcasts.metrics.latestHeader, watch_id: response.watch_id, created: response.created ?? false,
      canceled: response.canceled ?? false, compact_revision: response.compact_revision ?? '0',
      cancel_reason: response.cancel_reason ?? '', fragment: false, events: response.events ?? [],
    });
  }

  private sendEncoded(response: Buffer): void {
    if (this.writable()) (this.call as unknown as { write(bytes: Buffer): boolean }).write(response);
  }

  private refuse(reason: string): void {
    this.send({ watch_id: streamWatchId, created: true, canceled: true, cancel_reason: reason });
  }

  /** The previous create has its answer: the next one goes. */
  private next(): void {
    this.creating = false;
    const request = this.creates.shift();
    if (request) this.create(request);
  }

  private create(request: pb.WatchCreateRequest): void {
    this.creating = true;
    const requestedId = Number(request.watch_id ?? 0);
    const id = String(requestedId > 0 ? requestedId : this.nextId);
    if (this.watches.has(id) || this.watches.size >= watchesPerStreamMax) {
      this.refuse(this.watches.has(id) ? 'mvcc: duplicate watch ID provided on the WatchStream' : 'etcdserver: too many watches on this stream');
      this.next();
      return;
    }
    while (this.watches.has(String(this.nextId)) || String(this.nextId) === id) this.nextId++;
    if (this.closed) return;
    const state: WatchState = { id, broadcast: null, announced: false, cancelPending: false };
    const watch: ClientWatch = Object.assign(state, { member: this.memberFor(state) });
    this.watches.set(id, watch);
    watch.broadcast = this.broadcasts.join(this.keyOf(request), watch.member, this.token);
    if (watch.broadcast === null) {
      this.watches.delete(id);
      this.refuse('etcdserver: proxy: too many watches upstream');
      this.next();
    }
  }

  /** The upstream range and options of a create (an empty key is "\0", as a member reads it). */
  private keyOf(request: pb.WatchCreateRequest): BroadcastKey {
    const rawEnd = request.range_end && request.range_end.length > 0 ? Buffer.from(request.range_end) : undefined;
    const namespace = this.broadcasts.namespace;
    const range = namespace
      ? namespace.range(request.key ?? Buffer.alloc(0), rawEnd)
      : { key: request.key && request.key.length > 0 ? Buffer.from(request.key) : Buffer.from([0]), rangeEnd: rawEnd };
    return {
      key: range.key, rangeEnd: range.rangeEnd, prevKv: request.prev_kv ?? false, ...filtersOf(request),
      progressNotify: request.progress_notify ?? false, startRevision: Math.max(0, Number(request.start_revision ?? 0)),
    };
  }

  private memberFor(watch: WatchState): BroadcastMember {
    const id = watch.id;
    return {
      created: (header) => {
        watch.announced = true;
        this.send({ header, watch_id: id, created: true });
        const pending = this.watches.get(id);
        if (watch.cancelPending && pending) this.cancel(pending);
        this.next();
      },
      deliver: (header, events, encoded) => {
        if (this.preEncoded) this.sendEncoded(encodedWatchResponse(encoded(), Number(id)));
        else this.send({ header, watch_id: id, events });
      },
      ended: (reason) => {
        this.watches.delete(id);
        if (watch.announced) {
          this.send({ watch_id: id, canceled: true, compact_revision: String(reason.compactRevision), cancel_reason: reason.message });
          return;
        }
        this.refuse(reason.message);
        this.next();
      },
    };
  }

  private cancel(watch: ClientWatch): void {
    this.watches.delete(watch.id);
    if (watch.broadcast) this.broadcasts.leave(watch.broadcast, watch.member);
    this.send({ watch_id: watch.id, canceled: true });
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const watch of this.watches.values()) if (watch.broadcast) this.broadcasts.leave(watch.broadcast, watch.member);
    this.watches.clear();
  }
}
