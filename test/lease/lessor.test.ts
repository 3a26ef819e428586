import { afterEach, describe, expect, it } from 'vitest';
import { Lessor, leaseTtlMaxSeconds } from '../../core/lease/lessor.js';
import { LeaseExistsError, LeaseNotFoundError, LeaseNotPrimaryError, LeaseTtlTooLargeError, NoSpaceError } from '../../core/mvcc/errors.js';
import { MvccStore } from '../../core/mvcc/mvccStore.js';
import { WatchHub } from '../../core/mvcc/watchHub.js';
import type { WatchResponse } from '../../core/mvcc/watchHub.js';
import { b, cleanup, keysOf, openStore, tempDir } from '../mvcc/tempStore.js';

afterEach(cleanup);

const names = (keys: readonly Buffer[]): string[] => keys.map((key) => key.toString());

/** A clock the test moves by hand. */
function manualClock(startMs = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let now = startMs;
  return { now: () => now, advance: (ms) => (now += ms) };
}

function setup(dir = tempDir()): { store: MvccStore; lessor: Lessor; clock: ReturnType<typeof manualClock> } {
  const store = openStore({ dir });
  const clock = manualClock();
  const lessor = new Lessor(store, { clock: clock.now });
  return { store, lessor, clock };
}

describe('Lessor', () => {
  it('grants with the caller id, raises a TTL below the minimum and refuses a duplicate id', () => {
    const { store, lessor } = setup();
    expect(store.applyBatch(null, (batch) => lessor.grant(batch, 100n, 2))).toEqual({ id: 100n, ttlSeconds: 5 });
    expect(store.applyBatch(null, (batch) => lessor.grant(batch, 101n, 60))).toEqual({ id: 101n, ttlSeconds: 60 });
    expect(() => store.applyBatch(null, (batch) => lessor.grant(batch, 100n, 60))).toThrow(LeaseExistsError);
    expect(() => store.applyBatch(null, (batch) => lessor.grant(batch, 100n, 60))).toThrow('etcdserver: lease already exists');
    expect(() => store.applyBatch(null, (batch) => lessor.grant(batch, 102n, leaseTtlMaxSeconds + 1))).toThrow(LeaseTtlTooLargeError);
    expect(lessor.list()).toEqual([100n, 101n]);
  });

  it('attaches keys on put, moves them on a lease change and detaches them on delete', () => {
    const { store, lessor } = setup();
    store.applyBatch(null, (batch) => {
      lessor.grant(batch, 1n, 60);
      lessor.grant(batch, 2n, 60);
    });
    store.put({ key: b('a'), value: b('1'), lease: 1n });
    store.put({ key: b('b'), value: b('1'), lease: 1n });
    store.put({ key: b('c'), value: b('1'), lease: 2n });
    store.put({ key: b('b'), value: b('2'), lease: 2n });
    store.put({ key: b('c'), value: b('2'), ignoreLease: true });
    expect(store.range({ key: b('c') }).kvs[0]!.lease).toBe(2n);
    expect(names(lessor.timeToLive(1n, true).keys)).toEqual(['a']);
    expect(names(lessor.timeToLive(2n, true).keys)).toEqual(['b', 'c']);
    store.deleteRange({ key: b('c') });
    expect(names(lessor.timeToLive(2n, true).keys)).toEqual(['b']);
    expect(() => store.put({ key: b('x'), value: b('1'), lease: 3n })).toThrow('etcdserver: requested lease not found');
  });

  it('revokes by deleting every attached key in one revision that watchers see', () => {
    const { store, lessor } = setup();
    const hub = new WatchHub(store);
    const responses: WatchResponse[] = [];
    hub.watch({ key: b('k'), rangeEnd: b('l') }, { send: (response) => responses.push(response) > 0 });
    store.applyBatch(null, (batch) => lessor.grant(batch, 7n, 10));
    store.put({ key: b('k1'), value: b('1'), lease: 7n });
    store.put({ key: b('k2'), value: b('1'), lease: 7n });
    store.put({ key: b('k3'), value: b('1') });
    const revision = store.applyBatch(null, (batch) => lessor.revoke(batch, 7n));
    expect(revision).toBe(5);
    expect(keysOf(store.range({ key: b('k'), rangeEnd: b('l') }).kvs)).toEqual(['k3']);
    const last = responses[responses.length - 1]!;
    expect(last.revision).toBe(5);
    expect(last.events.map((event) => `${event.type}:${Buffer.from(event.kv.key).toString()}`)).toEqual(['DELETE:k1', 'DELETE:k2']);
    expect(() => lessor.timeToLive(7n, false)).toThrow(LeaseNotFoundError);
    expect(() => store.applyBatch(null, (batch) => lessor.revoke(batch, 7n))).toThrow(LeaseNotFoundError);
    hub.close();
  });

  it('revokes a lease with no keys without making a revision, a new store staying at revision 1', () => {
    const { store, lessor } = setup();
    store.applyBatch(null, (batch) => lessor.grant(batch, 8n, 10));
    expect(store.revision).toBe(1);
    expect(store.applyBatch(null, (batch) => lessor.revoke(batch, 8n))).toBe(1);
    expect(store.revision).toBe(1);
    expect(lessor.exists(8n)).toBe(false);
  });

  it('reports expiry only on the primary, with the injected clock, and renews on keep-alive', () => {
    const { store, lessor, clock } = setup();
    store.applyBatch(null, (batch) => {
      lessor.grant(batch, 1n, 10);
      lessor.grant(batch, 2n, 20);
    });
    clock.advance(60_000);
    expect(lessor.expired()).toEqual([]);
    expect(() => lessor.renew(1n)).toThrow(LeaseNotPrimaryError);
    lessor.promote(0);
    expect(lessor.timeToLive(1n, false)).toMatchObject({ ttlSeconds: 10, grantedTtlSeconds: 10 });
    clock.advance(9_000);
    expect(lessor.expired()).toEqual([]);
    expect(lessor.renew(1n)).toBe(10);
    clock.advance(9_000);
    expect(lessor.expired()).toEqual([]);
    expect(lessor.timeToLive(1n, false).ttlSeconds).toBe(1);
    expect(lessor.timeToLive(2n, false).ttlSeconds).toBe(2);
    clock.advance(1_500);
    expect(lessor.expired()).toEqual([1n]);
    clock.advance(500);
    expect(lessor.expired()).toEqual([1n, 2n]);
    expect(lessor.timeToLive(1n, false).ttlSeconds).toBe(-1);
    expect(() => lessor.renew(1n)).toThrow(LeaseNotFoundError);
    lessor.demote();
    expect(lessor.expired()).toEqual([]);
  });

  it('extends every TTL by the promote extension for a new leader', () => {
    const { store, lessor, clock } = setup();
    store.applyBatch(null, (batch) => lessor.grant(batch, 1n, 10));
    lessor.promote(5_000);
    clock.advance(14_000);
    expect(lessor.expired()).toEqual([]);
    clock.advance(1_000);
    expect(lessor.expired()).toEqual([1n]);
  });

  it('keeps leases, attachments and checkpointed remaining TTLs across a restart', () => {
    const dir = tempDir();
    const first = setup(dir);
    first.store.applyBatch(null, (batch) => {
      first.lessor.grant(batch, 1n, 100);
      first.lessor.grant(batch, 2n, 100);
    });
    first.store.put({ key: b('a'), value: b('1'), lease: 1n });
    first.lessor.promote(0);
    first.clock.advance(70_000);
    const checkpoints = first.lessor.checkpoints();
    expect(checkpoints).toEqual([
      { id: 1n, remainingTtlSeconds: 30 },
      { id: 2n, remainingTtlSeconds: 30 },
    ]);
    first.store.applyBatch({ index: 9, term: 1 }, (batch) => {
      for (const checkpoint of checkpoints) first.lessor.checkpoint(batch, checkpoint.id, checkpoint.remainingTtlSeconds);
    });
    expect(first.lessor.checkpoints()).toEqual([]);
    first.lessor.close();
    first.store.close();

    const store = MvccStore.open({ dir });
    const clock = manualClock(5_000_000);
    const lessor = new Lessor(store, { clock: clock.now });
    expect(lessor.list()).toEqual([1n, 2n]);
    expect(names(lessor.timeToLive(1n, true).keys)).toEqual(['a']);
    lessor.promote(0);
    expect(lessor.timeToLive(1n, false)).toMatchObject({ ttlSeconds: 30, grantedTtlSeconds: 100 });
    clock.advance(30_000);
    expect(lessor.expired()).toEqual([1n, 2n]);
    lessor.close();
    store.close();
  });

  it('refuses a grant while the NOSPACE alarm is active', () => {
    const { store, lessor } = setup();
    store.activateAlarm({ memberId: 1n, alarm: 'NOSPACE' });
    expect(() => store.applyBatch(null, (batch) => lessor.grant(batch, 1n, 10))).toThrow(NoSpaceError);
  });

  it('rebuilds its state when a batch aborts', () => {
    const { store, lessor } = setup();
    expect(() =>
      store.applyBatch(null, (batch) => {
        lessor.grant(batch, 1n, 10);
        throw new Error('apply failed');
      }),
    ).toThrow('apply failed');
    expect(lessor.list()).toEqual([]);
    expect(lessor.exists(1n)).toBe(false);
  });
});
