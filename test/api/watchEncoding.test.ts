import { describe, expect, it } from 'vitest';
import { eventToWire } from '../../core/api/convert.js';
import { serviceDefinition } from '../../core/api/proto/load.js';
import { storeEvents, watchResponseSerializer } from '../../core/api/watchEncoding.js';
import type { Event, KeyValue } from '../../core/mvcc/types.js';

const watch = serviceDefinition('etcdserverpb.Watch')['Watch']!;
const serialize = watch.responseSerialize;

function kv(key: string, value: string, modRevision: number): KeyValue {
  return { key: Buffer.from(key), value: Buffer.from(value), createRevision: 2, modRevision, version: modRevision - 1, lease: 7n };
}

const put: Event = { type: 'PUT', kv: kv('/a/1', 'one', 5), prevKv: kv('/a/1', 'zero', 4) };
const deleted: Event = { type: 'DELETE', kv: { ...kv('/a/2', '', 6), value: Buffer.alloc(0), version: 0 } };
const header = { cluster_id: '14841639068965178418', member_id: '10276657743932975437', revision: '6', raft_term: '3' };

function response(events: readonly Event[], extra: object = {}): object {
  return { header, watch_id: '12', created: false, canceled: false, compact_revision: '0', cancel_reason: '', fragment: false, events: events.map(eventToWire), ...extra };
}

describe('watch response encoding', () => {
  it('writes what reads as the plain serializer\'s message, for events with and without a previous value', () => {
    const fast = watchResponseSerializer(serialize);
    const withoutPrev: Event = { type: put.type, kv: put.kv };
    for (const extra of [{}, { created: true, fragment: true }, { canceled: true, compact_revision: '9', cancel_reason: 'gone: ünïcode' }]) {
      for (const events of [[put], [deleted], [put, deleted], [withoutPrev, deleted]]) {
        const message = response(events, extra);
        expect(watch.responseDeserialize(fast({ ...message, [storeEvents]: events }))).toEqual(watch.responseDeserialize(serialize(message)));
      }
    }
  });

  it('encodes a response without store events as before', () => {
    const fast = watchResponseSerializer(serialize);
    const message = response([], { created: true, watch_id: '-1', canceled: true, cancel_reason: 'etcdserver: duplicate watch id' });
    expect(fast(message)).toEqual(serialize(message));
  });

  it('encodes an event once for every watcher it reaches, with or without its previous value', () => {
    let calls = 0;
    const counting = (message: object): Buffer => {
      calls++;
      return serialize(message);
    };
    const fast = watchResponseSerializer(counting);
    // A revision past 2^53 is beyond the hand encoder: such an event goes to the serializer.
    const far: Event = { type: 'PUT', kv: { ...put.kv, createRevision: 2 ** 60 }, prevKv: put.prevKv! };
    const stripped = (): Event => ({ type: far.type, kv: far.kv });
    for (let watcher = 0; watcher < 100; watcher++) {
      fast({ ...response([far]), [storeEvents]: [far] });
      const copy = stripped();
      fast({ ...response([copy]), [storeEvents]: [copy] });
    }
    // The rest of each response is written by hand: one call per distinct encoding of the event.
    expect(calls).toBe(2);
    expect(watch.responseDeserialize(fast({ ...response([far]), [storeEvents]: [far] }))).toEqual(watch.responseDeserialize(serialize(response([far]))));
  });

  it('writes store events by hand, without the reflective encoder, as it would write them', () => {
    let calls = 0;
    const fast = watchResponseSerializer((message: object): Buffer => {
      calls++;
      return serialize(message);
    });
    const leased: Event = { type: 'PUT', kv: { ...put.kv, lease: 7587862179470046467n }, prevKv: { ...put.prevKv!, lease: -1n } };
    for (const events of [[put], [deleted], [leased], [{ type: 'PUT', kv: { ...put.kv, key: Buffer.alloc(0), value: Buffer.alloc(0), version: 0 } } as Event]]) {
      expect(watch.responseDeserialize(fast({ ...response(events), [storeEvents]: events }))).toEqual(watch.responseDeserialize(serialize(response(events))));
    }
    expect(calls).toBe(0);
  });
});
