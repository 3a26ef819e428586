// Routes AdminEvents to subscribers by topic. Producers (watch sessions, status pollers, snapshot
// transfers) publish; transports (web host, Electron main) subscribe on behalf of their clients.
// A topic can have an activator that starts work on its first subscriber and stops it after its last.
import { assert } from '../raft/assert.js';
import type { AdminEvent, EventListener, EventTopic } from './api.js';

/** Most live subscriptions across all clients; beyond it subscribe fails with resource_exhausted. */
export const subscriptionsMax = 1_000;

/** Starts work for a topic and returns the function that stops it. */
export type TopicActivator = (topic: EventTopic) => () => void;

interface Subscription {
  topicKey: string;
  listener: EventListener;
}

/** The key events and topics share, so an event reaches the subscribers of its topic. */
export function topicKey(topic: EventTopic): string {
  switch (topic.kind) {
    case 'watch':
      return `watch:${topic.watchId}`;
    case 'clusterStatus':
      return `clusterStatus:${topic.connectionId}`;
    case 'memberLog':
      return `memberLog:${topic.clusterId}:${topic.memberName}`;
    case 'localClusters':
      return 'localClusters';
    case 'progress':
      return `progress:${topic.operationId}`;
  }
}

function eventKey(event: AdminEvent): string {
  switch (event.kind) {
    case 'watch':
    case 'watchEnded':
      return `watch:${event.watchId}`;
    case 'clusterStatus':
      return `clusterStatus:${event.connectionId}`;
    case 'memberLog':
      return `memberLog:${event.clusterId}:${event.memberName}`;
    case 'localClusters':
      return 'localClusters';
    case 'progress':
      return `progress:${event.operationId}`;
  }
}

/** Subscriptions by id, grouped by topic key. */
export class EventHub {
  private nextId = 1;
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly byTopic = new Map<string, Set<string>>();
  private readonly stoppers = new Map<string, () => void>();
  private readonly activators = new Map<EventTopic['kind'], TopicActivator>();

  /** Registers the activator for every topic of `kind`. */
  setActivator(kind: EventTopic['kind'], activator: TopicActivator): void {
    this.activators.set(kind, activator);
  }

  get size(): number {
    return this.subscriptions.size;
  }

  /** Adds a subscription; returns its id, or null when the subscription limit is reached. */
  subscribe(topic: EventTopic, listener: EventListener): string | null {
    if (this.subscriptions.size >= subscriptionsMax) return null;
    const id = `s${this.nextId++}`;
    const key = topicKey(topic);
    this.subscriptions.set(id, { topicKey: key, listener });
    let ids = this.byTopic.get(key);
    if (!ids) {
      ids = new Set();
      this.byTopic.set(key, ids);
    }
    ids.add(id);
    if (ids.size === 1) {
      const activator = this.activators.get(topic.kind);
      if (activator) this.stoppers.set(key, activator(topic));
    }
    return id;
  }

  /** Removes a subscription; false when it did not exist. */
  unsubscribe(id: string): boolean {
    const subscription = this.subscriptions.get(id);
    if (!subscription) return false;
    this.subscriptions.delete(id);
    const ids = this.byTopic.get(subscription.topicKey);
    assert(ids !== undefined, 'a subscription belongs to a topic set');
    ids.delete(id);
    if (ids.size === 0) {
      this.byTopic.delete(subscription.topicKey);
      const stop = this.stoppers.get(subscription.topicKey);
      this.stoppers.delete(subscription.topicKey);
      stop?.();
    }
    return true;
  }

  /** True when someone listens to `topic`. */
  hasSubscribers(topic: EventTopic): boolean {
    return this.byTopic.has(topicKey(topic));
  }

  /** Delivers `event` to every subscriber of its topic. A throwing listener does not stop others. */
  publish(event: AdminEvent): void {
    const ids = this.byTopic.get(eventKey(event));
    if (!ids) return;
    for (const id of [...ids]) {
      const subscription = this.subscriptions.get(id);
      if (!subscription) continue;
      try {
        subscription.listener(event);
      } catch (error) {
        console.error('event listener failed', error);
      }
    }
  }

  /** Drops every subscription and stops every activated topic. */
  close(): void {
    for (const id of [...this.subscriptions.keys()]) this.unsubscribe(id);
  }
}
