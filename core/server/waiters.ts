// Callers waiting for their proposal to be applied: each registers a request id and gets a
// promise settled by the apply loop (with the result or a typed error) or by a timeout.
import { ServerError } from './errors.js';

interface Waiter {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  /** performance.now() after which it times out. */
  readonly deadline: number;
}

/**
 * Timeouts are kept by one timer for all waiters, set for the earliest deadline, rather than a
 * timer per request: a busy member registers and settles tens of thousands of waiters a second,
 * nearly all long before their deadline.
 */
export class Waiters {
  private readonly pending = new Map<bigint, Waiter>();
  private timer: NodeJS.Timeout | null = null;
  /** When the timer fires (performance.now() time), while it is set. */
  private timerAt = Infinity;

  get size(): number {
    return this.pending.size;
  }

  /** Registers `id`; the promise settles when `trigger`/`fail` names it, or rejects after `timeoutMs`. */
  wait<T>(id: bigint, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const deadline = performance.now() + timeoutMs;
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, deadline });
      if (deadline < this.timerAt) this.armFor(deadline);
    });
  }

  isWaiting(id: bigint): boolean {
    return this.pending.has(id);
  }

  trigger(id: bigint, value: unknown): void {
    const waiter = this.pending.get(id);
    if (!waiter) return;
    this.pending.delete(id);
    waiter.resolve(value);
  }

  fail(id: bigint, error: Error): void {
    const waiter = this.pending.get(id);
    if (!waiter) return;
    this.pending.delete(id);
    waiter.reject(error);
  }

  private armFor(deadline: number): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timerAt = deadline;
    this.timer = setTimeout(() => this.expire(), Math.max(0, deadline - performance.now()));
    // Waiting callers keep nothing alive by themselves; the servers they came through do.
    this.timer.unref();
  }

  /** Rejects every waiter past its deadline, and sets the timer for the earliest one left. */
  private expire(): void {
    this.timer = null;
    this.timerAt = Infinity;
    const now = performance.now();
    let next = Infinity;
    for (const [id, waiter] of this.pending) {
      if (waiter.deadline <= now) {
        this.pending.delete(id);
        waiter.reject(new ServerError('TIMEOUT'));
      } else if (waiter.deadline < next) {
        next = waiter.deadline;
      }
    }
    if (next < Infinity) this.armFor(next);
  }

  /** Rejects every pending caller (shutdown). */
  failAll(error: Error): void {
    for (const id of [...this.pending.keys()]) this.fail(id, error);
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = Infinity;
  }
}

/**
 * Unique request ids across the cluster, built as etcd builds them: the member id's low 16 bits
 * on top, and below them a 48-bit counter that starts at the start time in milliseconds shifted
 * left by 8 bits. Two members differ in the prefix; two runs of one member start from different
 * times, so a restarted member never reuses an id still in flight.
 */
export class RequestIdGenerator {
  private next: bigint;

  constructor(memberId: bigint, nowMs: number) {
    const prefix = (memberId & 0xffffn) << 48n;
    const time = (BigInt(Math.floor(nowMs)) & 0xff_ffff_ffffn) << 8n;
    this.next = prefix | time;
  }

  take(): bigint {
    this.next = (this.next & ~0xffff_ffff_ffffn) | ((this.next + 1n) & 0xffff_ffff_ffffn);
    return this.next;
  }
}
