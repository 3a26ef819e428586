// A protobuf response written as JSON the way etcd 3.4's grpc-gateway writes it (golang/protobuf's
// jsonpb with OrigName and without EmitDefaults): proto field names, fields in declaration order,
// every zero value left out (0, "", false, empty bytes, enum value 0, empty lists, unset
// messages), 64-bit integers as strings, 32-bit ones as numbers, bytes as standard base64, enums
// by name. A message that is set but empty is still written, as {}. Clients test for the presence
// of a field ("created", "deleted"), so an explicit zero would change what they read.
import protobuf from 'protobufjs';

const longTypes = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

function isZero(field: protobuf.Field, value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (field.resolvedType instanceof protobuf.Type) return false;
  if (value instanceof Uint8Array) return value.length === 0;
  if (typeof value === 'object' && 'low' in value && 'high' in value) {
    const long = value as { low: number; high: number };
    return long.low === 0 && long.high === 0;
  }
  return value === 0 || value === '' || value === false;
}

function scalarToJson(field: protobuf.Field, value: unknown): unknown {
  if (field.resolvedType instanceof protobuf.Enum) {
    const name = field.resolvedType.valuesById[value as number];
    return name ?? value;
  }
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  // protobufjs decodes 64-bit integers as Long objects (signed or not as the field is), whose
  // toString is exact.
  if (longTypes.has(field.type)) return String(value);
  return value;
}

function valueToJson(field: protobuf.Field, value: unknown): unknown {
  if (field.resolvedType instanceof protobuf.Type) return messageToJson(field.resolvedType, value as protobuf.Message);
  return scalarToJson(field, value);
}

/** The JSON object for a decoded protobufjs message of `type`. */
export function messageToJson(type: protobuf.Type, message: protobuf.Message): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    field.resolve();
    const value = (message as unknown as Record<string, unknown>)[field.name];
    if (field.repeated) {
      const list = (value ?? []) as unknown[];
      if (list.length > 0) out[field.name] = list.map((item) => valueToJson(field, item));
      continue;
    }
    if (isZero(field, value)) continue;
    out[field.name] = valueToJson(field, value);
  }
  return out;
}
