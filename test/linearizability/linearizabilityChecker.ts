// A linearizability checker for KV histories: Wing & Gong's search with Lowe's memoisation of
// (linearized set, model state), run separately on each key (a history is linearizable iff each
// key's sub-history is, for single-key operations; Herlihy & Wing's locality), as porcupine does.
// It owns the search and the failing-window report; the sequential model is kvModel.ts and the
// cross-key revision rules are revisionChecker.ts.
import { assert } from '../../core/raft/assert.js';
import { Random } from '../../core/raft/random.js';
import { describeOperation } from './history.js';
import type { KvOperation } from './history.js';
import { describeKeyState, illegal, initialKeyState, keyStateId, stepKey } from './kvModel.js';
import type { KeyState } from './kvModel.js';

/** Search steps per key before the checker gives up with an inconclusive verdict. */
export const searchStepsMaxDefault = 20_000_000;
/** Known writes listed before the failing operation in a report. */
export const reportWritesBeforeMax = 6;
/** Operations listed in one report window. */
export const reportWindowOperationsMax = 40;

export type KeyVerdict = 'linearizable' | 'violation' | 'inconclusive';

/** Why one key's history is not linearizable, narrowed to the smallest failing prefix. */
export interface KeyViolation {
  readonly key: string;
  /** The operation whose addition (in call order) makes the key's history non-linearizable. */
  readonly culprit: KvOperation;
  /** Operations around the culprit: those concurrent with it and the last writes before it. */
  readonly window: readonly KvOperation[];
  /** Length of the smallest failing prefix (call order) and of the whole key history. */
  readonly prefixLength: number;
  readonly keyOperations: number;
  /** The report as text. */
  readonly text: string;
}

export interface LinearizabilityResult {
  /** True when every key was proven linearizable. */
  readonly ok: boolean;
  readonly violations: readonly KeyViolation[];
  /** Keys whose search ran out of steps (neither proven nor refuted). */
  readonly inconclusiveKeys: readonly string[];
  readonly operationsChecked: number;
  readonly keysChecked: number;
}

export interface CheckOptions {
  /** Search steps per key before giving up; default searchStepsMaxDefault. */
  readonly searchStepsMax?: number;
}

interface Entry {
  readonly operation: number;
  readonly isCall: boolean;
  readonly timeMs: number;
  prev: Entry | null;
  next: Entry | null;
  match: Entry | null;
}

interface KeySearch {
  readonly verdict: KeyVerdict;
  /** Operations (indices) of the deepest partial linearization, in order. */
  readonly deepest: readonly number[];
  readonly deepestState: KeyState;
}

/** Builds the call/return list: by time, calls before returns at equal times (ties overlap). */
function buildEntries(operations: readonly KvOperation[]): Entry {
  const entries: Entry[] = [];
  operations.forEach((operation, index) => {
    const call: Entry = { operation: index, isCall: true, timeMs: operation.callMs, prev: null, next: null, match: null };
    const ret: Entry = { operation: index, isCall: false, timeMs: operation.returnMs, prev: null, next: null, match: null };
    call.match = ret;
    entries.push(call, ret);
  });
  entries.sort((a, b) => a.timeMs - b.timeMs || Number(b.isCall) - Number(a.isCall) || a.operation - b.operation);
  const head: Entry = { operation: -1, isCall: false, timeMs: -Infinity, prev: null, next: null, match: null };
  let last = head;
  for (const entry of entries) {
    entry.prev = last;
    last.next = entry;
    last = entry;
  }
  return head;
}

function lift(call: Entry): void {
  const ret = call.match!;
  call.prev!.next = call.next;
  call.next!.prev = call.prev;
  ret.prev!.next = ret.next;
  if (ret.next) ret.next.prev = ret.prev;
}

function unlift(call: Entry): void {
  const ret = call.match!;
  ret.prev!.next = ret;
  if (ret.next) ret.next.prev = ret;
  call.prev!.next = call;
  call.next!.prev = call;
}

/** Set of explored (linearized set, state) pairs; exact, with a 64-bit incremental hash as index. */
class Memo {
  private readonly seen = new Map<string, Uint32Array[]>();

  /** Adds the pair; false when it was already present. */
  add(hashHigh: number, hashLow: number, stateId: string, bits: Uint32Array): boolean {
    const key = `${hashHigh}:${hashLow}:${stateId}`;
    const bucket = this.seen.get(key);
    if (bucket === undefined) {
      this.seen.set(key, [bits.slice()]);
      return true;
    }
    if (bucket.some((other) => other.every((word, i) => word === bits[i]))) return false;
    bucket.push(bits.slice());
    return true;
  }
}

/**
 * Wing–Gong search with memoisation over one key's operations. With `trackDeepest`, it also
 * keeps the longest partial linearization (for reports; quadratic, so off for plain checks).
 */
function searchKey(operations: readonly KvOperation[], searchStepsMax: number, trackDeepest = false): KeySearch {
  const head = buildEntries(operations);
  const random = new Random(operations.length);
  const hashHigh = operations.map(() => random.nextUint32());
  const hashLow = operations.map(() => random.nextUint32());
  const bits = new Uint32Array(Math.ceil(operations.length / 32) + 1);
  const memo = new Memo();
  const stack: { entry: Entry; state: KeyState }[] = [];
  let knownRemaining = operations.filter((operation) => Number.isFinite(operation.returnMs)).length;
  let state: KeyState = initialKeyState;
  let high = 0;
  let low = 0;
  let deepest: number[] = [];
  let deepestState: KeyState = state;
  let entry = head.next;
  const toggle = (index: number): void => {
    bits[index >>> 5]! ^= 1 << (index & 31);
    high ^= hashHigh[index]!;
    low ^= hashLow[index]!;
  };
  for (let steps = 0; knownRemaining > 0; steps++) {
    if (steps >= searchStepsMax) return { verdict: 'inconclusive', deepest, deepestState };
    assert(entry !== null, 'a known operation always leaves its return entry in the list');
    const operation = operations[entry.operation]!;
    if (entry.isCall) {
      const next = stepKey(state, operation.input, operation.output);
      if (next !== illegal) {
        toggle(entry.operation);
        if (memo.add(high, low, keyStateId(next), bits)) {
          stack.push({ entry, state });
          state = next;
          lift(entry);
          if (Number.isFinite(operation.returnMs)) knownRemaining--;
          if (trackDeepest && stack.length > deepest.length) {
            deepest = stack.map((frame) => frame.entry.operation);
            deepestState = state;
          }
          entry = head.next;
          continue;
        }
        toggle(entry.operation);
      }
      entry = entry.next;
      continue;
    }
    // A return entry: its operation was not linearized before it returned. Backtrack.
    const top = stack.pop();
    if (top === undefined) return { verdict: 'violation', deepest, deepestState };
    const undone = operations[top.entry.operation]!;
    toggle(top.entry.operation);
    state = top.state;
    unlift(top.entry);
    if (Number.isFinite(undone.returnMs)) knownRemaining++;
    entry = top.entry.next;
  }
  return { verdict: 'linearizable', deepest, deepestState };
}

/**
 * The first `count` operations in call order, plus the later-called writes that overlap them,
 * relaxed to unknown outcome (later reads are dropped). Any linearization of the whole history
 * restricts to one of this prefix, so a non-linearizable prefix proves the whole is not.
 */
function relaxedPrefix(byCall: readonly KvOperation[], count: number): KvOperation[] {
  const prefix = byCall.slice(0, count);
  let lastReturnMs = -Infinity;
  for (const operation of prefix) if (Number.isFinite(operation.returnMs)) lastReturnMs = Math.max(lastReturnMs, operation.returnMs);
  for (const operation of byCall.slice(count)) {
    if (operation.callMs > lastReturnMs) break;
    if (operation.input.kind === 'get') continue;
    prefix.push({ ...operation, output: { kind: 'unknown' }, returnMs: Infinity });
  }
  return prefix;
}

function reportViolation(key: string, byCall: readonly KvOperation[], searchStepsMax: number): KeyViolation {
  // Failure is monotone in the prefix length (a longer prefix only adds constraints).
  let low = 1;
  let high = byCall.length;
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if (searchKey(relaxedPrefix(byCall, middle), searchStepsMax).verdict === 'violation') high = middle;
    else low = middle + 1;
  }
  const prefix = relaxedPrefix(byCall, high);
  const culprit = byCall[high - 1]!;
  const search = searchKey(prefix, searchStepsMax, true);
  const concurrent = prefix.filter((op) => op !== culprit && op.callMs <= culprit.returnMs && op.returnMs >= culprit.callMs);
  const writesBefore = prefix
    .filter((op) => op.input.kind !== 'get' && op.returnMs < culprit.callMs)
    .sort((a, b) => a.returnMs - b.returnMs)
    .slice(-reportWritesBeforeMax);
  const window = [...new Set([...writesBefore, ...concurrent, culprit])]
    .sort((a, b) => a.callMs - b.callMs || a.id - b.id)
    .slice(0, reportWindowOperationsMax);
  const deepest = search.deepest.map((index) => prefix[index]!);
  const lines = [
    `key ${key}: not linearizable. The first ${high} of ${byCall.length} operations on ${key} (in call order) cannot be linearized; the first ${high - 1} can.`,
    `operation that cannot be placed: ${describeOperation(culprit)}`,
    'window (the last writes before it and every operation concurrent with it):',
    ...window.map((op) => `  ${op === culprit ? '>' : ' '} ${describeOperation(op)}`),
    `the longest partial linearization placed ${deepest.length} operations, ending with ${deepest.slice(-3).map((op) => `#${op.id}`).join(', ') || 'none'} in state ${describeKeyState(search.deepestState)}`,
  ];
  return { key, culprit, window, prefixLength: high, keyOperations: byCall.length, text: lines.join('\n') };
}

/**
 * Checks a history of single-key operations for linearizability against etcd's KV semantics
 * (values and mod revisions per key). Operations with unknown output may take effect at any time
 * after their call, or never. Each violation is narrowed to the smallest failing prefix of its
 * key and reported with the operations around it. Serializable reads must not be passed here.
 */
export function checkLinearizability(history: readonly KvOperation[], options: CheckOptions = {}): LinearizabilityResult {
  const searchStepsMax = options.searchStepsMax ?? searchStepsMaxDefault;
  const byKey = new Map<string, KvOperation[]>();
  for (const operation of history) {
    assert(operation.callMs <= operation.returnMs, 'an operation returns after its call');
    if (operation.input.kind === 'get' && operation.output.kind === 'unknown') continue;
    const list = byKey.get(operation.input.key) ?? [];
    list.push(operation);
    byKey.set(operation.input.key, list);
  }
  const violations: KeyViolation[] = [];
  const inconclusiveKeys: string[] = [];
  let operationsChecked = 0;
  for (const [key, operations] of [...byKey].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const byCall = [...operations].sort((a, b) => a.callMs - b.callMs || a.id - b.id);
    operationsChecked += byCall.length;
    const verdict = searchKey(byCall, searchStepsMax).verdict;
    if (verdict === 'inconclusive') inconclusiveKeys.push(key);
    if (verdict === 'violation') violations.push(reportViolation(key, byCall, searchStepsMax));
  }
  return {
    ok: violations.length === 0 && inconclusiveKeys.length === 0,
    violations,
    inconclusiveKeys,
    operationsChecked,
    keysChecked: byKey.size,
  };
}
