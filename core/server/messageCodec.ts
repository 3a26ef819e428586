// Binary encoding of Raft messages for the peer transport. One flat layout for every message
// kind; entry payloads are copied once into the frame and decoded as views into it.
import { ByteReader, ByteWriter, DecodeError } from '../util/binary.js';
import { messageTypes, type Message } from '../raft/message.js';
import type { ConfState, Entry, EntryType, Index, NodeId, Snapshot, Term } from '../raft/types.js';

const formatVersion = 1;
const entryTypes: readonly EntryType[] = ['normal', 'confChange'];

function writeConf(w: ByteWriter, conf: ConfState): void {
  w.uint(conf.voters.length);
  for (const id of conf.voters) w.string(id);
  w.uint(conf.learners.length);
  for (const id of conf.learners) w.string(id);
}

function readIds(r: ByteReader): NodeId[] {
  const count = r.uint();
  const ids: NodeId[] = [];
  for (let i = 0; i < count; i++) ids.push(r.string() as NodeId);
  return ids;
}

/** Encodes a message; the result is a fresh buffer owned by the caller. */
export function encodeMessage(m: Message): Uint8Array {
  let payloadBytes = 64;
  for (const e of m.entries) payloadBytes += e.data.byteLength + 24;
  if (m.snapshot) payloadBytes += m.snapshot.data.byteLength + 64;
  const w = new ByteWriter(payloadBytes);
  w.u8(formatVersion).u8(messageTypes.indexOf(m.type)).string(m.from).string(m.to);
  w.uint(m.term).uint(m.logTerm).uint(m.index).uint(m.commit).bool(m.reject).uint(m.rejectHint);
  w.uint(m.entries.length);
  for (const e of m.entries) w.uint(e.term).uint(e.index).u8(entryTypes.indexOf(e.type)).bytes(e.data);
  w.bool(m.snapshot !== undefined);
  if (m.snapshot) {
    w.uint(m.snapshot.meta.index).uint(m.snapshot.meta.term);
    writeConf(w, m.snapshot.meta.conf);
    w.bytes(m.snapshot.data);
  }
  w.bool(m.context !== undefined);
  if (m.context) w.bytes(m.context);
  return w.finish();
}

/** Decodes a message; throws DecodeError on malformed input. Entry data are views into `data`. */
export function decodeMessage(data: Uint8Array): Message {
  const r = new ByteReader(data);
  const version = r.u8();
  if (version !== formatVersion) throw new DecodeError(`unknown message format version ${version}`);
  const type = messageTypes[r.u8()];
  if (type === undefined) throw new DecodeError('unknown message type');
  const from = r.string() as NodeId;
  const to = r.string() as NodeId;
  const term = r.uint() as Term;
  const logTerm = r.uint() as Term;
  const index = r.uint() as Index;
  const commit = r.uint() as Index;
  const reject = r.bool();
  const rejectHint = r.uint() as Index;
  const count = r.uint();
  const entries: Entry[] = new Array<Entry>(count);
  for (let i = 0; i < count; i++) {
    const entryTerm = r.uint() as Term;
    const entryIndex = r.uint() as Index;
    const entryType = entryTypes[r.u8()];
    if (entryType === undefined) throw new DecodeError('unknown entry type');
    entries[i] = { term: entryTerm, index: entryIndex, type: entryType, data: r.bytes() };
  }
  let snapshot: Snapshot | undefined;
  if (r.bool()) {
    const snapIndex = r.uint() as Index;
    const snapTerm = r.uint() as Term;
    const voters = readIds(r);
    const learners = readIds(r);
    snapshot = { meta: { index: snapIndex, term: snapTerm, conf: { voters, learners } }, data: r.bytes() };
  }
  const context = r.bool() ? r.bytes() : undefined;
  if (!r.done) throw new DecodeError('trailing bytes after a message');
  return {
    type, from, to, term, logTerm, index, entries, commit, reject, rejectHint,
    ...(snapshot ? { snapshot } : {}),
    ...(context ? { context } : {}),
  };
}
