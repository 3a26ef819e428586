// Callers waiting for this member to apply a Raft index: a simple token names the index of the
// entry that made it, and a member that has not applied that entry yet must wait before it can
// know the token (etcd's indexWaiter). Woken in index order by the apply loop; bounded by a timeout.

interface Waiter {
  readonly index: number;
  readonly wake: (applied: boolean) => void;
}

export class AppliedIndexWaiters {
  /** Sorted by index. */
  private waiters: Waiter[] = [];
  private applied: number;

  constructor(applied: number) {
    this.applied = applied;
  }

  /** Resolves true once `index` is applied, false after `timeoutMs` or on `close`. */
  wait(index: number, timeoutMs: number): Promise<boolean> {
    if (index <= this.applied) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      const waiter: Waiter = {
        index,
        wake: (applied) => {
          clearTimeout(timer);
          resolve(applied);
        },
      };
      const position = this.waiters.findIndex((w) => w.index > index);
      this.waiters.splice(position === -1 ? this.waiters.length : position, 0, waiter);
    });
  }

  /** Records that everything up to `index` is applied and wakes those waiting for it. */
  advance(index: number): void {
    this.applied = Math.max(this.applied, index);
    while (this.waiters.length > 0 && this.waiters[0]!.index <= this.applied) this.waiters.shift()!.wake(true);
  }

  /** Wakes everyone with false (the member stops). */
  close(): void {
    for (const waiter of this.waiters.splice(0)) waiter.wake(false);
  }

  get size(): number {
    return this.waiters.length;
  }
}
