// Decoding Kubernetes' stored protobuf objects: a hand-assembled ConfigMap (bytes written from the
// wire format, independent of the schema table), objects encoded with protobufjs from the table,
// unknown kinds and fields in the generic dump, and malformed values.
import { describe, expect, it } from 'vitest';
import { load } from 'js-yaml';
import { decodeKubernetesValue, isKubernetesValue, kubernetesToJson, kubernetesToYaml } from '../../renderer/kubernetesObject';
import type { KubernetesObject } from '../../renderer/kubernetesObject';
import { kubernetesKinds } from '../../renderer/kubernetesSchema';
import { dumpMessage } from '../../renderer/protobufWire';
import { encodeStoredObject, kubernetesType, storedConfigMap, wrapStored } from '../support/kubernetesFixtures';

const ascii = (text: string): number[] => Array.from(text, (char) => char.charCodeAt(0));

function decoded(bytes: Uint8Array): KubernetesObject {
  const result = decodeKubernetesValue(bytes);
  if (!result.ok) throw new Error(result.message);
  return result.value;
}

// /registry/configmaps/default/x, assembled byte by byte: tag = field number << 3 | wire type.
const objectMeta = [
  0x0a, 0x01, ...ascii('x'), // 1 name (bytes): "x"
  0x1a, 0x07, ...ascii('default'), // 3 namespace: "default"
  0x42, 0x06, 0x08, 0x80, 0xf2, 0xd6, 0xca, 0x06, // 8 creationTimestamp: Time{1 seconds: 1767225600}
  0x98, 0x06, 0x07, // 99 (varint): 7, a field ObjectMeta does not have
];
const configMap = [
  0x0a, 0x17, ...objectMeta, // 1 metadata (23 bytes)
  0x12, 0x0c, 0x0a, 0x03, ...ascii('key'), 0x12, 0x05, ...ascii('value'), // 2 data: map entry {1 key, 2 value}
];
const typeMeta = [0x0a, 0x02, ...ascii('v1'), 0x12, 0x09, ...ascii('ConfigMap')];
const handAssembled = Uint8Array.from([
  ...ascii('k8s'), 0x00,
  0x0a, 0x0f, ...typeMeta, // 1 typeMeta
  0x12, 0x27, ...configMap, // 2 raw (39 bytes)
  0x1a, 0x00, // 3 contentEncoding: ""
  0x22, 0x00, // 4 contentType: ""
]);

describe('Kubernetes stored objects', () => {
  it('decodes a hand-assembled ConfigMap into YAML with names, times and unknown fields', () => {
    expect(isKubernetesValue(handAssembled)).toBe(true);
    const object = decoded(handAssembled);
    expect(object).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap', known: true });
    expect(kubernetesToYaml(object)).toBe(
      [
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata:',
        '  name: x',
        '  namespace: default',
        "  creationTimestamp: '2026-01-01T00:00:00Z'",
        '  99:varint: 7',
        'data:',
        '  key: value',
        '',
      ].join('\n'),
    );
    expect(JSON.parse(kubernetesToJson(object))).toEqual(load(kubernetesToYaml(object)));
  });

  it('decodes the same ConfigMap encoded by protobufjs from the schema table', () => {
    const object = decoded(storedConfigMap('default', 'x', { key: 'value', other: 'line 1\nline 2\n' }));
    expect(object.object).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x', namespace: 'default', uid: '6f1c1c9e-58a5-4a5e-9f51-3a3c2b1d0e01', creationTimestamp: '2026-01-01T00:00:00Z' },
      data: { key: 'value', other: 'line 1\nline 2\n' },
    });
  });

  it('decodes a Pod with containers, ports, env, quantities and status', () => {
    const bytes = encodeStoredObject('v1', 'Pod', {
      metadata: { name: 'web-0', namespace: 'shop', labels: { app: 'web' }, generation: 3, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d9', uid: 'u1', controller: true }] },
      spec: {
        containers: [
          {
            name: 'nginx',
            image: 'nginx:1.27',
            ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }],
            env: [{ name: 'MODE', value: 'prod' }, { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
            resources: { limits: { cpu: { string: '500m' }, memory: { string: '128Mi' } } },
          },
        ],
        nodeName: 'node-1',
        terminationGracePeriodSeconds: 30,
      },
      status: { phase: 'Running', podIP: '10.0.0.7', startTime: { seconds: 1767225600 }, containerStatuses: [{ name: 'nginx', ready: true, restartCount: 2 }] },
    });
    const object = decoded(bytes).object as { metadata: unknown; spec: { containers: unknown[]; nodeName: string; terminationGracePeriodSeconds: number }; status: unknown };
    expect(object.metadata).toEqual({ name: 'web-0', namespace: 'shop', labels: { app: 'web' }, generation: 3, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d9', uid: 'u1', controller: true }] });
    expect(object.spec.containers).toEqual([
      {
        name: 'nginx',
        image: 'nginx:1.27',
        ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }],
        env: [{ name: 'MODE', value: 'prod' }, { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
        resources: { limits: { cpu: '500m', memory: '128Mi' } },
      },
    ]);
    expect(object.spec.nodeName).toBe('node-1');
    expect(object.spec.terminationGracePeriodSeconds).toBe(30);
    expect(object.status).toEqual({ phase: 'Running', podIP: '10.0.0.7', startTime: '2026-01-01T00:00:00Z', containerStatuses: [{ name: 'nginx', ready: true, restartCount: 2 }] });
  });

  it('shows a Service target port as a number or a name, and Secret data as base64', () => {
    const service = decoded(
      encodeStoredObject('v1', 'Service', {
        metadata: { name: 'web' },
        spec: { type: 'ClusterIP', clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80, targetPort: { type: 1, strVal: 'http' } }, { port: 443, targetPort: { type: 0, intVal: 8443 } }] },
      }),
    ).object as { spec: { ports: unknown[] } };
    expect(service.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http' }, { port: 443, targetPort: 8443 }]);
    const secret = decoded(encodeStoredObject('v1', 'Secret', { metadata: { name: 's' }, type: 'Opaque', data: { password: new TextEncoder().encode('hunter2') } })).object;
    expect(secret).toEqual({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, type: 'Opaque', data: { password: 'aHVudGVyMg==' } });
  });

  it('decodes a Lease with micro-second times and a Deployment with its selector and template', () => {
    const lease = decoded(
      encodeStoredObject('coordination.k8s.io/v1', 'Lease', {
        metadata: { name: 'kube-scheduler', namespace: 'kube-system' },
        spec: { holderIdentity: 'node-1_abc', leaseDurationSeconds: 15, renewTime: { seconds: 1767225600, nanos: 123456789 }, leaseTransitions: 4 },
      }),
    ).object;
    expect(lease.spec).toEqual({ holderIdentity: 'node-1_abc', leaseDurationSeconds: 15, renewTime: '2026-01-01T00:00:00.123456Z', leaseTransitions: 4 });
    const deployment = decoded(
      encodeStoredObject('apps/v1', 'Deployment', {
        metadata: { name: 'web' },
        spec: { replicas: 0, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'web:1' }] } }, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: { type: 1, strVal: '25%' } } } },
        status: { replicas: 3, readyReplicas: 2 },
      }),
    ).object;
    expect(deployment.spec).toEqual({
      replicas: 0,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'web:1' }] } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%' } },
    });
    expect(deployment.status).toEqual({ replicas: 3, readyReplicas: 2 });
  });

  it('decodes every kind in the table by name, with its metadata', () => {
    expect(Object.keys(kubernetesKinds)).toEqual(
      expect.arrayContaining(['v1/Namespace', 'v1/ConfigMap', 'v1/Secret', 'v1/Service', 'v1/Pod', 'v1/Endpoints', 'v1/ServiceAccount', 'v1/Node', 'v1/Event', 'coordination.k8s.io/v1/Lease', 'apps/v1/Deployment', 'apps/v1/ReplicaSet']),
    );
    for (const key of Object.keys(kubernetesKinds)) {
      const slash = key.lastIndexOf('/');
      const [apiVersion, kind] = [key.slice(0, slash), key.slice(slash + 1)];
      const object = decoded(encodeStoredObject(apiVersion, kind, { metadata: { name: `a-${kind.toLowerCase()}`, namespace: 'ns', labels: { k: 'v' } } }));
      expect(object).toMatchObject({ apiVersion, kind, known: true });
      expect(object.object).toEqual({ apiVersion, kind, metadata: { name: `a-${kind.toLowerCase()}`, namespace: 'ns', labels: { k: 'v' } } });
    }
  });

  it('decodes an Event and a Node with their kind-specific fields', () => {
    const event = decoded(
      encodeStoredObject('v1', 'Event', {
        metadata: { name: 'web-0.1' },
        involvedObject: { kind: 'Pod', name: 'web-0', namespace: 'shop' },
        reason: 'Pulled',
        message: 'Container image pulled',
        count: 2,
        type: 'Normal',
        eventTime: { seconds: 1767225600, nanos: 5000 },
      }),
    ).object;
    expect(event).toMatchObject({ involvedObject: { kind: 'Pod', name: 'web-0', namespace: 'shop' }, reason: 'Pulled', count: 2, type: 'Normal', eventTime: '2026-01-01T00:00:00.000005Z' });
    const node = decoded(
      encodeStoredObject('v1', 'Node', {
        metadata: { name: 'node-1' },
        spec: { podCIDR: '10.244.0.0/24', taints: [{ key: 'role', value: 'db', effect: 'NoSchedule' }] },
        status: { capacity: { cpu: { string: '4' } }, addresses: [{ type: 'InternalIP', address: '192.168.1.10' }], nodeInfo: { kubeletVersion: 'v1.34.0', osImage: 'Debian' } },
      }),
    ).object;
    expect(node).toMatchObject({
      spec: { podCIDR: '10.244.0.0/24', taints: [{ key: 'role', value: 'db', effect: 'NoSchedule' }] },
      status: { capacity: { cpu: '4' }, addresses: [{ type: 'InternalIP', address: '192.168.1.10' }], nodeInfo: { kubeletVersion: 'v1.34.0', osImage: 'Debian' } },
    });
  });

  it('falls back to a generic dump for kinds without a schema', () => {
    // A made-up kind: {1 metadata {1 name "a"}, 2 spec {1 size 3, 2 ratio fixed64 1.5, 3 tag fixed32}}
    const raw = kubernetesType('core.v1.ConfigMap').encode({ metadata: { name: 'a' } }).finish();
    const spec = Uint8Array.from([0x08, 0x03, 0x11, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f, 0x1d, 1, 0, 0, 0]);
    const body = Uint8Array.from([...raw, 0x12, spec.length, ...spec, 0x1a, 0x02, 0xff, 0x00]);
    const object = decoded(wrapStored('example.com/v1', 'Widget', body));
    expect(object.known).toBe(false);
    expect(object.object).toEqual({
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      '1:message': { '1:string': 'a' },
      '2:message': { '1:varint': 3, '2:fixed64': '4609434218613702656', '3:fixed32': 1 },
      '3:bytes': '/wA=',
    });
    expect(dumpMessage(Uint8Array.from([0x08, 0x01, 0x08, 0x02]))).toEqual({ '1:varint': [1, 2] });
  });

  it('refuses values that are not well-formed protobuf and values without the magic', () => {
    const truncated = handAssembled.subarray(0, handAssembled.length - 10);
    const result = decodeKubernetesValue(truncated);
    expect(result.ok ? 'decoded' : result.message).toMatch(/Not a well-formed Kubernetes object: field 2 runs past the end/);
    expect(isKubernetesValue(new TextEncoder().encode('{"kind":"ConfigMap"}'))).toBe(false);
    expect(decodeKubernetesValue(new TextEncoder().encode('k8s')).ok).toBe(false);
  });
});
