// Watch coalescing: client watches of the same range with the same options, created without a
// start revision, share one upstream watch (a broadcast). Each batch the upstream delivers goes
// to every member in the order received, so every client sees every event once, in order; a
// member joining a live broadcast sees the batches after its join. The upstream watch is
// core/client's Watcher, which survives the loss of an upstream member by re-creating itself
// from the first revision it has not delivered. A watch with a start revision gets a broadcast
// of its own (it must replay history no other watch shares).
import { methodDefinition } from '../api/proto/load.js';
import type * as pb from '../api/proto/messages.js';
import type { ResponseHeader } from '../client/header.js';
import type { KeyValue } from '../client/keyValue.js';
import { WatchError } from '../client/etcdError.js';
import type { WatchClient } from '../client/watchClient.js';
import type { WatchBatch, Watcher, WatchEvent } from '../client/watcher.js';
import type { Namespace } from './namespace.js';

/** etcd cancels a watch whose start revision was compacted with no reason, only the revision. */
export const compactedReason = '';

/** What a broadcast needs from one client watch. */
export interface BroadcastMember {
  /** The broadcast exists upstream; `header` is as of the join. */
  created(header: pb.ResponseHeader): void;
  /**
   * A batch of events, or a progress notification when `events` is empty. `encoded()` is the
   * batch as a WatchResponse without a watch id, encoded once for every member (see
   * encodedWatchResponse).
   */
  deliver(header: pb.ResponseHeader, events: pb.Event[], encoded: () => Buffer): void;
  /** The upstream refused or ended the watch. */
  ended(reason: { readonly compactRevision: number; readonly message: string }): void;
}

/** The options that make two watches shareable; the key and range end are the upstream's. */
export interface BroadcastKey {
  readonly key: Buffer;
  readonly rangeEnd: Buffer | undefined;
  readonly prevKv: boolean;
  readonly noPut: boolean;
  readonly noDelete: boolean;
  readonly progressNotify: boolean;
  /** 0: from the next revision (shareable). */
  readonly startRevision: number;
}

export function broadcastId(key: BroadcastKey): string {
  return [key.key.toString('hex'), key.rangeEnd?.toString('hex') ?? '-', key.prevKv, key.noPut, key.noDelete, key.progressNotify].join('/');
}

const watchMethod = () => methodDefinition('etcdserverpb.Watch', 'Watch');

/**
 * A WatchResponse for watch `id` from a batch encoded without a watch id: the id's field appended
 * (protobuf reads fields in any order), so a batch shared by many watches is encoded once.
 */
export function encodedWatchResponse(batch: Buffer, id: number): Buffer {
  if (id === 0) return batch;
  const varint: number[] = [watchIdTag];
  let rest = id;
  while (rest >= 0x80) {
    varint.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  varint.push(rest);
  return Buffer.concat([batch, Buffer.from(varint)]);
}

/** WatchResponse.watch_id is field 2, a varint. */
const watchIdTag = (2 << 3) | 0;

export function headerToWire(header: ResponseHeader): pb.ResponseHeader {
  return { cluster_id: header.clusterId, member_id: header.memberId, revision: String(header.revision), raft_term: String(header.raftTerm) };
}

function kvToWire(kv: KeyValue | null): pb.KeyValue | null {
  if (kv === null) return null;
  return {
    key: kv.key, value: kv.value, create_revision: String(kv.createRevision), mod_revision: String(kv.modRevision),
    version: String(kv.version), lease: kv.lease,
  };
}

function eventToWire(event: WatchEvent): pb.Event {
  return { type: event.type === 'put' ? 'PUT' : 'DELETE', kv: kvToWire(event.kv), prev_kv: kvToWire(event.prevKv) };
}

type State = 'creating' | 'live' | 'ended';

export class WatchBroadcast {
  readonly members = new Set<BroadcastMember>();
  /** Members waiting for the upstream watch to be created. */
  private readonly waiting = new Set<BroadcastMember>();
  private watcher: Watcher | undefined;
  private state: State = 'creating';
  /** The last header seen. Invariant: revisions only grow. */
  private header: pb.ResponseHeader;

  constructor(
    private readonly key: BroadcastKey,
    upstream: WatchClient,
    private readonly namespace: Namespace | undefined,
    currentHeader: pb.ResponseHeader,
    private readonly onIdle: (broadcast: WatchBroadcast) => void,
    /** Called with the events each batch saved the cluster from sending again (events × extra members). */
    private readonly onCoalesced: (events: number) => void = () => undefined,
  ) {
    this.header = currentHeader;
    const filters: ('noPut' | 'noDelete')[] = [];
    if (key.noPut) filters.push('noPut');
    if (key.noDelete) filters.push('noDelete');
    upstream
      .watch(key.key, {
        ...(key.rangeEnd ? { rangeEnd: key.rangeEnd } : {}),
        ...(key.startRevision > 0 ? { startRevision: key.startRevision } : {}),
        prevKv: key.prevKv, progressNotify: key.progressNotify, filters,
        onBatch: (batch) => this.onBatch(batch),
        onEnd: (error) => this.onEnd(error),
      })
      .then(
        (watcher) => this.onCreated(watcher),
        (error: unknown) => this.onEnd(error instanceof WatchError ? error : new WatchError('failed', String(error))),
      );
  }

  /** True while members may still join (shareable and not ended). */
  get open(): boolean {
    return this.state !== 'ended' && this.key.startRevision === 0;
  }

  get size(): number {
    return this.members.size + this.waiting.size;
  }

  /** The revision of the last batch delivered to members (or of the creation). */
  get revision(): number {
    return Number(this.header.revision);
  }

  join(member: BroadcastMember): void {
    if (this.state === 'live') {
      this.members.add(member);
      member.created(this.header);
    } else {
      this.waiting.add(member);
    }
  }

  leave(member: BroadcastMember): void {
    this.members.delete(member);
    this.waiting.delete(member);
    if (this.size === 0) this.stop();
  }

  stop(): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.watcher?.cancel();
    this.onIdle(this);
  }

  private onCreated(watcher: Watcher): void {
    this.watcher = watcher;
    if (this.state === 'ended') {
      watcher.cancel();
      return;
    }
    this.state = 'live';
    if (this.key.startRevision === 0 && watcher.nextRevision > 0) {
      this.header = { ...this.header, revision: String(Math.max(this.revision, watcher.nextRevision - 1)) };
    }
    for (const member of this.waiting) {
      this.members.add(member);
      member.created(this.header);
    }
    this.waiting.clear();
  }

  private onBatch(batch: WatchBatch): void {
    const header = headerToWire(batch.header);
    if (Number(header.revision) >= this.revision) this.header = header;
    const events = batch.events.map((event) => {
      const wire = eventToWire(event);
      return this.namespace ? this.namespace.event(wire) : wire;
    });
    let encoded: Buffer | undefined;
    const encode = (): Buffer => (encoded ??= watchMethod().responseSerialize({ header, events }));
    for (const member of this.members) member.deliver(header, events, encode);
    if (this.members.size > 1) this.onCoalesced(events.length * (this.members.size - 1));
  }

  private onEnd(error: WatchError | undefined): void {
    if (this.state === 'ended' && error === undefined) return;
    const wasEnded = this.state === 'ended';
    this.state = 'ended';
    if (!wasEnded) this.onIdle(this);
    const reason = error?.kind === 'compacted'
      ? { compactRevision: error.compactRevision, message: compactedReason }
      : { compactRevision: 0, message: error?.message ?? 'watch canceled' };
    // A refused create reaches waiting members; an ended live watch reaches members.
    for (const member of [...this.waiting, ...this.members]) member.ended(reason);
    this.waiting.clear();
    this.members.clear();
  }
}
