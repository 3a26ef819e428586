import { describe, expect, it } from 'vitest';
import { PeriodicCompactionPolicy, RevisionCompactionPolicy } from '../../core/mvcc/compactionPolicy.js';

function manualClock(): { now: () => number; advance: (ms: number) => void } {
  let now = 0;
  return { now: () => now, advance: (ms) => (now += ms) };
}

describe('PeriodicCompactionPolicy', () => {
  it('compacts to the revision that was current one retention window ago', () => {
    const clock = manualClock();
    const hour = 60 * 60 * 1000;
    const policy = new PeriodicCompactionPolicy(hour, clock.now);
    const proposals: (number | null)[] = [];
    // The revision grows by 100 every 6 minutes (the sampling interval of a 1 h retention).
    for (let step = 0; step <= 12; step++) {
      proposals.push(policy.poll(step * 100, 0));
      clock.advance(hour / 10);
    }
    // Nothing is due before a full hour has passed; then the revision of an hour ago each time.
    expect(proposals.slice(0, 10)).toEqual(Array(10).fill(null));
    expect(proposals.slice(10)).toEqual([0, 100, 200].map((r) => (r > 0 ? r : null)));
  });

  it('does nothing between samples and never proposes a revision already compacted', () => {
    const clock = manualClock();
    const policy = new PeriodicCompactionPolicy(10_000, clock.now);
    expect(policy.poll(5, 0)).toBeNull();
    clock.advance(500);
    expect(policy.poll(9, 0)).toBeNull();
    clock.advance(10_000);
    // Revision 5 (sampled at 0) is due but already compacted.
    expect(policy.poll(50, 5)).toBeNull();
    clock.advance(1_000);
    expect(policy.poll(60, 5)).toBeNull();
    // Revision 50 was sampled at 10.5 s, so it is due at 20.5 s.
    clock.advance(9_000);
    expect(policy.poll(70, 5)).toBe(50);
  });
});

describe('RevisionCompactionPolicy', () => {
  it('keeps the last N revisions, checking once per interval', () => {
    const clock = manualClock();
    const policy = new RevisionCompactionPolicy(1000, clock.now, 60_000);
    expect(policy.poll(500, 0)).toBeNull();
    clock.advance(60_000);
    expect(policy.poll(1_500, 0)).toBe(500);
    expect(policy.poll(2_500, 500)).toBeNull();
    clock.advance(60_000);
    expect(policy.poll(2_500, 500)).toBe(1_500);
    clock.advance(60_000);
    expect(policy.poll(2_500, 1_500)).toBeNull();
  });
});
