// A tap on a member's Raft traffic for the console's live view: while someone subscribes, every
// Raft message this member sends or receives is described (type, from, to, term, index, entry
// count, commit, reject, whether the transport dropped it) into a bounded ring a reader pages
// through by sequence number. Nobody subscribed costs one boolean check per message (`active`).
// A subscription is a lease renewed by each read; it lapses `leaseMs` after the last read, and
// the first message after that turns the tap off. Heavy traffic is sampled: at most
// `perWindowMax` records per `windowMs`, the rest only counted. Decoding payloads and serving
// reads over HTTP are left to the member and its inspection routes.
import { randomBytes } from 'node:crypto';
import type { Message, MessageType } from '../raft/message.js';

/** One message as the tap saw it. */
export interface TappedMessage {
  /** Position in this tap's sequence, from 1; never reused while the process lives. */
  readonly seq: number;
  /** Wall-clock milliseconds when the member sent or received it. */
  readonly atMs: number;
  readonly direction: 'send' | 'receive';
  readonly type: MessageType;
  readonly from: string;
  readonly to: string;
  readonly term: number;
  readonly logTerm: number;
  readonly index: number;
  /** Entries carried (appends), 0 otherwise. */
  readonly entries: number;
  readonly commit: number;
  readonly reject: boolean;
  /** The transport dropped it (an injected fault, an unknown peer, a full queue). */
  readonly dropped: boolean;
}

/** A page of records after a reader's cursor. */
export interface TapPage {
  /** Changes when the member restarts: a reader's cursor from another tap id means nothing. */
  readonly tapId: string;
  readonly records: TappedMessage[];
  /** The cursor to ask with next (the last sequence number handed out so far). */
  readonly lastSeq: number;
  /** Records left out by sampling since the tap was made. */
  readonly sampledOut: number;
  /** Records after the cursor that the ring overwrote before this read. */
  readonly missed: number;
}

export interface MessageTapOptions {
  /** Records the ring holds. */
  readonly capacity?: number;
  /** The sampling window. */
  readonly windowMs?: number;
  /** Records kept per sampling window; more are counted in `sampledOut`. */
  readonly perWindowMax?: number;
  /** How long after a read the tap keeps recording. */
  readonly leaseMs?: number;
  readonly clock?: () => number;
}

export const tapCapacityDefault = 4_096;
export const tapWindowMsDefault = 100;
export const tapPerWindowMaxDefault = 50;
export const tapLeaseMsDefault = 10_000;
/** Most records one read returns. */
export const tapPageMax = 2_000;
/** Longest a read may wait for a first record. */
export const tapWaitMsMax = 5_000;

export class MessageTap {
  /** Invariant: false unless a reader subscribed within the last `leaseMs` (checked lazily on record). */
  active = false;
  readonly tapId = randomBytes(6).toString('hex');
  private readonly capacity: number;
  private readonly windowMs: number;
  private readonly perWindowMax: number;
  private readonly leaseMs: number;
  private readonly clock: () => number;
  /** Invariant: holds the records with seq in (nextSeq - size, nextSeq), oldest at `head`. */
  private readonly ring: (TappedMessage | undefined)[];
  private head = 0;
  private size = 0;
  private nextSeq = 1;
  private leaseUntilMs = 0;
  private windowStartMs = 0;
  private windowCount = 0;
  private sampledOutCount = 0;
  /** Messages described since the tap was made (0 while nobody ever subscribed). */
  recorded = 0;
  private waiters: (() => void)[] = [];

  constructor(options: MessageTapOptions = {}) {
    this.capacity = options.capacity ?? tapCapacityDefault;
    this.windowMs = options.windowMs ?? tapWindowMsDefault;
    this.perWindowMax = options.perWindowMax ?? tapPerWindowMaxDefault;
    this.leaseMs = options.leaseMs ?? tapLeaseMsDefault;
    this.clock = options.clock ?? Date.now;
    this.ring = new Array<TappedMessage | undefined>(this.capacity);
  }

  /** Starts or renews the subscription: the tap records until `leaseMs` after the last call. */
  subscribe(): void {
    this.leaseUntilMs = this.clock() + this.leaseMs;
    this.active = true;
  }

  /** Describes `message`. Callers check `active` first, so an unwatched member does no work here. */
  record(direction: TappedMessage['direction'], message: Message, dropped = false): void {
    const now = this.clock();
    if (now > this.leaseUntilMs) {
      this.active = false;
      return;
    }
    if (now - this.windowStartMs >= this.windowMs) {
      this.windowStartMs = now;
      this.windowCount = 0;
    }
    if (this.windowCount >= this.perWindowMax) {
      this.sampledOutCount++;
      return;
    }
    this.windowCount++;
    this.recorded++;
    const record: TappedMessage = {
      seq: this.nextSeq++,
      atMs: now,
      direction,
      type: message.type,
      from: message.from,
      to: message.to,
      term: message.term,
      logTerm: message.logTerm,
      index: message.index,
      entries: message.entries.length,
      commit: message.commit,
      reject: message.reject,
      dropped,
    };
    this.ring[(this.head + this.size) % this.capacity] = record;
    if (this.size < this.capacity) this.size++;
    else this.head = (this.head + 1) % this.capacity;
    if (this.waiters.length > 0) for (const wake of this.waiters.splice(0)) wake();
  }

  /** Up to `limit` records after `afterSeq` (0: from the oldest held), oldest first. */
  read(afterSeq: number, limit = tapPageMax): TapPage {
    const lastSeq = this.nextSeq - 1;
    const oldestSeq = this.nextSeq - this.size;
    const from = Math.max(afterSeq + 1, oldestSeq);
    const missed = afterSeq > 0 ? Math.max(0, oldestSeq - afterSeq - 1) : 0;
    const count = Math.max(0, Math.min(limit, lastSeq - from + 1));
    const records: TappedMessage[] = [];
    for (let i = 0; i < count; i++) records.push(this.ring[(this.head + (from - oldestSeq) + i) % this.capacity]!);
    return { tapId: this.tapId, records, lastSeq: records.at(-1)?.seq ?? Math.min(afterSeq, lastSeq), sampledOut: this.sampledOutCount, missed };
  }

  /** Resolves once a record after `afterSeq` exists, or after `waitMs`. */
  whenRecordAfter(afterSeq: number, waitMs: number): Promise<void> {
    if (this.nextSeq - 1 > afterSeq || waitMs <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter !== wake);
        resolve();
      }, waitMs);
      timer.unref();
      this.waiters.push(wake);
    });
  }

  /** Wakes every waiting reader (the member stops). */
  close(): void {
    this.active = false;
    for (const wake of this.waiters.splice(0)) wake();
  }
}
