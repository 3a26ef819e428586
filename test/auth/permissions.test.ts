import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { coverageOf, isValidPermissionRange, KeyCoverage, type Permission } from '../../core/auth/permissions.js';

const b = (text: string): Buffer => Buffer.from(text);
const zero = Buffer.from([0]);

describe('key coverage', () => {
  it('covers a single key, a range and everything from a key on, as etcd reads range ends', () => {
    const coverage = KeyCoverage.of([
      { key: b('/k'), rangeEnd: b('') },
      { key: b('/r1'), rangeEnd: b('/r5') },
      { key: b('/z/'), rangeEnd: zero },
    ]);
    expect(coverage.covers(b('/k'), undefined)).toBe(true);
    expect(coverage.covers(b('/k2'), undefined)).toBe(false);
    expect(coverage.covers(b('/r1'), b('/r5'))).toBe(true);
    expect(coverage.covers(b('/r2'), b('/r3'))).toBe(true);
    expect(coverage.covers(b('/r1'), b('/r6'))).toBe(false);
    expect(coverage.covers(b('/r5'), undefined)).toBe(false);
    expect(coverage.covers(b('/z/a'), zero)).toBe(true);
    expect(coverage.covers(b('/y'), zero)).toBe(false);
  });

  it('joins adjacent and overlapping permissions of several roles', () => {
    const coverage = KeyCoverage.of([
      { key: b('a'), rangeEnd: b('c') },
      { key: b('c'), rangeEnd: b('e') },
      { key: b('d'), rangeEnd: b('g') },
    ]);
    expect(coverage.covers(b('a'), b('g'))).toBe(true);
    expect(coverage.covers(b('a'), b('h'))).toBe(false);
  });

  it('agrees with a key-by-key model on random permissions and requests', () => {
    const alphabet = ['a', 'b', 'c', 'd'];
    const key = fc.string({ unit: fc.constantFrom(...alphabet), minLength: 1, maxLength: 2 });
    const allKeys: string[] = [];
    for (const x of alphabet) {
      allKeys.push(x);
      for (const y of alphabet) allKeys.push(x + y);
    }
    const spanHolds = (begin: string, end: string, k: string): boolean => (end === '' ? k === begin : end === '\0' ? k >= begin : k >= begin && k < end);
    fc.assert(
      fc.property(fc.array(fc.tuple(key, fc.oneof(key, fc.constant(''), fc.constant('\0'))), { maxLength: 4 }), key, fc.oneof(key, fc.constant('')), (perms, from, to) => {
        const valid = perms.filter(([k, e]) => isValidPermissionRange(b(k), b(e)));
        const coverage = KeyCoverage.of(valid.map(([k, e]) => ({ key: b(k), rangeEnd: b(e) })));
        if (to !== '' && to <= from) return;
        const wanted = allKeys.filter((k) => spanHolds(from, to, k));
        const model = wanted.every((k) => valid.some(([pk, pe]) => spanHolds(pk, pe, k)));
        // The model only knows keys of up to two letters: a covered request is covered in the model.
        if (coverage.covers(b(from), b(to))) expect(model).toBe(true);
      }),
      { seed: 77, numRuns: 500 },
    );
  });

  it('refuses a permission range etcd refuses', () => {
    expect(isValidPermissionRange(b(''), b(''))).toBe(false);
    expect(isValidPermissionRange(b('/z'), b('/a'))).toBe(false);
    expect(isValidPermissionRange(b('/a'), b('/a'))).toBe(false);
    expect(isValidPermissionRange(b('/a'), zero)).toBe(true);
    expect(isValidPermissionRange(b('/a'), b('/b'))).toBe(true);
  });

  it('gives READWRITE to both reads and writes, READ and WRITE to one each', () => {
    const perms: Permission[] = [
      { type: 'READ', key: b('r'), rangeEnd: b('') },
      { type: 'WRITE', key: b('w'), rangeEnd: b('') },
      { type: 'READWRITE', key: b('x'), rangeEnd: b('') },
    ];
    const { read, write } = coverageOf(perms);
    expect([read.covers(b('r'), undefined), read.covers(b('w'), undefined), read.covers(b('x'), undefined)]).toEqual([true, false, true]);
    expect([write.covers(b('r'), undefined), write.covers(b('w'), undefined), write.covers(b('x'), undefined)]).toEqual([false, true, true]);
  });
});
