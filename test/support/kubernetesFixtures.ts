// Kubernetes objects encoded as the API server stores them in etcd (`k8s\0` + runtime.Unknown),
// built with protobufjs from the console's own schema table, so tests decode real wire bytes.
import protobuf from 'protobufjs';
import { kubernetesKinds, kubernetesMessages } from '../../renderer/kubernetesSchema.js';

const scalarTypes: Record<string, string> = { s: 'string', b: 'bytes', B: 'bool', i: 'int32', l: 'int64', u: 'uint32', U: 'uint64', d: 'double', f: 'float' };

function typeName(name: string): string {
  return name.replace(/\./g, '_');
}

function buildRoot(): protobuf.Root {
  const root = new protobuf.Root();
  const referenced = new Set<string>();
  const protoType = (code: string): string => {
    const scalar = scalarTypes[code];
    if (scalar !== undefined) return scalar;
    referenced.add(code);
    return typeName(code);
  };
  for (const [name, table] of Object.entries(kubernetesMessages)) {
    const type = new protobuf.Type(typeName(name));
    for (const entry of table.split(',')) {
      const [number, fieldName, code] = entry.split(' ') as [string, string, string];
      if (code.startsWith('{')) {
        const [keyCode, valueCode] = code.slice(1, -1).split(':') as [string, string];
        type.add(new protobuf.MapField(fieldName, Number(number), protoType(keyCode), protoType(valueCode)));
      } else {
        const repeated = code.endsWith('*');
        type.add(new protobuf.Field(fieldName, Number(number), protoType(repeated ? code.slice(0, -1) : code), repeated ? 'repeated' : 'optional'));
      }
    }
    root.add(type);
  }
  // Messages the table leaves out (volumes, probes…) are empty here: fixtures do not set them.
  for (const name of referenced) if (kubernetesMessages[name] === undefined) root.add(new protobuf.Type(typeName(name)));
  root.resolveAll();
  return root;
}

let cachedRoot: protobuf.Root | null = null;

/** The protobufjs type of a message in the table, e.g. `core.v1.ConfigMap`. */
export function kubernetesType(name: string): protobuf.Type {
  cachedRoot ??= buildRoot();
  return cachedRoot.lookupType(typeName(name));
}

/** The bytes Kubernetes stores for `object` of `apiVersion`/`kind` (plain object in the table's field names). */
export function encodeStoredObject(apiVersion: string, kind: string, object: Record<string, unknown>): Uint8Array {
  const messageName = kubernetesKinds[`${apiVersion}/${kind}`];
  if (messageName === undefined) throw new Error(`no schema for ${apiVersion}/${kind}`);
  const type = kubernetesType(messageName);
  const raw = type.encode(type.fromObject(object)).finish();
  return wrapStored(apiVersion, kind, raw);
}

/** Wraps raw object bytes in the runtime.Unknown envelope with the `k8s\0` magic. */
export function wrapStored(apiVersion: string, kind: string, raw: Uint8Array): Uint8Array {
  const unknown = kubernetesType('runtime.Unknown');
  const envelope = unknown.encode(unknown.fromObject({ typeMeta: { apiVersion, kind }, raw, contentEncoding: '', contentType: '' })).finish();
  const stored = new Uint8Array(4 + envelope.length);
  stored.set([0x6b, 0x38, 0x73, 0x00]);
  stored.set(envelope, 4);
  return stored;
}

/** A ConfigMap as stored under /registry/configmaps/NAMESPACE/NAME. */
export function storedConfigMap(namespace: string, name: string, data: Record<string, string>): Uint8Array {
  return encodeStoredObject('v1', 'ConfigMap', {
    metadata: { name, namespace, uid: '6f1c1c9e-58a5-4a5e-9f51-3a3c2b1d0e01', resourceVersion: '', creationTimestamp: { seconds: 1767225600, nanos: 0 } },
    data,
  });
}
