import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeRequest, describeRequest, encodeRequest, txnDepthMax, type InternalRequest } from '../../core/server/internalRequest.js';
import { ByteWriter, DecodeError } from '../../core/util/binary.js';
import type { Compare, RequestOp, TxnRequest } from '../../core/mvcc/types.js';
import type { AuthRequest } from '../../core/auth/authStore.js';

const bytes = fc.uint8Array({ maxLength: 40 });
// Negative too: etcd accepts negative limits, revisions and compare values (a version that wrote
// them unsigned made entries no member could decode).
const revision = fc.integer({ min: -1_000_000, max: 1_000_000 });
const lease = fc.bigInt({ min: 0n, max: 2n ** 63n - 1n });

const range = fc.record({
  key: bytes, rangeEnd: bytes, limit: revision, revision,
  sortOrder: fc.constantFrom('NONE', 'ASCEND', 'DESCEND' as const),
  sortTarget: fc.constantFrom('KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE' as const),
  serializable: fc.boolean(), keysOnly: fc.boolean(), countOnly: fc.boolean(),
  minModRevision: revision, maxModRevision: revision, minCreateRevision: revision, maxCreateRevision: revision,
});
const put = fc.record({ key: bytes, value: bytes, lease, prevKv: fc.boolean(), ignoreValue: fc.boolean(), ignoreLease: fc.boolean() });
const del = fc.record({ key: bytes, rangeEnd: bytes, prevKv: fc.boolean() });
const compare: fc.Arbitrary<Compare> = fc.oneof(
  fc.record({ target: fc.constant('VERSION' as const), result: fc.constantFrom('EQUAL', 'LESS' as const), key: bytes, version: revision }),
  fc.record({ target: fc.constant('MOD' as const), result: fc.constantFrom('GREATER', 'NOT_EQUAL' as const), key: bytes, rangeEnd: bytes, modRevision: revision }),
  fc.record({ target: fc.constant('CREATE' as const), result: fc.constant('EQUAL' as const), key: bytes, createRevision: revision }),
  fc.record({ target: fc.constant('VALUE' as const), result: fc.constant('EQUAL' as const), key: bytes, value: bytes }),
  fc.record({ target: fc.constant('LEASE' as const), result: fc.constant('EQUAL' as const), key: bytes, lease }),
);
const { txn } = fc.letrec<{ txn: TxnRequest; op: RequestOp }>((tie) => ({
  txn: fc.record({
    compare: fc.array(compare, { maxLength: 3 }),
    success: fc.array(tie('op'), { maxLength: 3 }),
    failure: fc.array(tie('op'), { maxLength: 3 }),
  }),
  op: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ requestRange: range }),
    fc.record({ requestPut: put }),
    fc.record({ requestDeleteRange: del }),
    fc.record({ requestTxn: tie('txn') }),
  ),
}));

const name = fc.string({ maxLength: 20 });
const buffer = fc.uint8Array({ maxLength: 20 }).map((b) => Buffer.from(b));
const authRequest: fc.Arbitrary<AuthRequest> = fc.oneof(
  fc.constantFrom(...(['authEnable', 'authDisable', 'authStatus', 'userList', 'roleList'] as const).map((op) => ({ op }))),
  fc.record({ op: fc.constant('authenticate' as const), name, tokenPrefix: name }),
  fc.record({ op: fc.constant('userAdd' as const), name, passwordHash: fc.option(name, { nil: null }) }),
  fc.record({ op: fc.constant('userChangePassword' as const), name, passwordHash: name }),
  fc.record({ op: fc.constantFrom('userGrantRole', 'userRevokeRole' as const), name, role: name }),
  fc.record({ op: fc.constantFrom('userDelete', 'userGet', 'roleAdd', 'roleDelete', 'roleGet' as const), name }),
  fc.record({
    op: fc.constant('roleGrantPermission' as const), name,
    permission: fc.option(fc.record({ type: fc.constantFrom('READ', 'WRITE', 'READWRITE' as const), key: buffer, rangeEnd: buffer }), { nil: null }),
  }),
  fc.record({ op: fc.constant('roleRevokePermission' as const), name, key: buffer, rangeEnd: buffer }),
);

const request: fc.Arbitrary<InternalRequest> = fc.oneof(
  fc.record({ kind: fc.constant('auth' as const), auth: authRequest }),
  fc.record({ kind: fc.constant('put' as const), put }),
  fc.record({ kind: fc.constant('deleteRange' as const), deleteRange: del }),
  fc.record({ kind: fc.constant('txn' as const), txn }),
  fc.record({ kind: fc.constant('compaction' as const), compaction: fc.record({ revision, physical: fc.boolean() }) }),
  fc.record({ kind: fc.constant('leaseGrant' as const), id: lease, ttlSeconds: revision }),
  fc.record({ kind: fc.constant('leaseRevoke' as const), id: lease }),
  fc.record({ kind: fc.constant('leaseCheckpoint' as const), checkpoints: fc.array(fc.record({ id: lease, remainingTtlSeconds: revision })) }),
  fc.record({ kind: fc.constant('alarm' as const), action: fc.constantFrom('activate', 'deactivate' as const), memberId: lease, alarm: fc.constantFrom('NOSPACE', 'CORRUPT' as const) }),
  fc.record({ kind: fc.constant('memberUpdate' as const), memberId: fc.string(), peerUrls: fc.array(fc.webUrl()) }),
  fc.record({ kind: fc.constant('memberAttributes' as const), memberId: fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), maxLength: 16 }), name: fc.string(), clientUrls: fc.array(fc.webUrl()) }),
);

function nested(depth: number): TxnRequest {
  return depth === 0 ? { success: [] } : { success: [{ requestTxn: nested(depth - 1) }] };
}

describe('internal request encoding', () => {
  it('round-trips every request kind exactly', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), request, (id, q) => {
        const decoded = decodeRequest(encodeRequest({ id, request: q }));
        expect(decoded.id).toBe(id);
        expect(decoded.request).toEqual(q);
        expect(describeRequest(encodeRequest({ id, request: q }))).not.toContain('undecodable');
      }),
      { seed: 424242, numRuns: 400 },
    );
  });

  it('keeps every encoded entry whole while many more are encoded after it, small and large', () => {
    // Small entries are packed into shared slabs, large ones keep buffers of their own: none may
    // overlap another or pin a buffer far larger than itself.
    const sizes = [0, 1, 63, 64, 65, 300, 1000, 4095, 4096, 4097, 5000, 70_000];
    const kept: { data: Uint8Array; copy: Buffer; key: string; value: Buffer }[] = [];
    for (let i = 0; i < 6000; i++) {
      // Mostly small entries of every length up to 300 (many slab ends fall inside one), and now and then each size above.
      const size = i % 10 === 0 ? sizes[(i / 10) % sizes.length]! : (i * 37) % 301;
      const key = `k${i}`;
      const value = Buffer.alloc(size, i & 0xff);
      const data = encodeRequest({ id: BigInt(i), request: { kind: 'put', put: { key: Buffer.from(key), value } } });
      kept.push({ data, copy: Buffer.from(data), key, value });
      // Small ones share 64 KB slabs of entries only; large ones have about their own size.
      if (data.length <= 4096) expect(data.buffer.byteLength).toBe(64 * 1024);
      else expect(data.buffer.byteLength).toBeLessThanOrEqual(data.length + 256);
    }
    for (const { data, copy, key, value } of kept) {
      expect(Buffer.from(data).equals(copy)).toBe(true);
      const decoded = decodeRequest(data);
      expect(decoded.request.kind === 'put' && Buffer.from(decoded.request.put.key).toString()).toBe(key);
      expect(decoded.request.kind === 'put' && Buffer.from(decoded.request.put.value ?? []).equals(value)).toBe(true);
    }
  });

  it('carries the caller of a client request, and none for the member\'s own', () => {
    fc.assert(
      fc.property(fc.option(fc.record({ user: name, revision: fc.nat() }), { nil: null }), request, (caller, q) => {
        const decoded = decodeRequest(encodeRequest({ id: 3n, request: q, caller }));
        expect(decoded.caller ?? null).toEqual(caller);
        expect(decoded.request).toEqual(q);
      }),
      { seed: 1313, numRuns: 200 },
    );
  });

  it('describes an auth request by its operation and name, never its hash', () => {
    const data = encodeRequest({ id: 1n, request: { kind: 'auth', auth: { op: 'userAdd', name: 'alice', passwordHash: '$2b$10$abcdefghijklmnopqrstuu' } } });
    expect(describeRequest(data)).toBe('auth userAdd "alice"');
    expect(describeRequest(data, true)).toBe('auth userAdd');
  });

  it('hides keys when asked (the inspector does once auth is enabled)', () => {
    const data = encodeRequest({ id: 1n, request: { kind: 'put', put: { key: Buffer.from('/secret/a'), value: Buffer.from('xyz') } } });
    expect(describeRequest(data, true)).toBe('put (key hidden) (3 bytes)');
  });

  it('refuses every truncation of a valid payload', () => {
    const data = encodeRequest({ id: 7n, request: { kind: 'put', put: { key: new Uint8Array([1, 2]), value: new Uint8Array(20), prevKv: true } } });
    for (let cut = 0; cut < data.length; cut++) expect(() => decodeRequest(data.subarray(0, cut))).toThrow(DecodeError);
    expect(() => decodeRequest(new Uint8Array([...data, 0]))).toThrow('trailing bytes');
  });

  it(`refuses transactions nested deeper than ${txnDepthMax}`, () => {
    expect(() => encodeRequest({ id: 1n, request: { kind: 'txn', txn: nested(txnDepthMax) } })).not.toThrow();
    expect(() => encodeRequest({ id: 1n, request: { kind: 'txn', txn: nested(txnDepthMax + 1) } })).toThrow(RangeError);
  });

  it('describes a request readably for the inspectors', () => {
    const data = encodeRequest({ id: 1n, request: { kind: 'put', put: { key: Buffer.from('/config/a'), value: Buffer.from('xyz') } } });
    expect(describeRequest(data)).toBe('put "/config/a" (3 bytes)');
    expect(describeRequest(new Uint8Array([9]))).toContain('undecodable');
  });

  it('reads entries written by format version 1 (unsigned numbers)', () => {
    const w = new ByteWriter();
    w.u8(1).bigint(7n).u8(3).uint(42).bool(true); // version 1, id 7, compaction to 42, physical
    expect(decodeRequest(w.finish().slice())).toEqual({ id: 7n, request: { kind: 'compaction', compaction: { revision: 42, physical: true } } });
  });

  it('round-trips a negative compaction revision and lease TTL', () => {
    for (const request of [{ kind: 'compaction', compaction: { revision: -5, physical: false } }, { kind: 'leaseGrant', id: 9n, ttlSeconds: -10 }] as InternalRequest[]) {
      expect(decodeRequest(encodeRequest({ id: 1n, request })).request).toEqual(request);
    }
  });
});
