// The AdminApi over the web host: one JSON POST per method and one WebSocket for events. The
// access token is the first segment of the page's path, so it stays in memory and in the URL the
// host printed, never in storage. Same interface as the Electron preload's `window.rafter`.
// When the event socket drops (the host restarted, the machine slept), it is opened again with
// growing pauses, and every live subscription is made again on the new socket; subscription ids
// handed to callers stay the same throughout.
import type { AdminApi, AdminError, AdminEvent, EventListener, EventTopic, Result } from './contract';

/** Most subscribe/unsubscribe replies awaited at once. */
const pendingRepliesMax = 256;
/** First pause before reopening a dropped event socket, and the longest pause. */
export const reconnectDelayFirstMs = 250;
export const reconnectDelayMaxMs = 10_000;

type SocketReply = { type: 'reply'; requestId: number; result: Result<unknown> };
type SocketEvent = { type: 'event'; subscriptionId: string; event: AdminEvent };

/** Whether the page's event socket is up: `down` while it is being reopened after a drop. */
export type HostLink = 'up' | 'down';

export interface WebClientOptions {
  /** Told when the event socket drops and when it is back. */
  onLinkChange?: (link: HostLink) => void;
  /** Pause before reopening attempt `attempt` (0 first); default `reconnectDelayMs`. */
  reconnectDelayMs?: (attempt: number) => number;
}

/** Doubling pauses from reconnectDelayFirstMs, capped at reconnectDelayMaxMs. */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(reconnectDelayMaxMs, reconnectDelayFirstMs * 2 ** Math.min(attempt, 16));
}

function networkFailure(message: string): Result<never> {
  return { ok: false, error: { code: 'connection_failed', message } };
}

/** The base URL of the web host for a page at `location` (`http://host:port/<token>/`). */
export function webHostBase(location: { origin: string; pathname: string }): string {
  const token = location.pathname.split('/')[1] ?? '';
  return `${location.origin}/${token}/`;
}

interface Subscription {
  topic: EventTopic;
  listener: EventListener;
  /** The host's id for it on the current socket; null until (re)subscribed. */
  hostId: string | null;
}

/** Tells a watch's listener that its watch is gone, when it cannot be subscribed again. */
function endedEvent(topic: EventTopic, error: AdminError): AdminEvent | null {
  return topic.kind === 'watch' ? { kind: 'watchEnded', watchId: topic.watchId, reason: error.message } : null;
}

/** Creates the web-host implementation of the AdminApi. */
export function createWebClient(baseUrl: string, options: WebClientOptions = {}): AdminApi {
  const delayFor = options.reconnectDelayMs ?? reconnectDelayMs;
  const subscriptions = new Map<string, Subscription>();
  const byHostId = new Map<string, string>();
  const pending = new Map<number, (result: Result<unknown>) => void>();
  let nextRequestId = 1;
  let nextSubscriptionId = 1;
  let socket: WebSocket | null = null;
  let socketReady: Promise<WebSocket> | null = null;
  let reconnectAttempt = 0;
  let reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  let link: HostLink = 'up';

  function setLink(next: HostLink): void {
    if (link === next) return;
    link = next;
    options.onLinkChange?.(next);
  }

  function onMessage(message: MessageEvent<string>): void {
    const data = JSON.parse(message.data) as SocketReply | SocketEvent;
    if (data.type === 'reply') {
      pending.get(data.requestId)?.(data.result);
      pending.delete(data.requestId);
      return;
    }
    const clientId = byHostId.get(data.subscriptionId);
    if (clientId !== undefined) subscriptions.get(clientId)?.listener(data.event);
  }

  function onClose(): void {
    socket = null;
    socketReady = null;
    for (const settle of pending.values()) settle(networkFailure('The event connection to the console host closed.'));
    pending.clear();
    byHostId.clear();
    for (const subscription of subscriptions.values()) subscription.hostId = null;
    if (subscriptions.size > 0) scheduleReconnect();
  }

  function openSocket(): Promise<WebSocket> {
    if (socketReady) return socketReady;
    socketReady = new Promise<WebSocket>((resolve, reject) => {
      const url = new URL('events', baseUrl);
      url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
      const opened = new WebSocket(url);
      let isOpen = false;
      opened.addEventListener('open', () => {
        isOpen = true;
        socket = opened;
        reconnectAttempt = 0;
        setLink('up');
        resolve(opened);
      });
      opened.addEventListener('message', onMessage);
      opened.addEventListener('close', () => {
        if (!isOpen) reject(new Error('closed'));
        onClose();
      });
    });
    socketReady.catch(() => undefined);
    return socketReady;
  }

  function scheduleReconnect(): void {
    if (reconnectTimer !== null) return;
    setLink('down');
    const pause = delayFor(reconnectAttempt++);
    reconnectTimer = setTimeout(() => {
      reconnectTimer = null;
      void resubscribeAll();
    }, pause);
  }

  /** Opens a new socket and makes every live subscription again on it. */
  async function resubscribeAll(): Promise<void> {
    try {
      await openSocket();
    } catch {
      return; // onClose scheduled the next attempt.
    }
    for (const [clientId, subscription] of subscriptions) {
      if (subscription.hostId !== null) continue;
      const result = await hostSubscribe(clientId, subscription);
      if (result.ok || result.error.code === 'connection_failed') continue;
      // The host no longer knows the topic (a watch of a host that restarted): end it plainly.
      subscriptions.delete(clientId);
      const ended = endedEvent(subscription.topic, result.error);
      if (ended) subscription.listener(ended);
    }
  }

  async function request(message: Record<string, unknown>): Promise<Result<unknown>> {
    if (pending.size >= pendingRepliesMax) {
      return { ok: false, error: { code: 'resource_exhausted', message: 'Too many event requests in flight.' } };
    }
    let open: WebSocket;
    try {
      open = await openSocket();
    } catch {
      return networkFailure('Cannot open the event connection to the console host.');
    }
    const requestId = nextRequestId++;
    return new Promise((resolve) => {
      pending.set(requestId, resolve);
      open.send(JSON.stringify({ ...message, requestId }));
    });
  }

  async function hostSubscribe(clientId: string, subscription: Subscription): Promise<Result<{ subscriptionId: string }>> {
    const result = (await request({ type: 'subscribe', topic: subscription.topic })) as Result<{ subscriptionId: string }>;
    if (!result.ok) return result;
    if (subscriptions.get(clientId) !== subscription) {
      // Unsubscribed while the host was answering: let the host forget it too.
      void request({ type: 'unsubscribe', subscriptionId: result.value.subscriptionId });
      return result;
    }
    subscription.hostId = result.value.subscriptionId;
    byHostId.set(result.value.subscriptionId, clientId);
    return result;
  }

  async function call(method: string, body: unknown): Promise<Result<unknown>> {
    let response: Response;
    try {
      response = await fetch(new URL(`api/${method}`, baseUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    } catch {
      return networkFailure('The console host does not answer. Is it still running?');
    }
    try {
      return (await response.json()) as Result<unknown>;
    } catch {
      return networkFailure(`The console host answered ${response.status} without a result.`);
    }
  }

  const subscribe = async (topic: EventTopic, listener: EventListener): Promise<Result<{ subscriptionId: string }>> => {
    const clientId = `w${nextSubscriptionId++}`;
    const subscription: Subscription = { topic, listener, hostId: null };
    subscriptions.set(clientId, subscription);
    const result = await hostSubscribe(clientId, subscription);
    if (!result.ok) {
      subscriptions.delete(clientId);
      return result;
    }
    return { ok: true, value: { subscriptionId: clientId } };
  };
  const unsubscribe = async (subscriptionId: string): Promise<Result<null>> => {
    const subscription = subscriptions.get(subscriptionId);
    subscriptions.delete(subscriptionId);
    if (!subscription || subscription.hostId === null) return { ok: true, value: null };
    byHostId.delete(subscription.hostId);
    if (!socket) return { ok: true, value: null };
    return (await request({ type: 'unsubscribe', subscriptionId: subscription.hostId })) as Result<null>;
  };

  // Every other property is a request-response method: POST api/<name>. The host refuses names
  // that are not in the contract, so no list of names has to be kept in step here.
  return new Proxy({ subscribe, unsubscribe }, {
    get(target, property) {
      if (property === 'subscribe') return target.subscribe;
      if (property === 'unsubscribe') return target.unsubscribe;
      if (typeof property !== 'string' || property === 'then') return undefined;
      return (body: unknown) => call(property, body);
    },
  }) as unknown as AdminApi;
}
