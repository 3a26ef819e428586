import { describe, expect, it } from 'vitest';
import { AppliedIndexWaiters } from '../../core/server/appliedIndexWaiters.js';

describe('applied index waiters', () => {
  it('answer at once for an applied index and wake the others in index order as the index advances', async () => {
    const waiters = new AppliedIndexWaiters(5);
    expect(await waiters.wait(5, 1_000)).toBe(true);
    const woken: number[] = [];
    const nine = waiters.wait(9, 60_000).then((ok) => woken.push(9) && ok);
    const seven = waiters.wait(7, 60_000).then((ok) => woken.push(7) && ok);
    waiters.advance(8);
    expect(await seven).toBe(true);
    expect(waiters.size).toBe(1);
    waiters.advance(9);
    expect(await nine).toBe(true);
    expect(woken).toEqual([7, 9]);
  });

  it('give up after the timeout, and on close', async () => {
    const waiters = new AppliedIndexWaiters(0);
    expect(await waiters.wait(3, 1)).toBe(false);
    expect(waiters.size).toBe(0);
    const pending = waiters.wait(4, 60_000);
    waiters.close();
    expect(await pending).toBe(false);
  });
});
