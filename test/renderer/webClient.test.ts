// The web client's event socket across a restart of the host: it reopens with doubling pauses,
// subscribes every live topic again under the same subscription ids, reports the link going down
// and up, and ends a watch the restarted host no longer knows. The socket is scripted here; the
// end-to-end run restarts a real host under a real browser.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AdminEvent } from '../../renderer/contract';
import { createWebClient, reconnectDelayMs } from '../../renderer/webClient';
import type { HostLink } from '../../renderer/webClient';

class ScriptedSocket extends EventTarget {
  static made: ScriptedSocket[] = [];
  readonly sent: Record<string, unknown>[] = [];
  constructor(readonly url: URL) {
    super();
    ScriptedSocket.made.push(this);
  }
  send(text: string): void {
    this.sent.push(JSON.parse(text) as Record<string, unknown>);
  }
  open(): void {
    this.dispatchEvent(new Event('open'));
  }
  drop(): void {
    this.dispatchEvent(new Event('close'));
  }
  deliver(message: unknown): void {
    this.dispatchEvent(new MessageEvent('message', { data: JSON.stringify(message) }));
  }
  /** Answers the last subscribe request. */
  answerSubscribe(result: unknown): void {
    const request = this.sent.filter((message) => message.type === 'subscribe').at(-1)!;
    this.deliver({ type: 'reply', requestId: request.requestId, result });
  }
}

const lastSocket = (): ScriptedSocket => ScriptedSocket.made.at(-1)!;

beforeEach(() => {
  ScriptedSocket.made = [];
  vi.useFakeTimers();
  vi.stubGlobal('WebSocket', ScriptedSocket);
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

/** Lets the client's promise chains run (no time passes). */
async function drain(): Promise<void> {
  for (let round = 0; round < 10; round++) await Promise.resolve();
}

describe('web client reconnection', () => {
  it('waits twice as long after each failed attempt, up to a ceiling', () => {
    expect([0, 1, 2, 3].map(reconnectDelayMs)).toEqual([250, 500, 1_000, 2_000]);
    expect(reconnectDelayMs(40)).toBe(10_000);
  });

  it('reopens the socket after a drop and subscribes again under the same id', async () => {
    const links: HostLink[] = [];
    const client = createWebClient('http://127.0.0.1:9/token/', { onLinkChange: (link) => links.push(link) });
    const events: AdminEvent[] = [];
    const subscribing = client.subscribe({ kind: 'clusterStatus', connectionId: 'c1' }, (event) => events.push(event));
    lastSocket().open();
    await drain();
    lastSocket().answerSubscribe({ ok: true, value: { subscriptionId: 'h1' } });
    const subscribed = await subscribing;
    expect(subscribed.ok && subscribed.value.subscriptionId).toBeTruthy();
    const tick: AdminEvent = { kind: 'clusterStatus', connectionId: 'c1', status: { ok: false, error: { code: 'unavailable', message: 'x' } } };
    lastSocket().deliver({ type: 'event', subscriptionId: 'h1', event: tick });
    expect(events).toHaveLength(1);

    lastSocket().drop();
    expect(links).toEqual(['down']);
    await vi.advanceTimersByTimeAsync(249);
    expect(ScriptedSocket.made).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(ScriptedSocket.made).toHaveLength(2);
    lastSocket().drop(); // the host is still down: the next pause is longer
    await vi.advanceTimersByTimeAsync(499);
    expect(ScriptedSocket.made).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(ScriptedSocket.made).toHaveLength(3);

    lastSocket().open();
    await drain();
    expect(links).toEqual(['down', 'up']);
    expect(lastSocket().sent).toMatchObject([{ type: 'subscribe', topic: { kind: 'clusterStatus', connectionId: 'c1' } }]);
    lastSocket().answerSubscribe({ ok: true, value: { subscriptionId: 'h7' } });
    await drain();
    lastSocket().deliver({ type: 'event', subscriptionId: 'h7', event: tick });
    expect(events).toHaveLength(2);

    const unsubscribing = client.unsubscribe(subscribed.ok ? subscribed.value.subscriptionId : '');
    await drain();
    const request = lastSocket().sent.at(-1)!;
    expect(request).toMatchObject({ type: 'unsubscribe', subscriptionId: 'h7' });
    lastSocket().deliver({ type: 'reply', requestId: request.requestId, result: { ok: true, value: null } });
    expect(await unsubscribing).toEqual({ ok: true, value: null });
  });

  it('ends a watch that the restarted host no longer knows', async () => {
    const client = createWebClient('http://127.0.0.1:9/token/');
    const events: AdminEvent[] = [];
    const subscribing = client.subscribe({ kind: 'watch', watchId: 'w-1' }, (event) => events.push(event));
    lastSocket().open();
    await drain();
    lastSocket().answerSubscribe({ ok: true, value: { subscriptionId: 'h1' } });
    await subscribing;
    lastSocket().drop();
    await vi.advanceTimersByTimeAsync(250);
    lastSocket().open();
    await drain();
    lastSocket().answerSubscribe({ ok: false, error: { code: 'not_found', message: 'No such watch.' } });
    await drain();
    expect(events).toEqual([{ kind: 'watchEnded', watchId: 'w-1', reason: 'No such watch.' }]);
    lastSocket().drop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(ScriptedSocket.made).toHaveLength(2);
  });
});
