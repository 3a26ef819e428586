// A bounded queue that a producer pushes to and one consumer drains with `for await`. It owns
// back-pressure policy for client streams (watch batches, keep-alive responses); it does not know
// what the items are.
import { assert } from '../raft/assert.js';

/** What to do when a push finds the queue full. */
export type OverflowPolicy = 'dropOldest' | 'fail';

/**
 * Items pushed are yielded in order. `end()` finishes the iteration after the buffered items;
 * `fail(error)` makes the consumer throw once the buffered items are drained.
 * Invariant: at most `itemsMax` items are buffered.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private waiter: ((result: IteratorResult<T, undefined>) => void) | undefined;
  private failWaiter: ((error: Error) => void) | undefined;
  private ended = false;
  private failure: Error | undefined;

  constructor(
    private readonly itemsMax: number,
    private readonly overflow: OverflowPolicy,
    private readonly onOverflow: () => Error = () => new Error('queue overflow'),
  ) {
    assert(itemsMax > 0, 'a queue holds at least one item');
  }

  /** True once end() or fail() was called. */
  get closed(): boolean {
    return this.ended;
  }

  push(item: T): void {
    if (this.ended) return;
    const waiter = this.waiter;
    if (waiter) {
      this.clearWaiters();
      waiter({ value: item, done: false });
      return;
    }
    if (this.items.length >= this.itemsMax) {
      if (this.overflow === 'fail') {
        this.fail(this.onOverflow());
        return;
      }
      this.items.shift();
    }
    this.items.push(item);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    const waiter = this.waiter;
    this.clearWaiters();
    waiter?.({ value: undefined, done: true });
  }

  fail(error: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = error;
    const failWaiter = this.failWaiter;
    this.clearWaiters();
    failWaiter?.(error);
  }

  /** The next item; resolves done after end(), rejects after fail() once drained. */
  next(): Promise<IteratorResult<T, undefined>> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve({ value: item, done: false });
    if (this.failure) return Promise.reject(this.failure);
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    assert(this.waiter === undefined, 'an AsyncQueue has one consumer');
    return new Promise((resolve, reject) => {
      this.waiter = resolve;
      this.failWaiter = reject;
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<T, undefined> {
    return { next: () => this.next() };
  }

  private clearWaiters(): void {
    this.waiter = undefined;
    this.failWaiter = undefined;
  }
}
