// The apply guard on its own: what a run that ends inside a batch leaves, how consecutive stops on
// one entry are counted, when the count starts over, and that a torn record is ignored.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ApplyGuard, applyGuardFileName, deathsMax } from '../../core/server/applyGuard.js';
import { DataDirError } from '../../core/server/dataDir.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function newDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rafter-apply-guard-'));
  dirs.push(dir);
  return dir;
}

/** The recovery a start with the store at `storeApplied` reports (the guard closed again). */
function recoveryAt(dir: string, storeApplied: number): ApplyGuard['recovery'] {
  const guard = open(dir, storeApplied);
  guard.close();
  return guard.recovery;
}

/** Opens the guard as a member would at start, with the store at `storeApplied`. */
function open(dir: string, storeApplied: number): ApplyGuard {
  return ApplyGuard.open({ dir, storeApplied, storeDir: path.join(dir, 'db'), describeEntry: (at) => `term 3, put "k${at}"` });
}

/** A run that begins applying first–last and dies before the store holds them. */
function dieApplying(dir: string, storeApplied: number, first: number, last: number, error?: string): ApplyGuard['recovery'] {
  const guard = open(dir, storeApplied);
  guard.begin(first, last);
  if (error !== undefined) guard.failed(new Error(error));
  guard.close();
  return guard.recovery;
}

describe('the apply guard', () => {
  it('reports nothing after runs whose batches all reached the store', () => {
    const dir = newDir();
    const guard = open(dir, 0);
    guard.begin(1, 5);
    guard.begin(6, 9);
    guard.close();
    const next = open(dir, 9);
    expect(next.recovery).toBeNull();
    next.close();
  });

  it('counts runs that stop on the same entry and refuses to start at the limit, naming the entry and the error', () => {
    const dir = newDir();
    expect(dieApplying(dir, 10, 11, 14, 'disk full')).toBeNull();
    expect(dieApplying(dir, 10, 11, 14, 'disk full')).toEqual({ entryIndex: 11, deaths: 1, error: 'disk full' });
    expect(dieApplying(dir, 10, 11, 14)).toEqual({ entryIndex: 11, deaths: 2, error: 'disk full' });
    let refusal: unknown;
    try {
      open(dir, 10);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(DataDirError);
    expect((refusal as Error).message).toContain(`the last ${deathsMax} runs of this member stopped while applying entry 11 (term 3, put "k11")`);
    expect((refusal as Error).message).toContain('without an error the member could catch');
    expect((refusal as Error).message).toContain(path.join(dir, applyGuardFileName));
  });

  it('starts the count over once the stuck entry reaches the store, or when the stop is on another entry', () => {
    const dir = newDir();
    dieApplying(dir, 10, 11, 14);
    expect(dieApplying(dir, 10, 11, 14)?.deaths).toBe(1);
    // The next run gets entry 11 into the store, then dies on a later batch.
    const guard = open(dir, 10);
    expect(guard.recovery?.deaths).toBe(2);
    guard.begin(11, 14);
    guard.begin(15, 20);
    guard.close();
    expect(recoveryAt(dir, 14)).toEqual({ entryIndex: 15, deaths: 1, error: null });
  });

  it('does not count a run that ends between batches, though the store has not committed them', () => {
    const dir = newDir();
    const guard = open(dir, 10);
    guard.begin(11, 14);
    guard.end();
    guard.begin(15, 20);
    guard.end();
    guard.close();
    // Group commit: the store still says 10 after the kill; the batches were applied, not lost.
    expect(recoveryAt(dir, 10)).toBeNull();
    // A run that dies inside a batch names that batch's first entry, not the store's next one.
    expect(dieApplying(dir, 10, 15, 20)).toBeNull();
    expect(recoveryAt(dir, 10)).toEqual({ entryIndex: 15, deaths: 1, error: null });
  });

  it('keeps a record whose error does not fit whole readable, and reads a short record written over it', () => {
    const dir = newDir();
    // 1,800 bytes in UTF-8 and 3,600 escaped: more than the record holds.
    for (const message of ['€'.repeat(600), '\u0001'.repeat(600)]) {
      fs.rmSync(path.join(dir, applyGuardFileName), { force: true });
      expect(dieApplying(dir, 10, 11, 14, message)).toBeNull();
      const second = dieApplying(dir, 10, 11, 14);
      expect(second).toMatchObject({ entryIndex: 11, deaths: 1 });
      expect(message.startsWith(second!.error!)).toBe(true);
      expect(second!.error!.length).toBeGreaterThan(100);
      // The second run's record is shorter than the first's and was written over it.
      expect(recoveryAt(dir, 10)).toEqual({ entryIndex: 11, deaths: 2, error: null });
    }
  });

  it('ignores a torn or foreign record', () => {
    const dir = newDir();
    dieApplying(dir, 10, 11, 14);
    const file = path.join(dir, applyGuardFileName);
    const bytes = fs.readFileSync(file);
    bytes[20] = bytes[20]! ^ 0xff;
    fs.writeFileSync(file, bytes);
    expect(recoveryAt(dir, 10)).toBeNull();
    fs.writeFileSync(file, 'not a record');
    expect(recoveryAt(dir, 10)).toBeNull();
  });
});
