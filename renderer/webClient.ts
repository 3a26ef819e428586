// The AdminApi over the web host: one JSON POST per method and one WebSocket for events. The
// access token is the first segment of the page's path, so it stays in memory and in the URL the
// host printed, never in storage. Same interface as the Electron preload's `window.rafter`.
import type { AdminApi, AdminEvent, EventListener, EventTopic, Result } from './contract';

/** Most subscribe/unsubscribe replies awaited at once. */
const pendingRepliesMax = 256;

type SocketReply = { type: 'reply'; requestId: number; result: Result<unknown> };
type SocketEvent = { type: 'event'; subscriptionId: string; event: AdminEvent };

function networkFailure(message: string): Result<never> {
  return { ok: false, error: { code: 'connection_failed', message } };
}

/** The base URL of the web host for a page at `location` (`http://host:port/<token>/`). */
export function webHostBase(location: { origin: string; pathname: string }): string {
  const token = location.pathname.split('/')[1] ?? '';
  return `${location.origin}/${token}/`;
}

/** Creates the web-host implementation of the AdminApi. */
export function createWebClient(baseUrl: string): AdminApi {
  const listeners = new Map<string, EventListener>();
  const pending = new Map<number, (result: Result<unknown>) => void>();
  let nextRequestId = 1;
  let socket: WebSocket | null = null;
  let socketReady: Promise<WebSocket> | null = null;

  function openSocket(): Promise<WebSocket> {
    if (socketReady) return socketReady;
    socketReady = new Promise<WebSocket>((resolve, reject) => {
      const url = new URL('events', baseUrl);
      url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
      const opened = new WebSocket(url);
      opened.addEventListener('open', () => {
        socket = opened;
        resolve(opened);
      });
      opened.addEventListener('message', (message: MessageEvent<string>) => {
        const data = JSON.parse(message.data) as SocketReply | SocketEvent;
        if (data.type === 'reply') {
          pending.get(data.requestId)?.(data.result);
          pending.delete(data.requestId);
        } else {
          listeners.get(data.subscriptionId)?.(data.event);
        }
      });
      opened.addEventListener('close', () => {
        socket = null;
        socketReady = null;
        for (const settle of pending.values()) settle(networkFailure('The event connection to the console host closed.'));
        pending.clear();
        listeners.clear();
        reject(new Error('closed'));
      });
    });
    socketReady.catch(() => undefined);
    return socketReady;
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
    const result = (await request({ type: 'subscribe', topic })) as Result<{ subscriptionId: string }>;
    if (result.ok) listeners.set(result.value.subscriptionId, listener);
    return result;
  };
  const unsubscribe = async (subscriptionId: string): Promise<Result<null>> => {
    listeners.delete(subscriptionId);
    if (!socket) return { ok: true, value: null };
    return (await request({ type: 'unsubscribe', subscriptionId })) as Result<null>;
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
