// A gateway request body mapped onto its protobuf request as etcd 3.4's grpc-gateway maps it
// (golang/protobuf's jsonpb over Go's encoding/json): fields by their proto name or lowerCamel
// JSON name (the latter wins when both are given), unknown fields ignored, null meaning "not set",
// 64-bit integers as JSON numbers or as strings holding a JSON number — kept digit for digit —
// enums by name or number, bytes as standard padded base64. A value of the wrong type is refused
// with Go's own message ("json: cannot unmarshal number into Go value of type []uint8"), the first
// failing field in the proto's declaration order deciding which. Parsing is core/api/goJson.ts.
import protobuf from 'protobufjs';
import { GoJsonError, unmarshal, type JsonNode } from './goJson.js';

/** The JSON kind Go names in a type error. */
function kindName(node: JsonNode): string {
  return node.kind === 'bool' ? 'bool' : node.kind;
}

function typeError(value: string, goType: string): GoJsonError {
  return new GoJsonError(`json: cannot unmarshal ${value} into Go value of type ${goType}`);
}

/** protoc's JSON name: underscores dropped, each following letter capitalised. */
export function jsonName(fieldName: string): string {
  let out = '';
  let upper = false;
  for (const c of fieldName) {
    if (c === '_') upper = true;
    else {
      out += upper ? c.toUpperCase() : c;
      upper = false;
    }
  }
  return out;
}

/** The Go name gogoproto gives a proto enum: `.etcdserverpb.RangeRequest.SortOrder` → `etcdserverpb.RangeRequest_SortOrder`. */
function goEnumName(type: protobuf.Enum): string {
  const [pkg, ...rest] = type.fullName.replace(/^\./, '').split('.');
  return `${pkg}.${rest.join('_')}`;
}

interface IntegerKind {
  readonly goType: string;
  readonly min: bigint;
  readonly max: bigint;
}

const int64Kind: IntegerKind = { goType: 'int64', min: -(2n ** 63n), max: 2n ** 63n - 1n };
const uint64Kind: IntegerKind = { goType: 'uint64', min: 0n, max: 2n ** 64n - 1n };
const int32Kind: IntegerKind = { goType: 'int32', min: -(2n ** 31n), max: 2n ** 31n - 1n };
const uint32Kind: IntegerKind = { goType: 'uint32', min: 0n, max: 2n ** 32n - 1n };
const uint8Kind: IntegerKind = { goType: 'uint8', min: 0n, max: 255n };

const integerKinds: Record<string, IntegerKind> = {
  int64: int64Kind, sint64: int64Kind, sfixed64: int64Kind,
  uint64: uint64Kind, fixed64: uint64Kind,
  int32: int32Kind, sint32: int32Kind, sfixed32: int32Kind,
  uint32: uint32Kind, fixed32: uint32Kind,
};

/** strconv.ParseInt/ParseUint of a JSON number's text: only plain decimal integers in range. */
function parseInteger(source: string, kind: IntegerKind): bigint | null {
  if (!/^-?\d+$/.test(source)) return null;
  const value = BigInt(source);
  return value < kind.min || value > kind.max ? null : value;
}

/** Go's json into an integer of `kind`; undefined for null (the field stays unset). */
function integerFrom(node: JsonNode, kind: IntegerKind, goType = kind.goType): bigint | undefined {
  if (node.kind === 'null') return undefined;
  if (node.kind !== 'number') throw typeError(kindName(node), goType);
  const value = parseInteger(node.source, kind);
  if (value === null) throw typeError(`number ${node.source}`, goType);
  return value;
}

const base64Alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const base64Values = new Map([...base64Alphabet].map((c, i) => [c.charCodeAt(0), i]));

/**
 * Go's base64.StdEncoding.Decode: padding required, CR and LF skipped, and an error naming the
 * offset of the first bad byte exactly as Go names it ("illegal base64 data at input byte 4").
 */
export function goBase64Decode(text: string): Buffer {
  const src = Buffer.from(text, 'utf8');
  const out: number[] = [];
  const corrupt = (at: number): GoJsonError => new GoJsonError(`illegal base64 data at input byte ${at}`);
  let si = 0;
  const isNewline = (b: number | undefined): boolean => b === 0x0a || b === 0x0d;
  while (si < src.length) {
    const quantum = [0, 0, 0, 0];
    let length = 4;
    let trailing: number | null = null;
    for (let j = 0; j < 4; j++) {
      if (si === src.length) {
        if (j === 0) return Buffer.from(out);
        throw corrupt(si - j);
      }
      const byte = src[si]!;
      si++;
      const value = base64Values.get(byte);
      if (value !== undefined) {
        quantum[j] = value;
        continue;
      }
      if (isNewline(byte)) {
        j--;
        continue;
      }
      if (byte !== 0x3d || j < 2) throw corrupt(si - 1);
      if (j === 2) {
        while (si < src.length && isNewline(src[si])) si++;
        if (si === src.length) throw corrupt(src.length);
        if (src[si] !== 0x3d) throw corrupt(si - 1);
        si++;
      }
      while (si < src.length && isNewline(src[si])) si++;
      if (si < src.length) trailing = si;
      length = j;
      break;
    }
    const bits = (quantum[0]! << 18) | (quantum[1]! << 12) | (quantum[2]! << 6) | quantum[3]!;
    const bytes = [(bits >> 16) & 0xff, (bits >> 8) & 0xff, bits & 0xff];
    out.push(...bytes.slice(0, length - 1));
    if (trailing !== null) throw corrupt(trailing);
  }
  return Buffer.from(out);
}

/** Go's json into []byte: a base64 string, or an array of numbers 0–255. */
function bytesFrom(node: JsonNode): Buffer | undefined {
  if (node.kind === 'null') return undefined;
  if (node.kind === 'string') return goBase64Decode(node.value);
  if (node.kind !== 'array') throw typeError(kindName(node), '[]uint8');
  // Go decodes every element and reports the first error.
  const out: number[] = [];
  let first: GoJsonError | null = null;
  for (const item of node.items) {
    try {
      out.push(Number(integerFrom(item, uint8Kind) ?? 0n));
    } catch (error) {
      if (!(error instanceof GoJsonError)) throw error;
      first ??= error;
      out.push(0);
    }
  }
  if (first !== null) throw first;
  return Buffer.from(out);
}

function scalarFrom(field: protobuf.Field, node: JsonNode): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Enum) {
    if (node.kind === 'string') {
      if (!Object.hasOwn(resolved.values, node.source)) throw new GoJsonError(`unknown value ${JSON.stringify(node.source)} for enum ${goEnumName(resolved)}`);
      return resolved.values[node.source];
    }
    const value = integerFrom(node, int32Kind, goEnumName(resolved));
    return value === undefined ? undefined : Number(value);
  }
  const integer = integerKinds[field.type];
  if (integer) {
    // jsonpb drops the quotes of a quoted number and reads what was inside as JSON.
    const inner = node.kind === 'string' ? unmarshal(node.source) : node;
    return integerFrom(inner, integer)?.toString();
  }
  switch (field.type) {
    case 'bytes':
      return bytesFrom(node);
    case 'string':
      if (node.kind === 'null') return undefined;
      if (node.kind !== 'string') throw typeError(kindName(node), 'string');
      return node.value;
    case 'bool':
      if (node.kind === 'null') return undefined;
      if (node.kind !== 'bool') throw typeError(kindName(node), 'bool');
      return node.value;
    case 'double':
    case 'float': {
      const inner = node.kind === 'string' ? unmarshal(node.source) : node;
      if (inner.kind === 'null') return undefined;
      if (inner.kind !== 'number') throw typeError(kindName(inner), field.type === 'double' ? 'float64' : 'float32');
      return Number(inner.source);
    }
    default:
      throw new GoJsonError(`unsupported field type ${field.type}`);
  }
}

function valueFrom(field: protobuf.Field, node: JsonNode): unknown {
  field.resolve();
  if (field.resolvedType instanceof protobuf.Type) {
    if (node.kind === 'null') return undefined;
    return messageFrom(field.resolvedType, node);
  }
  return scalarFrom(field, node);
}

function fieldFrom(field: protobuf.Field, node: JsonNode): unknown {
  if (!field.repeated) return valueFrom(field, node);
  if (node.kind === 'null') return undefined;
  if (node.kind !== 'array') throw typeError(kindName(node), '[]json.RawMessage');
  const out: unknown[] = [];
  for (const item of node.items) {
    const value = valueFrom(field, item);
    // A null element: Go leaves a nil pointer or a zero value; an empty message or zero stands in.
    out.push(value ?? (field.resolvedType instanceof protobuf.Type ? {} : 0));
  }
  return out;
}

function isZeroScalar(value: unknown): boolean {
  if (value instanceof Uint8Array) return value.length === 0;
  return value === '0' || value === 0 || value === '' || value === false;
}

/**
 * The plain object protobufjs's `fromObject` takes for `type`, read from a JSON node as jsonpb
 * reads it. 64-bit integers come out as decimal strings, bytes as Buffers, enums as numbers.
 * Throws GoJsonError with Go's message for a value of the wrong type.
 */
export function messageFrom(type: protobuf.Type, node: JsonNode): Record<string, unknown> {
  if (node.kind === 'null') return {};
  if (node.kind !== 'object') throw typeError(kindName(node), 'map[string]json.RawMessage');
  const out: Record<string, unknown> = {};
  const take = (field: protobuf.Field): void => {
    const camel = node.fields.get(jsonName(field.name));
    const given = camel ?? node.fields.get(field.name);
    if (given === undefined) return;
    const value = fieldFrom(field, given);
    // A zero scalar is proto3's "not set": Go encodes nothing for it, and neither should the
    // request here (its encoded size is what the size limit is checked against).
    if (value !== undefined && !isZeroScalar(value)) out[field.name] = value;
  };
  // jsonpb reads the plain fields first, in declaration order, then the members of oneofs.
  for (const field of type.fieldsArray) if (!field.partOf) take(field);
  for (const field of type.fieldsArray) if (field.partOf) take(field);
  return out;
}
