// Callers waiting for their proposal to be applied: each registers a request id and gets a
// promise settled by the apply loop (with the result or a typed error) or by a timeout.
import { ServerError } from './errors.js';

interface Waiter {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class Waiters {
  private readonly pending = new Map<bigint, Waiter>();

  get size(): number {
    return this.pending.size;
  }

  /** Registers `id`; the promise settles when `trigger`/`fail` names it, or rejects after `timeoutMs`. */
  wait<T>(id: bigint, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ServerError('TIMEOUT'));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
    });
  }

  isWaiting(id: bigint): boolean {
    return this.pending.has(id);
  }

  trigger(id: bigint, value: unknown): void {
    const waiter = this.pending.get(id);
    if (!waiter) return;
    this.pending.delete(id);
    clearTimeout(waiter.timer);
    waiter.resolve(value);
  }

  fail(id: bigint, error: Error): void {
    const waiter = this.pending.get(id);
    if (!waiter) return;
    this.pending.delete(id);
    clearTimeout(waiter.timer);
    waiter.reject(error);
  }

  /** Rejects every pending caller (shutdown). */
  failAll(error: Error): void {
    for (const id of [...this.pending.keys()]) this.fail(id, error);
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
