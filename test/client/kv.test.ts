// KV calls of the etcd client against a real single-member etcd.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Compare, EtcdError, Op } from '../../core/client/index.js';
import type { EtcdClient } from '../../core/client/index.js';
import { EtcdTestCluster } from '../support/etcd.js';

let etcd: EtcdTestCluster;
let client: EtcdClient;

beforeAll(async () => {
  etcd = await EtcdTestCluster.start();
  client = etcd.client();
});

afterAll(async () => {
  await etcd.stop();
});

describe('KV against real etcd', () => {
  it('puts and gets a key with its revisions, version and string accessors', async () => {
    const put = await client.kv.put('kv/a', 'alpha');
    expect(put.header.revision).toBeGreaterThan(1);
    expect(put.header.clusterId).toMatch(/^\d+$/);
    const kv = await client.kv.getOne('kv/a');
    expect(kv?.valueString).toBe('alpha');
    expect(kv?.keyString).toBe('kv/a');
    expect(kv?.createRevision).toBe(put.header.revision);
    expect(kv?.modRevision).toBe(put.header.revision);
    expect(kv?.version).toBe(1);
    expect(kv?.lease).toBe('0');
    expect(await client.kv.getOne('kv/missing')).toBeNull();
  });

  it('stores binary keys and values byte for byte', async () => {
    const key = Uint8Array.from([0x6b, 0x00, 0xff, 0x80]);
    const value = Uint8Array.from([0, 1, 2, 254, 255]);
    await client.kv.put(key, value);
    const kv = await client.kv.getOne(key);
    expect(kv?.key.equals(Buffer.from(key))).toBe(true);
    expect(kv?.value.equals(Buffer.from(value))).toBe(true);
  });

  it('returns the previous pair of a put when asked', async () => {
    await client.kv.put('kv/prev', 'one');
    const second = await client.kv.put('kv/prev', 'two', { prevKv: true });
    expect(second.prevKv?.valueString).toBe('one');
    expect(second.prevKv?.version).toBe(1);
    const third = await client.kv.put('kv/prev', 'three');
    expect(third.prevKv).toBeNull();
  });

  it('ranges by prefix, range end and from-key, with limit, count and sorting', async () => {
    for (const name of ['c', 'a', 'b', 'd']) await client.kv.put(`range/${name}`, `value-${name}`);
    await client.kv.put('rangf', 'outside');

    const prefix = await client.kv.get('range/', { prefix: true });
    expect(prefix.kvs.map((kv) => kv.keyString)).toEqual(['range/a', 'range/b', 'range/c', 'range/d']);
    expect(prefix.count).toBe(4);

    const limited = await client.kv.get('range/', { prefix: true, limit: 2, sortOrder: 'descend' });
    expect(limited.kvs.map((kv) => kv.keyString)).toEqual(['range/d', 'range/c']);
    expect(limited.more).toBe(true);
    expect(limited.count).toBe(4);

    const between = await client.kv.get('range/b', { rangeEnd: 'range/d' });
    expect(between.kvs.map((kv) => kv.keyString)).toEqual(['range/b', 'range/c']);

    const fromKey = await client.kv.get('range/d', { fromKey: true });
    expect(fromKey.kvs.map((kv) => kv.keyString)).toEqual(['range/d', 'rangf']);

    const byModDescending = await client.kv.get('range/', { prefix: true, sortTarget: 'mod', sortOrder: 'descend' });
    expect(byModDescending.kvs.map((kv) => kv.keyString)).toEqual(['range/d', 'range/b', 'range/a', 'range/c']);

    const keysOnly = await client.kv.get('range/', { prefix: true, keysOnly: true });
    expect(keysOnly.kvs.every((kv) => kv.value.length === 0)).toBe(true);

    const countOnly = await client.kv.get('range/', { prefix: true, countOnly: true });
    expect(countOnly.kvs).toEqual([]);
    expect(countOnly.count).toBe(4);

    const serializable = await client.kv.get('range/a', { serializable: true });
    expect(serializable.kvs[0]?.valueString).toBe('value-a');
  });

  it('filters a range by mod and create revisions', async () => {
    const first = await client.kv.put('rev/1', 'x');
    const second = await client.kv.put('rev/2', 'x');
    await client.kv.put('rev/1', 'y');
    const created = await client.kv.get('rev/', { prefix: true, minCreateRevision: second.header.revision });
    expect(created.kvs.map((kv) => kv.keyString)).toEqual(['rev/2']);
    const modified = await client.kv.get('rev/', { prefix: true, maxModRevision: second.header.revision });
    expect(modified.kvs.map((kv) => kv.keyString)).toEqual(['rev/2']);
    const createdEarly = await client.kv.get('rev/', { prefix: true, maxCreateRevision: first.header.revision });
    expect(createdEarly.kvs.map((kv) => kv.keyString)).toEqual(['rev/1']);
    const modifiedLate = await client.kv.get('rev/', { prefix: true, minModRevision: second.header.revision + 1 });
    expect(modifiedLate.kvs.map((kv) => kv.keyString)).toEqual(['rev/1']);
  });

  it('reads an older revision of a key', async () => {
    const first = await client.kv.put('history', 'v1');
    await client.kv.put('history', 'v2');
    const old = await client.kv.get('history', { revision: first.header.revision });
    expect(old.kvs[0]?.valueString).toBe('v1');
  });

  it('deletes single keys and prefixes, returning previous pairs', async () => {
    await client.kv.put('del/a', '1');
    await client.kv.put('del/b', '2');
    await client.kv.put('del/c', '3');
    const one = await client.kv.delete('del/a', { prevKv: true });
    expect(one.deleted).toBe(1);
    expect(one.prevKvs.map((kv) => kv.valueString)).toEqual(['1']);
    const rest = await client.kv.delete('del/', { prefix: true });
    expect(rest.deleted).toBe(2);
    expect(rest.prevKvs).toEqual([]);
    expect((await client.kv.get('del/', { prefix: true })).count).toBe(0);
    expect((await client.kv.delete('del/none')).deleted).toBe(0);
  });

  it('updates a key keeping its value with ignoreValue, and refuses it for a missing key', async () => {
    await client.kv.put('ignore', 'kept');
    await client.kv.put('ignore', '', { ignoreValue: true });
    expect((await client.kv.getOne('ignore'))?.valueString).toBe('kept');
    const failure = await client.kv.put('ignore/missing', '', { ignoreValue: true }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(EtcdError);
    expect((failure as EtcdError).message).toBe('etcdserver: key not found');
    expect((failure as EtcdError).codeName).toBe('INVALID_ARGUMENT');
  });

  it('runs the success branch of a transaction when its guards hold', async () => {
    await client.kv.put('txn/a', '1');
    const result = await client.kv
      .txn()
      .if(Compare.value('txn/a', '=', '1'), Compare.version('txn/b', '=', 0))
      .then(Op.put('txn/b', '2'), Op.get('txn/a'), Op.delete('txn/a', { prevKv: true }))
      .else(Op.put('txn/failed', 'yes'))
      .commit();
    expect(result.succeeded).toBe(true);
    expect(result.results.map((op) => op.type)).toEqual(['put', 'get', 'delete']);
    const get = result.results[1];
    expect(get?.type === 'get' && get.result.kvs[0]?.valueString).toBe('1');
    const deleted = result.results[2];
    expect(deleted?.type === 'delete' && deleted.result.prevKvs[0]?.valueString).toBe('1');
    expect((await client.kv.getOne('txn/b'))?.valueString).toBe('2');
    expect(await client.kv.getOne('txn/failed')).toBeNull();
  });

  it('runs the failure branch of a transaction when a guard fails', async () => {
    const put = await client.kv.put('txn2/a', 'x');
    const result = await client.kv
      .txn()
      .if(Compare.modRevision('txn2/a', '<', put.header.revision))
      .then(Op.put('txn2/then', '1'))
      .else(Op.put('txn2/else', '1'), Op.get('txn2/', { prefix: true }))
      .commit();
    expect(result.succeeded).toBe(false);
    const get = result.results[1];
    expect(get?.type === 'get' && get.result.kvs.map((kv) => kv.keyString)).toEqual(['txn2/a', 'txn2/else']);
    expect(await client.kv.getOne('txn2/then')).toBeNull();
  });

  it('compares create revisions and leases, and over ranges', async () => {
    const put = await client.kv.put('txn3/a', 'x');
    await client.kv.put('txn3/b', 'x');
    const result = await client.kv
      .txn()
      .if(
        Compare.createRevision('txn3/a', '=', put.header.revision),
        Compare.lease('txn3/a', '=', 0),
        Compare.value('txn3/', '=', 'x', { prefix: true }),
        Compare.value('txn3/a', '!=', 'y'),
      )
      .then(Op.get('txn3/a'))
      .commit();
    expect(result.succeeded).toBe(true);
  });

  it('compacts history so older revisions can no longer be read', async () => {
    const first = await client.kv.put('compact', 'v1');
    const second = await client.kv.put('compact', 'v2');
    await client.kv.compact(second.header.revision, { physical: true });
    const failure = await client.kv.get('compact', { revision: first.header.revision }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(EtcdError);
    expect((failure as EtcdError).message).toBe('etcdserver: mvcc: required revision has been compacted');
    expect((failure as EtcdError).codeName).toBe('OUT_OF_RANGE');
    const again = await client.kv.compact(first.header.revision).catch((error: unknown) => error);
    expect((again as EtcdError).message).toBe('etcdserver: mvcc: required revision has been compacted');
  });

  it('reports a future revision as an etcd error', async () => {
    const failure = await client.kv.get('any', { revision: 1_000_000 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(EtcdError);
    expect((failure as EtcdError).message).toBe('etcdserver: mvcc: required revision is a future revision');
  });

  it('fails a call that exceeds its deadline with DEADLINE_EXCEEDED', async () => {
    const failure = await client.kv.get('deadline', { timeoutMs: 0 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(EtcdError);
    expect((failure as EtcdError).codeName).toBe('DEADLINE_EXCEEDED');
  });
});
