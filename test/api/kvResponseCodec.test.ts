// The hand-written KV response encoders against the reflective one (protobufjs, through the
// service definition every client decodes with): seeded random responses, both encodings decoded
// the same way, must read the same, and a value the hand encoders do not take must be handed
// back (null) rather than written wrong. The same for Range and Put answers encoded straight from
// the store's values, against their wire objects.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { framePutAnswer, frameRangeAnswer, kvResponseFrameEncoders } from '../../core/api/kvResponseCodec.js';
import { putResponseToWire, rangeResponseToWire } from '../../core/api/convert.js';
import type { HeaderInfo } from '../../core/api/backend.js';
import type { KeyValue, PutResponse, RangeResponse } from '../../core/mvcc/types.js';
import { serviceDefinition } from '../../core/api/proto/load.js';

const kv = serviceDefinition('etcdserverpb.KV');

/** The message inside a gRPC frame, checking the frame's header (uncompressed, its length). */
function unframed(frame: Buffer | null): Buffer | null {
  if (frame === null) return null;
  expect(frame[0]).toBe(0);
  expect(frame.readUInt32BE(1)).toBe(frame.length - 5);
  return frame.subarray(5);
}

const kvResponseEncoders = Object.fromEntries(Object.entries(kvResponseFrameEncoders).map(([method, encode]) => [method, (response: never) => unframed(encode(response))]));

const uint64 = fc.oneof(fc.constant('0'), fc.nat({ max: 300 }).map(String), fc.maxSafeNat().map(String), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String));
const int64 = fc.oneof(uint64.filter((s) => BigInt(s) < 2n ** 63n), fc.bigInt({ min: -(2n ** 63n), max: -1n }).map(String));
const bytes = fc.oneof(fc.constant(Buffer.alloc(0)), fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)), fc.constant(Buffer.alloc(300, 7)));

const header = fc.option(fc.record({ cluster_id: uint64, member_id: uint64, revision: int64, raft_term: uint64 }), { nil: null });
const keyValue = fc.record({ key: bytes, create_revision: int64, mod_revision: int64, version: int64, value: bytes, lease: int64 });

const rangeResponse = fc.record({ header, kvs: fc.array(keyValue, { maxLength: 6 }), more: fc.boolean(), count: int64 });
const putResponse = fc.record({ header, prev_kv: fc.option(keyValue, { nil: null }) });
const deleteRangeResponse = fc.record({ header, deleted: int64, prev_kvs: fc.array(keyValue, { maxLength: 4 }) });
const { txnResponse } = fc.letrec<{ txnResponse: object; responseOp: object }>((tie) => ({
  txnResponse: fc.record({ header, succeeded: fc.boolean(), responses: fc.array(tie('responseOp'), { maxLength: 3 }) }),
  responseOp: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    rangeResponse.map((r) => ({ response: 'response_range', response_range: r })),
    putResponse.map((r) => ({ response: 'response_put', response_put: r })),
    deleteRangeResponse.map((r) => ({ response: 'response_delete_range', response_delete_range: r })),
    tie('txnResponse').map((r) => ({ response: 'response_txn', response_txn: r })),
  ),
}));

const cases = [
  ['Range', rangeResponse],
  ['Put', putResponse],
  ['DeleteRange', deleteRangeResponse],
  ['Txn', txnResponse],
] as const;

describe('hand-written KV response encoders', () => {
  it.each(cases)('%s: what they write reads as what protobufjs writes', (method, arbitrary) => {
    const codec = kv[method]!;
    const encode = kvResponseEncoders[method]!;
    fc.assert(
      fc.property(arbitrary as fc.Arbitrary<object>, (response) => {
        const fast = encode(response as never);
        expect(fast).not.toBeNull();
        expect(codec.responseDeserialize(fast!)).toEqual(codec.responseDeserialize(codec.responseSerialize(response)));
      }),
      { seed: 20261205, numRuns: 400 },
    );
  });

  it('leaves out zero scalars, as etcd does, and writes an empty header that is set', () => {
    const encoded = kvResponseEncoders['Put']!({ header: { cluster_id: '0', member_id: '0', revision: '0', raft_term: '0' }, prev_kv: null } as never);
    expect(encoded?.toString('hex')).toBe('0a00');
  });

  it('writes a known range answer byte for byte', () => {
    const encoded = kvResponseEncoders['Range']!({
      header: { cluster_id: '18446744073709551615', member_id: '1', revision: '300', raft_term: '2' },
      kvs: [{ key: Buffer.from('a'), create_revision: '2', mod_revision: '3', version: '1', value: Buffer.from('b'), lease: '-1' }],
      more: true,
      count: '1',
    } as never);
    // header: cluster_id 2^64-1 (ten bytes), member_id 1, revision 300 (ac 02), raft_term 2;
    // kv: key "a", create 2, mod 3, version 1, value "b", lease -1 (ten bytes); more; count 1.
    const headerHex = '08ffffffffffffffffff01' + '1001' + '18ac02' + '2002';
    const kvHex = '0a0161' + '1002' + '1803' + '2001' + '2a0162' + '30ffffffffffffffffff01';
    expect(encoded?.toString('hex')).toBe(`0a${(headerHex.length / 2).toString(16).padStart(2, '0')}${headerHex}12${(kvHex.length / 2).toString(16).padStart(2, '0')}${kvHex}18012001`);
  });

  it.each([
    ['a revision that is not a decimal string', { header: { cluster_id: '1', member_id: '1', revision: '1e3', raft_term: '1' }, prev_kv: null }],
    ['an id past 64 bits', { header: { cluster_id: '18446744073709551616', member_id: '1', revision: '1', raft_term: '1' }, prev_kv: null }],
    ['a key that is not bytes', { header: null, prev_kv: { key: 'a', create_revision: '1', mod_revision: '1', version: '1', value: Buffer.alloc(0), lease: '0' } }],
  ])('hands back %s to the reflective encoder', (_name, response) => {
    expect(kvResponseEncoders['Put']!(response as never)).toBeNull();
  });
});

describe('Range and Put answers encoded from the store\'s values', () => {
  const hexId = fc.oneof(fc.constant('0'), fc.constant('1'), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((n) => n.toString(16)), fc.constant('ffffffffffffffff'));
  const info = fc.record({ clusterId: hexId, memberId: hexId, raftTerm: fc.oneof(fc.nat({ max: 5 }), fc.maxSafeNat()), revision: fc.maxSafeNat() });
  const storeKv: fc.Arbitrary<KeyValue> = fc.record({
    key: bytes,
    createRevision: fc.oneof(fc.nat({ max: 300 }), fc.maxSafeNat()),
    modRevision: fc.oneof(fc.nat({ max: 300 }), fc.maxSafeNat()),
    version: fc.oneof(fc.nat({ max: 300 }), fc.maxSafeNat()),
    value: bytes,
    lease: fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 2n ** 53n + 5n }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })),
  });
  const range: fc.Arbitrary<RangeResponse> = fc.record({ revision: fc.maxSafeNat(), kvs: fc.array(storeKv, { maxLength: 6 }), more: fc.boolean(), count: fc.maxSafeNat() });
  const put: fc.Arbitrary<PutResponse> = fc.oneof(fc.record({ revision: fc.maxSafeNat() }), fc.record({ revision: fc.maxSafeNat(), prevKv: storeKv }));

  it.each([
    ['Range', range, (h: HeaderInfo, r: never) => frameRangeAnswer(h, r), (h: HeaderInfo, r: never) => rangeResponseToWire(h, r)],
    ['Put', put, (h: HeaderInfo, r: never) => framePutAnswer(h, r), (h: HeaderInfo, r: never) => putResponseToWire(h, r)],
  ] as const)('%s: reads as the reflective encoding of its wire object', (method, answers, frameAnswer, toWire) => {
    const codec = kv[method]!;
    fc.assert(
      fc.property(info, answers as fc.Arbitrary<object>, (h: HeaderInfo, r) => {
        const fast = unframed(frameAnswer(h, r as never));
        expect(fast).not.toBeNull();
        expect(codec.responseDeserialize(fast!)).toEqual(codec.responseDeserialize(codec.responseSerialize(toWire(h, r as never))));
      }),
      { seed: 20261206, numRuns: 400 },
    );
  });

  it('writes the same bytes for an id the second time (from its cache) as the first', () => {
    const h: HeaderInfo = { clusterId: 'fedcba9876543210', memberId: '8e9e05c52164694d', raftTerm: 2, revision: 9 };
    const answer: PutResponse = { revision: 9, prevKv: { key: Buffer.from('k'), value: Buffer.alloc(0), createRevision: 1, modRevision: 2, version: 2, lease: 7587862179470046467n } };
    const first = framePutAnswer(h, answer);
    expect(framePutAnswer(h, answer)).toEqual(first);
    expect(unframed(first)).toEqual(unframed(kvResponseFrameEncoders['Put']!(putResponseToWire(h, answer) as never)));
  });

  it('hands back a value out of its reach to the reflective encoder', () => {
    expect(framePutAnswer({ clusterId: 'not hex', memberId: '1', raftTerm: 1, revision: 1 }, { revision: 1 })).toBeNull();
    expect(frameRangeAnswer({ clusterId: '1', memberId: '1', raftTerm: 1, revision: 1 }, { revision: 1, kvs: [], more: false, count: -1 })).toBeNull();
  });
});
