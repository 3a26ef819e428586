// The Lock and Election services etcd serves next to the v3 API (v3lockpb, v3electionpb):
// distributed locks held by a lease, and leader election with proclamations and observation.
import type { ClientReadableStream, ServiceError } from '@grpc/grpc-js';
import type { LeaderKey as WireLeaderKey, LeaderResponse, LockResponse } from '../api/proto/adminMessages.js';
import type { ResponseHeader as WireHeader } from '../api/proto/messages.js';
import { AsyncQueue } from './asyncQueue.js';
import { toBuffer, toIdString, toSafeNumber } from './bytes.js';
import type { Bytes } from './bytes.js';
import type { CallOptions, Connection } from './connection.js';
import { toEtcdError } from './etcdError.js';
import { toHeader } from './header.js';
import type { ResponseHeader } from './header.js';
import { KeyValue, keyValueOrNull } from './keyValue.js';
import type { LeaseId } from './leaseClient.js';

/** Proclamations buffered per observer; older ones are dropped (the latest leader matters). */
export const observedLeadersBufferedMax = 64;

/** Default deadline of Lock and Campaign, which block until they succeed. */
export const acquireTimeoutMsDefault = 60_000;

/** Proof of leadership in an election; pass it to proclaim and resign. */
export interface LeaderKey {
  readonly name: Buffer;
  readonly key: Buffer;
  readonly rev: number;
  /** Lease id (decimal string). */
  readonly lease: string;
}

function toLeaderKey(wire: WireLeaderKey | null): LeaderKey {
  if (wire === null) throw new Error('election response carries no leader key');
  return { name: wire.name, key: wire.key, rev: toSafeNumber(wire.rev), lease: wire.lease };
}

function toWireLeaderKey(leader: LeaderKey): object {
  return { name: leader.name, key: leader.key, rev: leader.rev, lease: leader.lease };
}

/** A running Observe stream: iterate it for leader changes; cancel() stops it. */
export interface ElectionObserver extends AsyncIterable<KeyValue> {
  [Symbol.asyncIterator](): AsyncIterator<KeyValue, undefined>;
  cancel(): void;
}

/** Lock calls. Errors are EtcdError with etcd's code and message. */
export class LockClient {
  constructor(private readonly connection: Connection) {}

  /**
   * Waits until the named lock is free, then holds it for as long as `lease` lives and returns
   * the ownership key (pass it to unlock).
   */
  async lock(name: Bytes, options: { lease: LeaseId } & CallOptions): Promise<{ header: ResponseHeader; key: Buffer }> {
    const wire = await this.connection.unary<LockResponse>(
      'v3lockpb.Lock',
      'Lock',
      { name: toBuffer(name), lease: toIdString(options.lease) },
      { timeoutMs: acquireTimeoutMsDefault, ...options, idempotent: false },
    );
    return { header: toHeader(wire.header), key: wire.key };
  }

  /** Releases a lock held with `key`. */
  async unlock(key: Bytes, options: CallOptions = {}): Promise<ResponseHeader> {
    const wire = await this.connection.unary<{ header: WireHeader | null }>('v3lockpb.Lock', 'Unlock', { key: toBuffer(key) }, {
      ...options,
      idempotent: true,
    });
    return toHeader(wire.header);
  }
}

/** Election calls. Errors are EtcdError with etcd's code and message. */
export class ElectionClient {
  constructor(private readonly connection: Connection) {}

  /** Waits until this campaigner leads the election, proclaiming `value`; held by `lease`. */
  async campaign(name: Bytes, value: Bytes, options: { lease: LeaseId } & CallOptions): Promise<LeaderKey> {
    const wire = await this.connection.unary<{ leader: WireLeaderKey | null }>(
      'v3electionpb.Election',
      'Campaign',
      { name: toBuffer(name), value: toBuffer(value), lease: toIdString(options.lease) },
      { timeoutMs: acquireTimeoutMsDefault, ...options, idempotent: false },
    );
    return toLeaderKey(wire.leader);
  }

  /** Replaces the leader's proclaimed value; fails with "election: not leader" otherwise. */
  async proclaim(leader: LeaderKey, value: Bytes, options: CallOptions = {}): Promise<ResponseHeader> {
    const wire = await this.connection.unary<{ header: WireHeader | null }>(
      'v3electionpb.Election',
      'Proclaim',
      { leader: toWireLeaderKey(leader), value: toBuffer(value) },
      { ...options, idempotent: true },
    );
    return toHeader(wire.header);
  }

  /** The current leader's proclamation; "election: no leader" when nobody leads. */
  async leader(name: Bytes, options: CallOptions = {}): Promise<KeyValue | null> {
    const wire = await this.connection.unary<LeaderResponse>('v3electionpb.Election', 'Leader', { name: toBuffer(name) }, {
      ...options,
      idempotent: true,
    });
    return keyValueOrNull(wire.kv);
  }

  /** Gives up leadership so another campaigner can win. */
  async resign(leader: LeaderKey, options: CallOptions = {}): Promise<ResponseHeader> {
    const wire = await this.connection.unary<{ header: WireHeader | null }>(
      'v3electionpb.Election',
      'Resign',
      { leader: toWireLeaderKey(leader) },
      { ...options, idempotent: true },
    );
    return toHeader(wire.header);
  }

  /** Streams every proclamation of the election's leaders, in order. */
  async observe(name: Bytes, options: CallOptions = {}): Promise<ElectionObserver> {
    const { call, endpoint } = await this.connection.serverStream(
      'v3electionpb.Election',
      'Observe',
      { name: toBuffer(name) },
      options,
    );
    const queue = new AsyncQueue<KeyValue>(observedLeadersBufferedMax, 'dropOldest');
    const stream = call as ClientReadableStream<LeaderResponse>;
    let canceled = false;
    stream.on('data', (response: LeaderResponse) => {
      if (response.kv) queue.push(new KeyValue(response.kv));
    });
    stream.on('error', (error: ServiceError) => {
      if (canceled) queue.end();
      else queue.fail(toEtcdError(error, 'v3electionpb.Election/Observe', endpoint));
    });
    stream.on('end', () => queue.end());
    return {
      cancel: () => {
        canceled = true;
        stream.cancel();
        queue.end();
      },
      [Symbol.asyncIterator]: () => queue[Symbol.asyncIterator](),
    };
  }
}
