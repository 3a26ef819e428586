// Answers relayed to the JSON gateway without their default-valued fields. core/client decodes
// upstream answers with every default filled in, and re-encoding such an answer marks them as
// present, so the gateway (which prints present fields, as etcd's grpc-gateway prints what Go
// sent) would show `"lease":"0"` and `"more":false` where a member shows nothing. Go leaves
// proto3 defaults out of every message; so does this, using the message types of the .proto files.
import path from 'node:path';
import protobuf from 'protobufjs';
import { protoDirectory, protoFiles, type EtcdServiceName } from '../api/proto/load.js';

let root: protobuf.Root | undefined;

function protoRoot(): protobuf.Root {
  if (root) return root;
  const loaded = new protobuf.Root();
  loaded.resolvePath = (_origin, target) => path.join(protoDirectory, path.basename(target));
  loaded.loadSync(protoFiles, { keepCase: true });
  root = loaded;
  return loaded;
}

function isDefault(field: protobuf.Field, value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (field.resolvedType instanceof protobuf.Enum) {
    const zero = Object.entries(field.resolvedType.values).find(([, number]) => number === 0)?.[0];
    return value === 0 || value === zero;
  }
  if (field.resolvedType instanceof protobuf.Type) return false;
  if (value instanceof Uint8Array) return value.length === 0;
  if (field.type === 'string') return value === '';
  if (field.type === 'bool') return value === false;
  return value === 0 || value === '0';
}

function strip(type: protobuf.Type, message: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(message)) {
    const field = type.fields[name];
    if (!field) continue;
    field.resolve();
    const child = field.resolvedType instanceof protobuf.Type ? field.resolvedType : null;
    if (field.repeated) {
      const items = value as unknown[];
      if (items.length === 0) continue;
      out[name] = child ? items.map((item) => strip(child, item as Record<string, unknown>)) : items;
    } else if (child) {
      if (value !== null && value !== undefined) out[name] = strip(child, value as Record<string, unknown>);
    } else if (!isDefault(field, value)) {
      out[name] = value;
    }
  }
  return out;
}

/** `response` of `service/method` with default scalars, empty lists and unset messages left out. */
export function withoutDefaults(service: EtcdServiceName, method: string, response: object): object {
  const definition = protoRoot().lookupService(service).methods[method];
  if (!definition) return response;
  definition.resolve();
  const type = definition.resolvedResponseType;
  return type ? strip(type, response as Record<string, unknown>) : response;
}
