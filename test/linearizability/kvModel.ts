// The sequential specification of one etcd key, as the linearizability checker steps it: the
// key's value and mod revision, or absent. The store's global revision counter is deliberately
// not part of this state (it would couple every key and defeat per-key partitioning); revisions
// across keys are checked by revisionChecker.ts. An unknown-outcome write leaves the mod revision
// unknown (null) until a read pins it.
import type { KvInput, KvOutput } from './history.js';

/** State of one key. Invariant: modRevision is null only after a write of unknown outcome. */
export type KeyState = { readonly value: string; readonly modRevision: number | null } | null;

/** The state of every key before the history starts. */
export const initialKeyState: KeyState = null;

/** Sentinel of stepKey: the operation cannot take effect with this output in this state. */
export const illegal = Symbol('illegal');

/**
 * Applies one operation to a key's state and returns the next state, or `illegal` when the
 * observed output is impossible from `state`. Unknown outputs always succeed: they model an
 * operation that took effect at this point (not taking effect at all is modelled by the checker
 * placing it after every known operation).
 */
export function stepKey(state: KeyState, input: KvInput, output: KvOutput): KeyState | typeof illegal {
  switch (input.kind) {
    case 'put':
      if (output.kind === 'unknown') return { value: input.value, modRevision: null };
      if (output.kind !== 'put') return illegal;
      return { value: input.value, modRevision: output.revision };
    case 'get': {
      if (output.kind === 'unknown') return state;
      if (output.kind !== 'get') return illegal;
      const found = output.found;
      if (found === null) return state === null ? state : illegal;
      if (state === null || state.value !== found.value) return illegal;
      if (state.modRevision !== null && state.modRevision !== found.modRevision) return illegal;
      return state.modRevision === null ? { value: state.value, modRevision: found.modRevision } : state;
    }
    case 'cas': {
      const matches = state !== null && state.value === input.expected;
      if (output.kind === 'unknown') return matches ? { value: input.value, modRevision: null } : state;
      if (output.kind !== 'cas') return illegal;
      if (output.succeeded !== matches) return illegal;
      return output.succeeded ? { value: input.value, modRevision: output.revision } : state;
    }
    case 'delete':
      if (output.kind === 'unknown') return null;
      if (output.kind !== 'delete') return illegal;
      if ((output.deleted > 0) !== (state !== null)) return illegal;
      return null;
  }
}

/** A string equal for equal states, used to memoise the search. */
export function keyStateId(state: KeyState): string {
  if (state === null) return '-';
  return `${state.modRevision ?? '?'}:${state.value}`;
}

/** The state as a short readable string. */
export function describeKeyState(state: KeyState): string {
  if (state === null) return 'absent';
  return `${JSON.stringify(state.value)} mod ${state.modRevision ?? 'unknown'}`;
}
