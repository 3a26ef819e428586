// The etcd .proto definitions and their loader: gRPC paths, decoding conventions (64-bit integers
// as exact decimal strings, bytes as Buffers, enum names, oneof markers) and the gateway table.
import { describe, expect, it } from 'vitest';
import { etcdServiceNames, methodDefinition, serviceDefinition } from '../../core/api/proto/load.js';
import { httpRoutes } from '../../core/api/proto/httpRoutes.js';

function roundTrip(service: Parameters<typeof methodDefinition>[0], method: string, side: 'request' | 'response', value: object): unknown {
  const definition = methodDefinition(service, method);
  if (side === 'request') return definition.requestDeserialize(definition.requestSerialize(value));
  return definition.responseDeserialize(definition.responseSerialize(value));
}

describe('etcd proto definitions', () => {
  it('builds gRPC paths from etcd package and service names', () => {
    expect(methodDefinition('etcdserverpb.KV', 'Range').path).toBe('/etcdserverpb.KV/Range');
    expect(methodDefinition('etcdserverpb.Watch', 'Watch')).toMatchObject({ requestStream: true, responseStream: true });
    expect(methodDefinition('etcdserverpb.Maintenance', 'Snapshot')).toMatchObject({ requestStream: false, responseStream: true });
    expect(methodDefinition('v3lockpb.Lock', 'Lock').path).toBe('/v3lockpb.Lock/Lock');
    expect(methodDefinition('v3electionpb.Election', 'Observe').path).toBe('/v3electionpb.Election/Observe');
    expect(Object.keys(serviceDefinition('etcdserverpb.Auth'))).toHaveLength(17);
    expect(Object.keys(serviceDefinition('etcdserverpb.KV'))).toEqual(['Range', 'Put', 'DeleteRange', 'Txn', 'Compact']);
  });

  it('keeps uint64 and int64 values exact as decimal strings', () => {
    const decoded = roundTrip('etcdserverpb.Cluster', 'MemberRemove', 'request', { ID: '18446744073709551615' });
    expect(decoded).toEqual({ ID: '18446744073709551615' });
    const lease = roundTrip('etcdserverpb.Lease', 'LeaseGrant', 'request', { TTL: 5, ID: '-9223372036854775808' });
    expect(lease).toEqual({ TTL: '5', ID: '-9223372036854775808' });
  });

  it('decodes bytes as Buffers, enums as names and fills defaults', () => {
    const decoded = roundTrip('etcdserverpb.KV', 'Range', 'request', {
      key: Buffer.from([0, 255]),
      sort_order: 'DESCEND',
      sort_target: 4,
    }) as Record<string, unknown>;
    expect(Buffer.isBuffer(decoded.key)).toBe(true);
    expect(decoded.key).toEqual(Buffer.from([0, 255]));
    expect(decoded.range_end).toEqual(Buffer.alloc(0));
    expect(decoded.sort_order).toBe('DESCEND');
    expect(decoded.sort_target).toBe('VALUE');
    expect(decoded.limit).toBe('0');
    expect(decoded.serializable).toBe(false);
  });

  it('marks which member of a oneof is set', () => {
    const watch = roundTrip('etcdserverpb.Watch', 'Watch', 'request', { cancel_request: { watch_id: 7 } });
    expect(watch).toMatchObject({ request_union: 'cancel_request', cancel_request: { watch_id: '7' } });
    const txn = roundTrip('etcdserverpb.KV', 'Txn', 'request', {
      compare: [{ key: Buffer.from('k'), target: 'VALUE', result: 'NOT_EQUAL', value: Buffer.from('v') }],
      success: [{ request_put: { key: Buffer.from('k'), value: Buffer.from('v') } }],
    }) as { compare: { target_union: string }[]; success: { request: string }[] };
    expect(txn.compare[0]?.target_union).toBe('value');
    expect(txn.success[0]?.request).toBe('request_put');
  });

  it('decodes unset sub-messages as null', () => {
    const decoded = roundTrip('etcdserverpb.KV', 'Put', 'response', {});
    expect(decoded).toEqual({ header: null, prev_kv: null });
  });

  it('maps every gateway route to a defined method', () => {
    const paths = new Set<string>();
    for (const route of httpRoutes) {
      const definition = methodDefinition(route.service, route.method);
      expect(definition.responseStream).toBe(route.streaming);
      paths.add(route.path);
    }
    expect(paths.size).toBe(httpRoutes.length);
    expect(etcdServiceNames).toHaveLength(8);
  });
});
