import { describe, expect, it } from 'vitest';
import { RequestIdGenerator, Waiters } from '../../core/server/waiters.js';
import { ServerError } from '../../core/server/errors.js';

describe('waiters', () => {
  it('settles a waiter with its result exactly once', async () => {
    const waiters = new Waiters();
    const result = waiters.wait<string>(1n, 60_000);
    expect(waiters.isWaiting(1n)).toBe(true);
    waiters.trigger(1n, 'applied');
    waiters.trigger(1n, 'again');
    await expect(result).resolves.toBe('applied');
    expect(waiters.size).toBe(0);
  });

  it('rejects with etcd request-timed-out when nobody triggers it in time', async () => {
    const waiters = new Waiters();
    await expect(waiters.wait(2n, 1)).rejects.toThrow('etcdserver: request timed out');
    expect(waiters.size).toBe(0);
  });

  it('times each waiter out at its own deadline, whatever the order they came in, and leaves the others waiting', async () => {
    const waiters = new Waiters();
    const settled: string[] = [];
    const track = (name: string, p: Promise<unknown>): Promise<void> =>
      p.then(
        () => void settled.push(`${name} resolved`),
        (error: Error) => void settled.push(`${name} ${error.message}`),
      );
    // Registered after a waiter of 60 s, these time out in milliseconds: the timer moves earlier for them.
    const long = track('long', waiters.wait(10n, 60_000));
    const late = track('late', waiters.wait(11n, 40));
    const early = track('early', waiters.wait(12n, 5));
    const answered = track('answered', waiters.wait(13n, 1));
    waiters.trigger(13n, 'ok');
    await Promise.all([early, late, answered]);
    expect(settled[0]).toBe('answered resolved');
    expect(settled.slice(1).sort()).toEqual(['early etcdserver: request timed out', 'late etcdserver: request timed out']);
    expect(waiters.isWaiting(10n)).toBe(true);
    waiters.trigger(10n, 'ok');
    await long;
    expect(settled.at(-1)).toBe('long resolved');
  });

  it('fails every pending waiter on shutdown', async () => {
    const waiters = new Waiters();
    const all = [waiters.wait(3n, 60_000), waiters.wait(4n, 60_000)];
    waiters.failAll(new ServerError('STOPPED'));
    for (const p of all) await expect(p).rejects.toThrow('etcdserver: server stopped');
  });
});

describe('request ids', () => {
  it('are unique within a member and differ between members', () => {
    const a = new RequestIdGenerator(0x1234n, 1_700_000_000_000);
    const b = new RequestIdGenerator(0x1235n, 1_700_000_000_000);
    const seen = new Set<bigint>();
    for (let i = 0; i < 10_000; i++) {
      seen.add(a.take());
      seen.add(b.take());
    }
    expect(seen.size).toBe(20_000);
    expect(a.take() >> 48n).toBe(0x1234n);
  });
});
