// A small, fast, seeded pseudo-random generator (xoshiro128** seeded through splitmix32).
// core/raft draws its randomized election timeouts from an injected `RandomSource`; this module
// provides the implementation the simulator and the server use. It owns no global state.

import { assert } from './assert.js';

/** The only randomness core/raft consumes: a uniform integer in [0, maxExclusive). */
export interface RandomSource {
  nextInt(maxExclusive: number): number;
}

const uint32Range = 0x1_0000_0000;

function rotateLeft(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits));
}

/**
 * xoshiro128**: 128 bits of state, period 2^128 - 1, good statistical quality, and only 32-bit
 * integer operations (fast in V8). The same seed always yields the same sequence.
 */
export class Random implements RandomSource {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  constructor(seed: number) {
    assert(Number.isSafeInteger(seed), 'a random seed is a safe integer');
    let state = (seed ^ Math.floor(seed / uint32Range)) | 0;
    const next = (): number => {
      state = (state + 0x9e3779b9) | 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A uniform unsigned 32-bit integer. */
  nextUint32(): number {
    const result = Math.imul(rotateLeft(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotateLeft(this.s3, 11);
    return result;
  }

  /** A uniform float in [0, 1). */
  nextFloat(): number {
    return this.nextUint32() / uint32Range;
  }

  /** A uniform integer in [0, maxExclusive). `maxExclusive` is a positive integer. */
  nextInt(maxExclusive: number): number {
    assert(Number.isInteger(maxExclusive), 'nextInt takes an integer bound');
    assert(maxExclusive > 0, 'nextInt takes a positive bound');
    return Math.floor(this.nextFloat() * maxExclusive);
  }

  /** True with probability `probability`. */
  chance(probability: number): boolean {
    return this.nextFloat() < probability;
  }

  /** A uniformly chosen element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    assert(items.length > 0, 'pick needs a non-empty array');
    return items[this.nextInt(items.length)]!;
  }

  /** An independent generator derived from this one (for splitting streams deterministically). */
  fork(): Random {
    return new Random(this.nextUint32() * 0x20_0000 + (this.nextUint32() >>> 11));
  }
}
