// The history of a concurrent KV workload as the linearizability checker reads it: one record per
// client operation with its call and return times, its input and its observed output (or
// `unknown` when the client never learned the outcome). It owns the types and small helpers;
// checking is in linearizabilityChecker.ts (per key) and revisionChecker.ts (across keys).

/** What a client asked for. Every operation touches exactly one key. */
export type KvInput =
  | { readonly kind: 'put'; readonly key: string; readonly value: string }
  | { readonly kind: 'get'; readonly key: string }
  | { readonly kind: 'cas'; readonly key: string; readonly expected: string; readonly value: string }
  | { readonly kind: 'delete'; readonly key: string };

/** A key's value and the revision that last modified it, as a get returns it. */
export interface KvValue {
  readonly value: string;
  readonly modRevision: number;
}

/**
 * What the client observed. `revision` is the response header's revision: for a write that
 * changed the store, the revision it created. `unknown` means the call failed in a way that
 * leaves its effect undecided (timeout, connection lost): it may or may not have taken effect,
 * at any time after its call.
 */
export type KvOutput =
  | { readonly kind: 'put'; readonly revision: number }
  | { readonly kind: 'get'; readonly found: KvValue | null; readonly revision: number }
  | { readonly kind: 'cas'; readonly succeeded: boolean; readonly revision: number }
  | { readonly kind: 'delete'; readonly deleted: number; readonly revision: number }
  | { readonly kind: 'unknown' };

/**
 * One operation. Times are milliseconds on one monotonic clock. Invariant: callMs <= returnMs;
 * an operation with an unknown output has returnMs = Infinity.
 */
export interface KvOperation {
  /** Unique within a history; stable so reports can name operations. */
  readonly id: number;
  readonly clientId: number;
  readonly input: KvInput;
  readonly output: KvOutput;
  readonly callMs: number;
  readonly returnMs: number;
}

/** True when the operation may change the store (put, cas, delete). */
export function isWrite(operation: KvOperation): boolean {
  return operation.input.kind !== 'get';
}

/** The revision a known write created, or undefined when it created none or is unknown. */
export function createdRevision(operation: KvOperation): number | undefined {
  const output = operation.output;
  switch (output.kind) {
    case 'put':
      return output.revision;
    case 'cas':
      return output.succeeded ? output.revision : undefined;
    case 'delete':
      return output.deleted > 0 ? output.revision : undefined;
    case 'get':
    case 'unknown':
      return undefined;
  }
}

/** One line describing an operation, e.g. `#12 c3 [10.0, 12.5] put(k1, "v") -> rev 7`. */
export function describeOperation(operation: KvOperation): string {
  const input = operation.input;
  const call =
    input.kind === 'put'
      ? `put(${input.key}, ${JSON.stringify(input.value)})`
      : input.kind === 'get'
        ? `get(${input.key})`
        : input.kind === 'cas'
          ? `cas(${input.key}, ${JSON.stringify(input.expected)} -> ${JSON.stringify(input.value)})`
          : `delete(${input.key})`;
  const output = operation.output;
  let result: string;
  switch (output.kind) {
    case 'put':
      result = `rev ${output.revision}`;
      break;
    case 'get':
      result = output.found === null ? `absent @${output.revision}` : `${JSON.stringify(output.found.value)} mod ${output.found.modRevision} @${output.revision}`;
      break;
    case 'cas':
      result = `${output.succeeded ? 'succeeded' : 'failed'} @${output.revision}`;
      break;
    case 'delete':
      result = `deleted ${output.deleted} @${output.revision}`;
      break;
    case 'unknown':
      result = 'unknown';
      break;
  }
  const returned = Number.isFinite(operation.returnMs) ? operation.returnMs.toFixed(1) : '∞';
  return `#${operation.id} c${operation.clientId} [${operation.callMs.toFixed(1)}, ${returned}] ${call} -> ${result}`;
}
