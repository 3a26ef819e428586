// etcd's Watch service: one bidirectional stream carrying many watches. Create, cancel and
// progress requests come in; created/canceled notices, event batches, compaction notices and
// progress notifications go out, each stamped with a header at the revision it covers.
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { EtcdBackend, WatchRegistration } from './backend.js';
import { eventToWire, header, toNumber } from './convert.js';
import { toGrpcFailure } from './grpcStatus.js';
import { callCredentials } from './handlers.js';
import { AuthError } from '../auth/errors.js';
import { StoreError } from '../mvcc/errors.js';
import type * as pb from './proto/messages.js';
import { storeEvents, type WatchResponseWithEvents } from './watchEncoding.js';
import type { Event } from '../mvcc/types.js';

/** Watches one stream may hold; more are refused with a canceled response. */
export const watchesPerStreamMax = 10_000;
/** How often watches created with progress_notify get a notification when idle. */
export const progressNotifyIntervalMs = 10 * 60 * 1000;
/** The watch id etcd uses for stream-wide progress responses. */
const streamProgressWatchId = '-1';
/** The key etcd watches from when a create request names none. */
const smallestKey = Buffer.from([0]);

/**
 * etcd's cancel reason for a watch the caller may not create: the gRPC error's text, as etcd
 * writes rpctypes' errors there (so clients can tell them apart from other cancellations).
 */
function refusedReason(error: unknown): string {
  if (!(error instanceof AuthError)) return toGrpcFailure(error).details;
  switch (error.code) {
    case 'INVALID_AUTH_TOKEN': return 'rpc error: code = Unauthenticated desc = etcdserver: invalid auth token';
    case 'AUTH_OLD_REVISION': return 'rpc error: code = InvalidArgument desc = etcdserver: revision of auth store is old';
    case 'USER_EMPTY': return 'rpc error: code = InvalidArgument desc = etcdserver: user name is empty';
    default: return 'rpc error: code = PermissionDenied desc = etcdserver: permission denied';
  }
}

type WireWatchRequest = {
  request_union?: string;
  create_request?: pb.WatchCreateRequest | null;
  cancel_request?: { watch_id: string | number } | null;
  progress_request?: object | null;
};

/**
 * A response carrying store events. Its wire `events` are made only when read: the JSON gateway
 * reads them, while gRPC encodes the store events themselves, once for every watcher
 * (watchEncoding.ts). With 1,000 watchers on a prefix, making them for every watcher's response
 * was most of the watch path's time.
 */
class EventsResponse implements WatchResponseWithEvents {
  readonly created = false;
  readonly canceled = false;
  readonly compact_revision = '0';
  readonly cancel_reason = '';
  readonly fragment = false;
  readonly [storeEvents]: readonly Event[];

  constructor(
    readonly header: pb.ResponseHeader,
    readonly watch_id: string,
    events: readonly Event[],
  ) {
    this[storeEvents] = events;
  }

  get events(): pb.Event[] {
    return this[storeEvents].map(eventToWire);
  }
}

/**
 * The header at `revision`, made once for every watcher it goes to: the object is shared until
 * the revision or the term moves on (the watch encoder also caches its bytes by the object).
 */
function sharedHeaders(backend: EtcdBackend): (revision: number) => pb.ResponseHeader {
  let last: { readonly revision: number; readonly term: number; readonly header: pb.ResponseHeader } | null = null;
  return (revision) => {
    const info = backend.header();
    if (last === null || last.revision !== revision || last.term !== info.raftTerm) last = { revision, term: info.raftTerm, header: header(info, revision) };
    return last.header;
  };
}

export function watchHandler(backend: EtcdBackend) {
  const headerAt = sharedHeaders(backend);
  return (call: ServerDuplexStream<WireWatchRequest, pb.WatchResponse>): void => {
    const watches = new Map<string, WatchRegistration>();
    /** Watches created with progress_notify, and those that delivered events this interval. */
    const progressWatches = new Set<string>();
    const active = new Set<string>();
    let nextId = 0;
    let closed = false;
    const credentials = callCredentials(call);
    /** Requests are handled one after another: a create may wait for its permission check. */
    let queue: Promise<void> = Promise.resolve();
    /** Any response but one carrying events. */
    const send = (response: Partial<pb.WatchResponse> & { watch_id: string }): boolean => {
      if (closed || call.cancelled) return true;
      return call.write({
        header: response.header ?? header(backend.header()),
        watch_id: response.watch_id,
        created: response.created ?? false,
        canceled: response.canceled ?? false,
        compact_revision: response.compact_revision ?? '0',
        cancel_reason: response.cancel_reason ?? '',
        fragment: false,
        events: response.events ?? [],
      });
    };
    const progressTimer = setInterval(() => {
      for (const id of progressWatches) {
        const registration = watches.get(id);
        if (registration?.synced && !active.has(id)) send({ watch_id: id });
      }
      active.clear();
    }, progressNotifyIntervalMs);
    progressTimer.unref();

    const create = async (q: pb.WatchCreateRequest): Promise<void> => {
      // etcd's watch server reads an empty key as "\x00", the smallest key.
      const key = q.key && q.key.length > 0 ? q.key : smallestKey;
      const rangeEnd = q.range_end && q.range_end.length > 0 ? q.range_end : undefined;
      const options = {
        key, ...(rangeEnd ? { rangeEnd } : {}), startRevision: Math.max(0, toNumber(q.start_revision)),
        prevKv: q.prev_kv ?? false, noPut: (q.filters ?? []).includes('NOPUT'), noDelete: (q.filters ?? []).includes('NODELETE'),
      };
      try {
        await backend.watchPermitted(options, credentials);
      } catch (error) {
        send({ watch_id: '-1', created: true, canceled: true, cancel_reason: refusedReason(error) });
        return;
      }
      if (closed) return;
      const requestedId = toNumber(q.watch_id);
      const id = String(requestedId > 0 ? requestedId : nextId);
      if (watches.has(id) || watches.size >= watchesPerStreamMax) {
        send({ watch_id: '-1', created: true, canceled: true, cancel_reason: watches.has(id) ? 'etcdserver: duplicate watch id' : 'etcdserver: too many watches on this stream' });
        return;
      }
      while (watches.has(String(nextId)) || String(nextId) === id) nextId++;
      const progressNotify = q.progress_notify ?? false;
      // The created notice goes out before anything the watch delivers, and only once the member
      // accepted the watch; a refused one gets a single created-and-canceled notice, as in etcd.
      let announced = false;
      let compactedAway = false;
      const announce = (): void => {
        if (announced) return;
        announced = true;
        send({ watch_id: id, created: true });
      };
      let registration: WatchRegistration;
      try {
        registration = backend.watch(
          options,
          {
            events: (revision, events) => {
              announce();
              active.add(id);
              if (closed || call.cancelled) return true;
              return call.write(new EventsResponse(headerAt(revision), id, events));
            },
            compacted: (compactRevision) => {
              announce();
              compactedAway = true;
              watches.delete(id);
              progressWatches.delete(id);
              // etcd 3.4 stamps this notice with revision 0 and gives no reason: the compact
              // revision says it all.
              send({ header: header(backend.header(), 0), watch_id: id, canceled: true, compact_revision: String(compactRevision) });
            },
            progress: (revision) => {
              announce();
              send({ header: header(backend.header(), revision), watch_id: id });
            },
          },
        );
      } catch (error) {
        // etcd's watch server gives the store's own error text, without the "etcdserver: " of RPC errors.
        send({ watch_id: '-1', created: true, canceled: true, cancel_reason: error instanceof StoreError ? error.message : toGrpcFailure(error).details });
        return;
      }
      announce();
      if (compactedAway) return;
      watches.set(id, registration);
      if (progressNotify) progressWatches.add(id);
    };

    // The stream drained: watches that were held back catch up.
    call.on('drain', () => {
      for (const registration of watches.values()) registration.resume();
    });
    const handle = async (q: WireWatchRequest): Promise<void> => {
      if (closed) return;
      if (q.create_request) await create(q.create_request);
      else if (q.cancel_request) {
        const id = String(toNumber(q.cancel_request.watch_id));
        const registration = watches.get(id);
        if (registration) {
          registration.cancel();
          watches.delete(id);
          progressWatches.delete(id);
          send({ watch_id: id, canceled: true });
        }
      } else if (q.progress_request) {
        if ([...watches.values()].every((w) => w.synced)) send({ watch_id: streamProgressWatchId });
        else for (const registration of watches.values()) registration.requestProgress();
      }
    };
    call.on('data', (q: WireWatchRequest) => {
      queue = queue.then(() => handle(q));
    });
    const close = (): void => {
      if (closed) return;
      closed = true;
      clearInterval(progressTimer);
      for (const registration of watches.values()) registration.cancel();
      watches.clear();
    };
    // A client's half-close ends nothing, as in etcd: its watches keep delivering until it
    // cancels the stream (or the connection goes).
    call.on('error', close);
    call.on('cancelled', close);
    call.on('close', close);
  };
}
