// One watch as the caller sees it: its options, the revision to resume from, and the batches of
// events delivered through an async iterator (or a callback). The shared gRPC stream that feeds
// it, creation and reconnects, are in watchClient.ts.
import type { Event as WireEvent, WatchCreateRequest } from '../api/proto/messages.js';
import { assert } from '../raft/assert.js';
import { AsyncQueue } from './asyncQueue.js';
import { toBuffer, toSafeNumber } from './bytes.js';
import type { Bytes } from './bytes.js';
import { WatchError } from './etcdError.js';
import type { ResponseHeader } from './header.js';
import { KeyValue, keyValueOrNull } from './keyValue.js';
import { selectorRangeEnd } from './kvRequests.js';
import type { RangeSelector } from './kvRequests.js';

/** Default number of undelivered batches a watcher buffers before it fails with `overflow`. */
export const watchBatchesBufferedMax = 10_000;

export interface WatchOptions extends RangeSelector {
  /** First revision to deliver (inclusive); absent means changes after the watch is created. */
  readonly startRevision?: number;
  /** Deliver the previous pair with each event. */
  readonly prevKv?: boolean;
  /** Leave out put and/or delete events. */
  readonly filters?: readonly ('noPut' | 'noDelete')[];
  /** Ask the server for periodic empty batches (progress notifications) while nothing changes. */
  readonly progressNotify?: boolean;
  /** Receive batches through this callback instead of the async iterator. */
  readonly onBatch?: (batch: WatchBatch) => void;
  /** Receive the end of the watch (undefined after cancel) with the callback API. */
  readonly onEnd?: (error: WatchError | undefined) => void;
  /** Undelivered batches buffered before the watcher fails; default watchBatchesBufferedMax. */
  readonly batchesBufferedMax?: number;
}

export interface WatchEvent {
  readonly type: 'put' | 'delete';
  /** The pair after the event; a delete carries the key and its deletion revision. */
  readonly kv: KeyValue;
  /** The pair before the event, when the watch asked for prevKv and one existed. */
  readonly prevKv: KeyValue | null;
}

/** Events of one or more revisions, or a progress notification (no events). */
export interface WatchBatch {
  readonly header: ResponseHeader;
  readonly events: WatchEvent[];
  /** True for a progress notification: every event up to header.revision has been delivered. */
  readonly progressNotify: boolean;
}

function toEvent(wire: WireEvent): WatchEvent {
  assert(wire.kv !== null, 'a watch event carries a key-value');
  return { type: wire.type === 'PUT' ? 'put' : 'delete', kv: new KeyValue(wire.kv), prevKv: keyValueOrNull(wire.prev_kv) };
}

/**
 * A live watch. Iterate it with `for await` (ends after cancel(), throws WatchError when the
 * server ends it), or pass onBatch/onEnd. The watch survives reconnects: it is re-created from
 * `nextRevision`, so no event is lost or repeated.
 */
export class Watcher implements AsyncIterable<WatchBatch> {
  readonly key: Buffer;
  /** The id the server gave this watch on the current stream; undefined while (re)creating. */
  id: string | undefined;
  /** The first revision not yet delivered; 0 until the watch is created without startRevision. */
  nextRevision: number;
  /** True once cancel() was called. */
  canceled = false;
  /** True once a refusal of this watch was retried with a fresh token. */
  tokenRetried = false;
  private readonly queue: AsyncQueue<WatchBatch>;
  private createdOnce = false;
  private readonly createdWaiters: { resolve: () => void; reject: (error: Error) => void }[] = [];

  constructor(
    key: Bytes,
    readonly options: WatchOptions,
    private readonly cancelHook: (watcher: Watcher) => void,
  ) {
    this.key = toBuffer(key);
    this.nextRevision = options.startRevision ?? 0;
    const limit = options.batchesBufferedMax ?? watchBatchesBufferedMax;
    this.queue = new AsyncQueue<WatchBatch>(limit, 'fail', () => {
      // The queue fails itself with the returned error; only the server side is stopped here.
      this.canceled = true;
      this.cancelHook(this);
      return new WatchError('overflow', `watch consumer fell more than ${limit} batches behind`);
    });
  }

  /** The create request that (re)starts this watch at nextRevision. */
  createRequest(): WatchCreateRequest {
    const request: WatchCreateRequest = { key: this.key, start_revision: this.nextRevision };
    const rangeEnd = selectorRangeEnd(this.key, this.options);
    if (rangeEnd !== undefined) request.range_end = rangeEnd;
    if (this.options.prevKv) request.prev_kv = true;
    if (this.options.progressNotify) request.progress_notify = true;
    if (this.options.filters) {
      request.filters = this.options.filters.map((filter) => (filter === 'noPut' ? 'NOPUT' : 'NODELETE'));
    }
    return request;
  }

  /** Resolves once the server has created the watch the first time; rejects if it refused. */
  created(): Promise<void> {
    if (this.createdOnce) return Promise.resolve();
    return new Promise((resolve, reject) => this.createdWaiters.push({ resolve, reject }));
  }

  /** Stops the watch; the iterator ends after the batches already delivered. */
  cancel(): void {
    if (this.canceled) return;
    this.canceled = true;
    this.cancelHook(this);
    this.finish(undefined);
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchBatch, undefined> {
    return this.queue[Symbol.asyncIterator]();
  }

  /** Stream side: the server created the watch with `id` at `header`. */
  markCreated(id: string, header: ResponseHeader): void {
    this.id = id;
    if (this.nextRevision === 0) this.nextRevision = header.revision + 1;
    if (this.createdOnce) return;
    this.createdOnce = true;
    for (const waiter of this.createdWaiters.splice(0)) waiter.resolve();
  }

  /** Stream side: delivers events or a progress notification. */
  deliver(header: ResponseHeader, wireEvents: readonly WireEvent[]): void {
    if (this.canceled) return;
    const events = wireEvents.map(toEvent);
    const last = wireEvents[wireEvents.length - 1];
    if (last?.kv) this.nextRevision = toSafeNumber(last.kv.mod_revision) + 1;
    else if (events.length === 0) this.nextRevision = Math.max(this.nextRevision, header.revision + 1);
    const batch: WatchBatch = { header, events, progressNotify: events.length === 0 };
    if (this.options.onBatch) this.options.onBatch(batch);
    else this.queue.push(batch);
  }

  /** Stream side: the server or the client ended the watch. */
  finish(error: WatchError | undefined): void {
    for (const waiter of this.createdWaiters.splice(0)) {
      waiter.reject(error ?? new WatchError('canceled', 'watch canceled before it was created'));
    }
    if (this.queue.closed) return;
    this.canceled = true;
    if (error) this.queue.fail(error);
    else this.queue.end();
    this.options.onEnd?.(error);
  }
}
