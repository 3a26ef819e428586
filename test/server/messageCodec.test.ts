import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeMessage, encodeMessage } from '../../core/server/messageCodec.js';
import { messageTypes, type Message } from '../../core/raft/message.js';
import type { Index, NodeId, Term } from '../../core/raft/types.js';
import { DecodeError } from '../../core/util/binary.js';

const id = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 1, maxLength: 16 }).map((s) => s as NodeId);
const n = fc.nat({ max: 2 ** 40 });
const entry = fc.record({
  term: n.map((x) => x as Term), index: n.map((x) => x as Index),
  type: fc.constantFrom('normal', 'confChange' as const), data: fc.uint8Array({ maxLength: 64 }),
});
const message: fc.Arbitrary<Message> = fc.record(
  {
    type: fc.constantFrom(...messageTypes), from: id, to: id,
    term: n.map((x) => x as Term), logTerm: n.map((x) => x as Term), index: n.map((x) => x as Index),
    entries: fc.array(entry, { maxLength: 5 }), commit: n.map((x) => x as Index), reject: fc.boolean(),
    rejectHint: n.map((x) => x as Index),
    snapshot: fc.record({
      meta: fc.record({ index: n.map((x) => x as Index), term: n.map((x) => x as Term), conf: fc.record({ voters: fc.array(id, { maxLength: 5 }), learners: fc.array(id, { maxLength: 2 }) }) }),
      data: fc.uint8Array({ maxLength: 64 }),
    }),
    context: fc.uint8Array({ maxLength: 16 }),
  },
  { requiredKeys: ['type', 'from', 'to', 'term', 'logTerm', 'index', 'entries', 'commit', 'reject', 'rejectHint'] },
);

describe('raft message encoding', () => {
  it('round-trips every message kind with entries, snapshots and contexts', () => {
    fc.assert(
      fc.property(message, (m) => {
        expect(decodeMessage(encodeMessage(m))).toEqual(m);
      }),
      { seed: 77, numRuns: 500 },
    );
  });

  it('refuses truncated and oversized input', () => {
    const data = encodeMessage({
      type: 'app', from: '1' as NodeId, to: '2' as NodeId, term: 3 as Term, logTerm: 2 as Term, index: 9 as Index,
      entries: [{ term: 3 as Term, index: 10 as Index, type: 'normal', data: new Uint8Array([1, 2, 3]) }],
      commit: 8 as Index, reject: false, rejectHint: 0 as Index,
    });
    for (let cut = 0; cut < data.length; cut++) expect(() => decodeMessage(data.subarray(0, cut))).toThrow(DecodeError);
    expect(() => decodeMessage(new Uint8Array([...data, 1]))).toThrow(DecodeError);
  });
});
