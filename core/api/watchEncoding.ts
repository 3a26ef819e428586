// Encodes WatchResponses for gRPC with each event's bytes made once, however many watchers it
// reaches: with 1,000 watchers on a prefix, proto-loader's reflection encoder (fromObject then
// encode) of every event for every watcher was a third of a member's busy time.
//
// The watch service attaches the store's events to a response under `storeEvents`; the Watch
// method's serializer encodes the rest of the response (by hand, kvResponseCodec.ts: its header
// bytes made once per revision) and appends each event's cached field bytes. `events` (11) is
// the last field of WatchResponse, so the message reads as the plain serializer's would. The
// JSON gateway reads the response's ordinary fields and never sees the cache.
import type { ServiceDefinition } from '@grpc/proto-loader';
import type { Event } from '../mvcc/types.js';
import { eventToWire } from './convert.js';
import type * as pb from './proto/messages.js';
import { encodeEventField, encodeWatchResponseHead } from './kvResponseCodec.js';

/** Where a WatchResponse carries the store events its `events` field was made from. */
export const storeEvents: unique symbol = Symbol('storeEvents');

export type WatchResponseWithEvents = pb.WatchResponse & { [storeEvents]?: readonly Event[] };

type Serialize = (message: object) => Buffer;

/**
 * An event's encoded `events` field (tag, length, Event). The store hands every watcher the
 * same event object, or, for watchers without prev_kv, a copy without prevKv that shares the kv
 * object: those are cached by their kv.
 */
class EventBytesCache {
  private readonly withPrevKv = new WeakMap<Event, Buffer>();
  private readonly withoutPrevKv = new WeakMap<object, Buffer>();

  constructor(private readonly serialize: Serialize) {}

  bytes(event: Event): Buffer {
    const plain = event.prevKv === undefined;
    const cached = plain ? this.withoutPrevKv.get(event.kv) : this.withPrevKv.get(event);
    if (cached !== undefined) return cached;
    const bytes = encodeEventField(event) ?? this.serialize({ events: [eventToWire(event)] });
    if (plain) this.withoutPrevKv.set(event.kv, bytes);
    else this.withPrevKv.set(event, bytes);
    return bytes;
  }
}

/** A WatchResponse serializer that reuses each event's bytes (see the header). */
export function watchResponseSerializer(serialize: Serialize): Serialize {
  const cache = new EventBytesCache(serialize);
  return (message: object): Buffer => {
    const response = message as WatchResponseWithEvents;
    const events = response[storeEvents];
    if (events === undefined || events.length === 0) return serialize(message);
    let eventBytes = 0;
    for (const event of events) eventBytes += cache.bytes(event).length;
    // The fields before `events`, named one by one (reading `events` would make the wire events),
    // with room after them for the events' cached bytes.
    const bytes = encodeWatchResponseHead(response, eventBytes);
    if (bytes === null) {
      const head = serialize({
        header: response.header, watch_id: response.watch_id, created: response.created, canceled: response.canceled,
        compact_revision: response.compact_revision, cancel_reason: response.cancel_reason, fragment: response.fragment, events: [],
      });
      return Buffer.concat([head, ...events.map((event) => cache.bytes(event))]);
    }
    let at = bytes.length - eventBytes;
    for (const event of events) at += cache.bytes(event).copy(bytes, at);
    return bytes;
  };
}

/** `definition` (the Watch service) with Watch's response serializer reusing event bytes. */
export function withWatchEncoding(definition: ServiceDefinition): ServiceDefinition {
  const watch = definition['Watch'];
  if (watch === undefined) return definition;
  return { ...definition, Watch: { ...watch, responseSerialize: watchResponseSerializer(watch.responseSerialize) } };
}
