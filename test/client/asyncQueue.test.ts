// The bounded queue behind watch and keep-alive iteration: order, end, failure and overflow.
import { describe, expect, it } from 'vitest';
import { AsyncQueue } from '../../core/client/asyncQueue.js';

async function drain<T>(queue: AsyncQueue<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of queue) items.push(item);
  return items;
}

describe('AsyncQueue', () => {
  it('yields pushed items in order to a waiting and to a late consumer, then ends', async () => {
    const queue = new AsyncQueue<number>(10, 'fail');
    const waiting = queue.next();
    queue.push(1);
    expect(await waiting).toEqual({ value: 1, done: false });
    queue.push(2);
    queue.push(3);
    queue.end();
    queue.push(4);
    expect(await drain(queue)).toEqual([2, 3]);
  });

  it('throws the failure after the buffered items', async () => {
    const queue = new AsyncQueue<string>(10, 'fail');
    queue.push('a');
    queue.fail(new Error('gone'));
    const iterator = queue[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ value: 'a', done: false });
    await expect(iterator.next()).rejects.toThrow('gone');
  });

  it('fails with the overflow error when a push finds it full under the fail policy', async () => {
    const queue = new AsyncQueue<number>(2, 'fail', () => new Error('too slow'));
    queue.push(1);
    queue.push(2);
    queue.push(3);
    expect(queue.closed).toBe(true);
    const iterator = queue[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toBe(1);
    expect((await iterator.next()).value).toBe(2);
    await expect(iterator.next()).rejects.toThrow('too slow');
  });

  it('keeps the newest items when full under the dropOldest policy', async () => {
    const queue = new AsyncQueue<number>(2, 'dropOldest');
    for (const item of [1, 2, 3, 4]) queue.push(item);
    queue.end();
    expect(await drain(queue)).toEqual([3, 4]);
  });
});
