// Watch sessions: etcd watches started for the console, their event counts and state, and the
// delivery of their events to the EventHub. Events that arrive before anyone subscribes are held
// (bounded) so the first subscriber sees the watch from its start.
import { randomUUID } from 'node:crypto';
import type { EtcdClient } from '../client/etcdClient.js';
import type { WatchBatch, Watcher } from '../client/watcher.js';
import type { WatchError } from '../client/etcdError.js';
import type { AdminEvent, WatchEvent, WatchInfo, WatchRequest } from './api.js';
import type { EventHub } from './eventHub.js';
import { AdminFailure } from './result.js';

/** Most watches the console keeps at once (stopped ones included, until removed by the limit). */
export const watchSessionsMax = 64;
/** Most events held for a watch nobody has subscribed to yet. */
export const heldEventsMax = 1_000;

interface Session {
  info: WatchInfo;
  watcher: Watcher | null;
  held: AdminEvent[];
}

function toEvent(event: WatchBatch['events'][number]): WatchEvent {
  return {
    type: event.type,
    key: event.kv.keyString,
    value: event.kv.value.toString('base64'),
    modRevision: event.kv.modRevision,
    createRevision: event.kv.createRevision,
    version: event.kv.version,
    lease: event.kv.lease,
    prevValue: event.prevKv ? event.prevKv.value.toString('base64') : null,
  };
}

export class WatchSessions {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly hub: EventHub) {}

  list(): WatchInfo[] {
    return [...this.sessions.values()].map((session) => ({ ...session.info }));
  }

  async start(client: EtcdClient, request: WatchRequest): Promise<WatchInfo> {
    this.evictStopped();
    if (this.sessions.size >= watchSessionsMax) {
      throw new AdminFailure('resource_exhausted', `At most ${watchSessionsMax} watches at once; stop one first.`);
    }
    const watchId = randomUUID();
    const session: Session = {
      info: {
        watchId,
        connectionId: request.connectionId,
        key: request.key,
        prefix: request.prefix,
        prevKv: request.prevKv,
        startRevision: request.startRevision ?? null,
        eventCount: 0,
        state: 'active',
        error: null,
      },
      watcher: null,
      held: [],
    };
    this.sessions.set(watchId, session);
    try {
      session.watcher = await client.watch.watch(request.key, {
        prefix: request.prefix,
        prevKv: request.prevKv,
        ...(request.startRevision === undefined ? {} : { startRevision: request.startRevision }),
        onBatch: (batch) => this.onBatch(session, batch),
        onEnd: (error) => this.onEnd(session, error),
      });
    } catch (error) {
      this.sessions.delete(watchId);
      throw error;
    }
    return { ...session.info };
  }

  stop(watchId: string): void {
    const session = this.sessions.get(watchId);
    if (!session) throw new AdminFailure('not_found', 'That watch no longer exists.');
    session.info.state = session.info.state === 'failed' ? 'failed' : 'stopped';
    session.watcher?.cancel();
    session.watcher = null;
  }

  /** Hands the events held for `watchId` to its first subscriber. */
  flushHeld(watchId: string): void {
    const session = this.sessions.get(watchId);
    if (!session) return;
    for (const event of session.held.splice(0)) this.hub.publish(event);
  }

  close(): void {
    for (const session of this.sessions.values()) session.watcher?.cancel();
    this.sessions.clear();
  }

  private deliver(session: Session, event: AdminEvent): void {
    if (this.hub.hasSubscribers({ kind: 'watch', watchId: session.info.watchId })) {
      this.hub.publish(event);
      return;
    }
    session.held.push(event);
    if (session.held.length > heldEventsMax) session.held.shift();
  }

  private onBatch(session: Session, batch: WatchBatch): void {
    if (batch.progressNotify || batch.events.length === 0) return;
    session.info.eventCount += batch.events.length;
    this.deliver(session, { kind: 'watch', watchId: session.info.watchId, events: batch.events.map(toEvent), compactRevision: null });
  }

  private onEnd(session: Session, error: WatchError | undefined): void {
    if (!error) return;
    session.info.state = 'failed';
    session.info.error = error.message;
    session.watcher = null;
    this.deliver(session, { kind: 'watchEnded', watchId: session.info.watchId, reason: error.message });
  }

  /** Forgets the oldest stopped watches when the table is full. */
  private evictStopped(): void {
    for (const [watchId, session] of this.sessions) {
      if (this.sessions.size < watchSessionsMax) return;
      if (session.info.state !== 'active') this.sessions.delete(watchId);
    }
  }
}
