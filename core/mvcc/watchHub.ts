// Watches over a store: by key or range, from a past revision (replayed from the revisions
// table) or from now, with prevKv, NOPUT/NODELETE filters, progress notifications and cancel.
// Each watcher receives the events of its range in revision order with no gap and no duplicate:
// a synced watcher one response per revision, pushed as batches commit; a catching-up watcher
// (from a past revision, or after congestion) one response per chunk read, stamped with the
// current revision once it reaches it, as etcd sends a catch-up. A synced watcher whose
// sink is congested buffers up to `watcherPendingResponsesMax` responses, past which it is moved
// to the unsynced set and later caught up from the store in chunks of `catchUpRevisionsMax`
// revisions, one chunk per event-loop turn shared by every unsynced watcher, so writes never wait
// for watchers. Translating to
// the wire (watch ids per stream, fragmenting) is the API layer's business.
import { assert } from '../raft/assert.js';
import { EmptyWatcherRangeError } from './errors.js';
import { keyRange, rangeContains, toBuffer } from './keyRange.js';
import type { KeyRange } from './keyRange.js';
import type { MvccStore } from './mvccStore.js';
import type { Event, Revision, RevisionEvents } from './types.js';
import { WatcherIndex } from './watcherIndex.js';

/** Responses a congested synced watcher may hold before it is moved to the unsynced set. */
export const watcherPendingResponsesMaxDefault = 1024;
/** Revisions read from the store per catch-up chunk of one unsynced watcher. */
export const catchUpRevisionsMaxDefault = 256;

/** etcd's watch filters: drop PUT or DELETE events. */
export type WatchFilter = 'NOPUT' | 'NODELETE';

/** etcd's WatchCreateRequest, as far as the store is concerned. */
export interface WatchRequest {
  readonly key: Uint8Array;
  readonly rangeEnd?: Uint8Array;
  /** First revision to deliver; 0 or absent means "changes after now". */
  readonly startRevision?: Revision;
  readonly prevKv?: boolean;
  readonly filters?: readonly WatchFilter[];
}

/**
 * etcd's WatchResponse, minus the header. An events response carries the events of exactly one
 * revision (`revision`); a progress notification has no events and the store's current revision;
 * a compacted response has `canceled` and `compactRevision` set.
 */
export interface WatchResponse {
  readonly watchId: number;
  readonly revision: Revision;
  readonly events: readonly Event[];
  readonly canceled?: boolean;
  readonly compactRevision?: Revision;
}

/**
 * Where a watcher's responses go. `send` returns false when the consumer is congested; the hub
 * then holds further responses until `WatchHub.ready(watchId)` is called.
 */
export interface WatchSink {
  send(response: WatchResponse): boolean;
}

/** Limits of a hub; both default to the named defaults above. */
export interface WatchHubOptions {
  readonly watcherPendingResponsesMax?: number;
  readonly catchUpRevisionsMax?: number;
}

interface Watcher {
  readonly id: number;
  readonly range: KeyRange;
  /** Its range, filters and prevKv choice as a string: watchers with the same shape see the same events. */
  readonly shape: string;
  readonly prevKv: boolean;
  readonly noPut: boolean;
  readonly noDelete: boolean;
  readonly sink: WatchSink;
  /** Invariant: every event below this revision was delivered or held in `pending`. */
  nextRevision: Revision;
  pending: WatchResponse[];
  congested: boolean;
  synced: boolean;
}

/** What one catch-up step selected for watchers of one shape and next revision (see `selection`). */
interface Selection {
  readonly events: readonly Event[];
  readonly last: Revision;
}

type Selections = Map<string, Selection>;

/** Delivers store changes to watchers. One hub per store. */
export class WatchHub {
  private readonly watchers = new Map<number, Watcher>();
  private readonly index = new WatcherIndex<Watcher>();
  private readonly unsynced = new Set<Watcher>();
  private readonly pendingMax: number;
  private readonly chunkMax: number;
  private unsubscribe: () => void;
  private nextId = 1;
  private catchUpScheduled = false;
  private idleWaiters: (() => void)[] = [];
  private closed = false;
  /** The watchers one event reaches, gathered before delivery (reused: see deliverOne). */
  private readonly reached: Watcher[] = [];

  constructor(
    private store: MvccStore,
    options: WatchHubOptions = {},
  ) {
    this.pendingMax = options.watcherPendingResponsesMax ?? watcherPendingResponsesMaxDefault;
    this.chunkMax = options.catchUpRevisionsMax ?? catchUpRevisionsMaxDefault;
    assert(this.pendingMax > 0 && this.chunkMax > 0, 'watch hub limits are positive');
    this.unsubscribe = store.onCommit((revisions) => this.onCommit(revisions));
  }

  /** Number of active watchers. */
  get size(): number {
    return this.watchers.size;
  }

  /**
   * Starts a watch and returns its id. A start revision below the compacted revision gets one
   * compacted response (canceled, with `compactRevision`) and no watcher. Throws the key errors
   * of `keyRange`, and EmptyWatcherRangeError for a range end that does not sort after the key
   * (etcd's "mvcc: watcher range is empty").
   */
  watch(request: WatchRequest, sink: WatchSink): number {
    assert(!this.closed, 'watch hub is closed');
    const range = keyRange(request.key, request.rangeEnd);
    if (range.end !== null && Buffer.compare(range.start, range.end) >= 0) throw new EmptyWatcherRangeError();
    const id = this.nextId++;
    const start = request.startRevision ?? 0;
    const compacted = this.store.compactRevision;
    if (start > 0 && start < compacted) {
      sink.send({ watchId: id, revision: this.store.revision, events: [], canceled: true, compactRevision: compacted });
      return id;
    }
    const filters = request.filters ?? [];
    const prevKv = request.prevKv === true;
    const noPut = filters.includes('NOPUT');
    const noDelete = filters.includes('NODELETE');
    const watcher: Watcher = {
      id,
      range,
      shape: `${Number(prevKv)}${Number(noPut)}${Number(noDelete)}${Number(range.single)}${range.start.length}:${range.start.toString('latin1')}${range.end === null ? '' : range.end.toString('latin1')}`,
      prevKv,
      noPut,
      noDelete,
      sink,
      nextRevision: start > 0 ? start : this.store.revision + 1,
      pending: [],
      congested: false,
      synced: true,
    };
    this.watchers.set(id, watcher);
    if (watcher.nextRevision <= this.store.revision) {
      watcher.synced = false;
      this.unsynced.add(watcher);
      this.scheduleCatchUp();
    } else {
      this.index.add(range, watcher);
    }
    return id;
  }

  /** Stops a watch; returns false if it was not active. No response is sent after this. */
  cancel(watchId: number): boolean {
    const watcher = this.watchers.get(watchId);
    if (watcher === undefined) return false;
    this.watchers.delete(watchId);
    if (watcher.synced) this.index.remove(watcher.range, watcher);
    this.unsynced.delete(watcher);
    return true;
  }

  /** The consumer of `watchId` can take responses again: held ones are sent, catch-up resumes. */
  ready(watchId: number): void {
    const watcher = this.watchers.get(watchId);
    if (watcher === undefined) return;
    watcher.congested = false;
    while (watcher.pending.length > 0 && !watcher.congested) {
      watcher.congested = !watcher.sink.send(this.takeHeld(watcher));
    }
    if (!watcher.synced) this.scheduleCatchUp();
  }

  /**
   * The oldest held responses of `watcher` as one: the events of up to a catch-up chunk of
   * revisions, stamped with the last one's revision, as a catch-up response would be. A consumer
   * that fell behind gets what it missed in a few responses rather than one per revision (its
   * stream, congested, would otherwise take one response per watcher each time it drained).
   */
  private takeHeld(watcher: Watcher): WatchResponse {
    const pending = watcher.pending;
    if (pending.length === 1) return pending.pop()!;
    const taken = pending.splice(0, Math.min(pending.length, this.chunkMax));
    const events: Event[] = [];
    for (const response of taken) for (const event of response.events) events.push(event);
    return { watchId: watcher.id, revision: taken[taken.length - 1]!.revision, events };
  }

  /**
   * Sends a progress notification (no events, the current revision) to every synced watcher with
   * nothing held, or only to `watchIds` when given. Returns how many were sent.
   */
  progress(watchIds?: readonly number[]): number {
    const revision = this.store.revision;
    let sent = 0;
    const targets = watchIds === undefined ? [...this.watchers.values()] : watchIds.map((id) => this.watchers.get(id));
    for (const watcher of targets) {
      if (watcher === undefined || !watcher.synced || watcher.congested || watcher.pending.length > 0) continue;
      watcher.congested = !watcher.sink.send({ watchId: watcher.id, revision, events: [] });
      sent += 1;
    }
    return sent;
  }

  /** Resolves once no unsynced watcher can make progress (all synced, or waiting on `ready`). */
  whenIdle(): Promise<void> {
    if (!this.hasCatchUpWork()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Moves every watcher onto `store`, which replaced the hub's store (a member installed a
   * snapshot from its leader). Each watcher then catches up from the new store's history from the
   * revision it had reached — or is told its revision was compacted — as a slow watcher would.
   * Call it synchronously after closing the old store.
   */
  rebind(store: MvccStore): void {
    assert(!this.closed, 'watch hub is closed');
    this.unsubscribe();
    this.store = store;
    this.unsubscribe = store.onCommit((revisions) => this.onCommit(revisions));
    for (const watcher of this.watchers.values()) {
      if (watcher.pending.length > 0) this.desync(watcher);
      else if (watcher.synced) {
        watcher.synced = false;
        this.index.remove(watcher.range, watcher);
        this.unsynced.add(watcher);
      }
    }
    this.scheduleCatchUp();
  }

  /** Detaches from the store and drops every watcher. */
  close(): void {
    this.closed = true;
    this.unsubscribe();
    for (const id of [...this.watchers.keys()]) this.cancel(id);
    this.releaseIdleWaiters();
  }

  private onCommit(revisions: readonly RevisionEvents[]): void {
    for (const { revision, events } of revisions) {
      if (events.length === 1) {
        this.deliverOne(revision, events[0]!);
        continue;
      }
      const touched = new Map<Watcher, Event[]>();
      for (const event of events) {
        this.index.match(toBuffer(event.kv.key), (watcher) => {
          let list = touched.get(watcher);
          if (list === undefined) touched.set(watcher, (list = []));
          list.push(event);
        });
      }
      for (const [watcher, matched] of touched) {
        if (revision < watcher.nextRevision || !this.watchers.has(watcher.id)) continue;
        const selected = this.select(watcher, matched);
        if (selected.length > 0) this.deliver(watcher, { watchId: watcher.id, revision, events: selected });
      }
    }
  }

  /**
   * Delivers a revision of one event (most revisions): every watcher it reaches gets one of two
   * event lists made once, the event or the event without its previous kv, instead of lists of its
   * own. The watchers are gathered first: a delivery may cancel a watcher (the index changes).
   */
  private deliverOne(revision: Revision, event: Event): void {
    // A delivery never commits, so this does not nest; if it ever did, the inner call gets its own list.
    const reached = this.reached.length === 0 ? this.reached : [];
    this.index.match(toBuffer(event.kv.key), (watcher) => reached.push(watcher));
    let withPrevKv: readonly Event[] | null = null;
    let withoutPrevKv: readonly Event[] | null = null;
    try {
      for (const watcher of reached) {
        if (revision < watcher.nextRevision || !this.watchers.has(watcher.id)) continue;
        if (event.type === 'PUT' ? watcher.noPut : watcher.noDelete) continue;
        const events = watcher.prevKv || event.prevKv === undefined ? (withPrevKv ??= [event]) : (withoutPrevKv ??= [{ type: event.type, kv: event.kv }]);
        this.deliver(watcher, { watchId: watcher.id, revision, events });
      }
    } finally {
      reached.length = 0;
    }
  }

  /** Applies filters and the prevKv choice to one revision's events for `watcher`. */
  private select(watcher: Watcher, events: readonly Event[]): Event[] {
    const out: Event[] = [];
    for (const event of events) {
      if (event.type === 'PUT' && watcher.noPut) continue;
      if (event.type === 'DELETE' && watcher.noDelete) continue;
      if (watcher.prevKv || event.prevKv === undefined) out.push(event);
      else out.push({ type: event.type, kv: event.kv });
    }
    return out;
  }

  private deliver(watcher: Watcher, response: WatchResponse): void {
    assert(watcher.synced, 'only synced watchers get pushed events');
    assert(response.revision >= watcher.nextRevision, 'events reach a watcher in revision order');
    watcher.nextRevision = response.revision + 1;
    if (watcher.congested || watcher.pending.length > 0) {
      watcher.pending.push(response);
      if (watcher.pending.length > this.pendingMax) this.desync(watcher);
      return;
    }
    watcher.congested = !watcher.sink.send(response);
  }

  /** Drops held responses and lets catch-up re-read them from the store. */
  private desync(watcher: Watcher): void {
    const first = watcher.pending[0];
    assert(first !== undefined, 'a desynced watcher held responses');
    watcher.nextRevision = first.revision;
    watcher.pending = [];
    watcher.synced = false;
    this.index.remove(watcher.range, watcher);
    this.unsynced.add(watcher);
  }

  private hasCatchUpWork(): boolean {
    for (const watcher of this.unsynced) if (!watcher.congested) return true;
    return false;
  }

  private scheduleCatchUp(): void {
    if (this.catchUpScheduled || this.closed) return;
    this.catchUpScheduled = true;
    setImmediate(() => {
      this.catchUpScheduled = false;
      if (this.closed) return;
      this.catchUpStep();
      if (this.hasCatchUpWork()) this.scheduleCatchUp();
      else this.releaseIdleWaiters();
    });
  }

  private releaseIdleWaiters(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /**
   * One catch-up step: reads one chunk of stored revisions from the lowest revision any ready
   * unsynced watcher needs, and gives each ready watcher the part it has not seen. A watcher that
   * reaches the current revision rejoins the synced index.
   */
  private catchUpStep(): void {
    const compacted = this.store.compactRevision;
    const ready: Watcher[] = [];
    for (const watcher of this.unsynced) {
      if (watcher.congested || !this.watchers.has(watcher.id)) continue;
      if (watcher.nextRevision < compacted) {
        this.cancel(watcher.id);
        watcher.sink.send({ watchId: watcher.id, revision: this.store.revision, events: [], canceled: true, compactRevision: compacted });
        continue;
      }
      ready.push(watcher);
    }
    if (ready.length === 0) return;
    const current = this.store.revision;
    let from = current + 1;
    for (const watcher of ready) from = Math.min(from, watcher.nextRevision);
    const withPrevKv = ready.some((watcher) => watcher.prevKv);
    const chunk = this.store.reader.revisionsBetween(from, current, this.chunkMax, withPrevKv);
    const last = chunk[chunk.length - 1];
    const reachesNow = chunk.length < this.chunkMax || last === undefined || last.revision >= current;
    const selections: Selections = new Map();
    for (const watcher of ready) this.catchUpFrom(watcher, chunk, reachesNow, current, selections);
  }

  /**
   * The events of `chunk` from `watcher`'s next revision on that it takes, and the last revision
   * the chunk covers for it; made once for all the watchers of one step with the same shape and
   * next revision (many watchers on one prefix fall behind together and catch up together).
   */
  private selection(watcher: Watcher, chunk: readonly RevisionEvents[], selections: Selections): Selection {
    const key = `${watcher.nextRevision} ${watcher.shape}`;
    const known = selections.get(key);
    if (known !== undefined) return known;
    const events: Event[] = [];
    let last = watcher.nextRevision - 1;
    for (const { revision, events: all } of chunk) {
      if (revision < watcher.nextRevision) continue;
      for (const event of this.select(watcher, all.filter((candidate) => rangeContains(watcher.range, candidate.kv.key)))) events.push(event);
      last = revision;
    }
    const made = { events, last };
    selections.set(key, made);
    return made;
  }

  /**
   * Sends `watcher` the events of `chunk` it has not seen in one response, as etcd sends a
   * catch-up: stamped with the current revision when the chunk reaches it (else with the chunk's
   * last revision). Syncs the watcher when the chunk reaches now.
   */
  private catchUpFrom(watcher: Watcher, chunk: readonly RevisionEvents[], reachesNow: boolean, current: Revision, selections: Selections): void {
    if (!this.watchers.has(watcher.id)) return;
    const { events: selected, last } = this.selection(watcher, chunk, selections);
    watcher.nextRevision = last + 1;
    if (selected.length > 0) {
      watcher.congested = !watcher.sink.send({ watchId: watcher.id, revision: reachesNow ? current : last, events: selected });
      if (watcher.congested) return;
    }
    if (reachesNow && this.watchers.has(watcher.id)) {
      watcher.nextRevision = current + 1;
      watcher.synced = true;
      this.unsynced.delete(watcher);
      this.index.add(watcher.range, watcher);
    }
  }
}
