// Membership changes as data and pure functions: the ConfChange record, its binary encoding for
// log entries, and the rule that maps (configuration, change) to the next configuration. Single-
// server changes only (§4.1 of the Raft thesis): one voter added or removed at a time.

import { assert } from './assert.js';
import { ConfChangeRefusedError } from './errors.js';
import { nodeId } from './types.js';
import type { ConfState, NodeId } from './types.js';

export const confChangeTypes = ['addVoter', 'removeVoter', 'addLearner', 'promoteLearner'] as const;
export type ConfChangeType = (typeof confChangeTypes)[number];

/** One membership change. `context` carries the application's member data (e.g. peer URLs). */
export interface ConfChange {
  readonly type: ConfChangeType;
  readonly nodeId: NodeId;
  readonly context: Uint8Array;
}

/** Bound on an encoded node id, so a corrupt record cannot demand a huge allocation. */
export const nodeIdBytesMax = 64;
const encodingVersion = 1;
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

/** Binary form: version, type, id length, id (UTF-8), context. */
export function encodeConfChange(change: ConfChange): Uint8Array {
  const id = textEncoder.encode(change.nodeId);
  assert(id.length <= nodeIdBytesMax, 'node ids fit the encoding');
  const out = new Uint8Array(3 + id.length + change.context.length);
  out[0] = encodingVersion;
  out[1] = confChangeTypes.indexOf(change.type);
  out[2] = id.length;
  out.set(id, 3);
  out.set(change.context, 3 + id.length);
  return out;
}

/** Thrown by decodeConfChange for bytes that are not an encoded ConfChange. */
export class ConfChangeDecodeError extends Error {
  override readonly name = 'ConfChangeDecodeError';
}

/** Inverse of encodeConfChange. Throws ConfChangeDecodeError on malformed input. */
export function decodeConfChange(bytes: Uint8Array): ConfChange {
  if (bytes.length < 3) throw new ConfChangeDecodeError('conf change record is too short');
  if (bytes[0] !== encodingVersion) {
    throw new ConfChangeDecodeError(`unknown conf change version ${bytes[0]}`);
  }
  const type = confChangeTypes[bytes[1]!];
  if (type === undefined) throw new ConfChangeDecodeError(`unknown conf change type ${bytes[1]}`);
  const idLength = bytes[2]!;
  if (idLength === 0 || 3 + idLength > bytes.length) throw new ConfChangeDecodeError('bad node id length');
  let id: string;
  try {
    id = textDecoder.decode(bytes.subarray(3, 3 + idLength));
  } catch {
    throw new ConfChangeDecodeError('node id is not UTF-8');
  }
  return { type, nodeId: nodeId(id), context: bytes.slice(3 + idLength) };
}

/**
 * The configuration after `change`, or ConfChangeRefusedError when the change does not apply to
 * `conf` (adding an existing voter or learner, removing or promoting a non-member, demoting a
 * voter to learner, removing the last voter). Pure: `conf` is not modified.
 */
export function applyChange(conf: ConfState, change: ConfChange): ConfState {
  const id = change.nodeId;
  const isVoter = conf.voters.includes(id);
  const isLearner = conf.learners.includes(id);
  switch (change.type) {
    case 'addVoter':
      if (isVoter) throw new ConfChangeRefusedError('alreadyVoter', `${id} is already a voter`);
      if (isLearner) throw new ConfChangeRefusedError('alreadyLearner', `${id} is a learner: promote it`);
      return { voters: [...conf.voters, id], learners: conf.learners };
    case 'addLearner':
      if (isVoter) throw new ConfChangeRefusedError('alreadyVoter', `${id} is a voter`);
      if (isLearner) throw new ConfChangeRefusedError('alreadyLearner', `${id} is already a learner`);
      return { voters: conf.voters, learners: [...conf.learners, id] };
    case 'promoteLearner':
      if (!isLearner) throw new ConfChangeRefusedError('notLearner', `${id} is not a learner`);
      return { voters: [...conf.voters, id], learners: conf.learners.filter((x) => x !== id) };
    case 'removeVoter':
      if (isLearner) return { voters: conf.voters, learners: conf.learners.filter((x) => x !== id) };
      if (!isVoter) throw new ConfChangeRefusedError('notMember', `${id} is not a member`);
      if (conf.voters.length === 1) throw new ConfChangeRefusedError('lastVoter', `${id} is the last voter`);
      return { voters: conf.voters.filter((x) => x !== id), learners: conf.learners };
  }
}

/** Whether `id` is a voter or learner of `conf`. */
export function isMember(conf: ConfState, id: NodeId): boolean {
  return conf.voters.includes(id) || conf.learners.includes(id);
}
