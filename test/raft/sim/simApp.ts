// The simulated state machine each member applies: a set of client write ids (applied at most
// once each, as a server dedupes retried requests) plus the membership. Snapshots encode it.

import type { ConfState, Index } from '../../../core/raft/index.js';

export interface SimAppState {
  appliedIndex: Index;
  readonly writeIds: Set<string>;
  conf: ConfState;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeAppState(state: SimAppState): Uint8Array {
  return encoder.encode(JSON.stringify([...state.writeIds]));
}

/** Restores the state a snapshot holds (empty data is the bootstrap snapshot). */
export function decodeAppState(data: Uint8Array, appliedIndex: Index, conf: ConfState): SimAppState {
  const ids = data.length === 0 ? [] : (JSON.parse(decoder.decode(data)) as string[]);
  return { appliedIndex, writeIds: new Set(ids), conf };
}

export function writeData(id: string): Uint8Array {
  return encoder.encode(id);
}

export function writeIdOf(data: Uint8Array): string {
  return decoder.decode(data);
}
