// Decoding the protobuf objects Kubernetes stores in etcd (under /registry/…) into plain objects
// for reading as YAML or JSON. A stored value is the magic `k8s\0` and a runtime.Unknown envelope
// (1 typeMeta {1 apiVersion, 2 kind}, 2 raw, 3 contentEncoding, 4 contentType); raw is the object
// without its type. Kinds in kubernetesSchema.ts decode by field name; other kinds, and fields the
// table leaves out, fall back to the generic dump of protobufWire.ts. Read-only: re-encoding is
// deliberately not offered (an edit could drop fields this table does not know).
import { dump } from 'js-yaml';
import { kubernetesKinds, kubernetesMessages } from './kubernetesSchema';
import { WireError, bytesToBase64, dumpField, dumpFields, dumpKey, integerValue, readFields, wireTypeNames } from './protobufWire';
import type { WireField } from './protobufWire';

/** The four bytes every protobuf value Kubernetes stores begins with. */
export const kubernetesMagic = new Uint8Array([0x6b, 0x38, 0x73, 0x00]);

/** A decoded stored object. Invariant: `object` starts with apiVersion and kind. */
export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  /** True when the kind is in the schema table, false when `object` past apiVersion and kind is a generic dump. */
  known: boolean;
  /** Set when the envelope names an encoding (Kubernetes writes none); raw is then shown as bytes. */
  contentEncoding: string;
  object: Record<string, unknown>;
}

export type KubernetesDecoded = { ok: true; value: KubernetesObject } | { ok: false; message: string };

interface FieldSpec {
  name: string;
  /** A scalar code, a message name, or `{KEY:VALUE}` for a map. */
  type: string;
  repeated: boolean;
}

const textDecoder = new TextDecoder('utf-8');
const specCache = new Map<string, Map<number, FieldSpec>>();

function messageSpec(name: string): Map<number, FieldSpec> | null {
  const cached = specCache.get(name);
  if (cached) return cached;
  const table = kubernetesMessages[name];
  if (table === undefined) return null;
  const fields = new Map<number, FieldSpec>();
  for (const entry of table.split(',')) {
    const [number, fieldName, type] = entry.split(' ') as [string, string, string];
    const repeated = type.endsWith('*');
    fields.set(Number(number), { name: fieldName, type: repeated ? type.slice(0, -1) : type, repeated });
  }
  specCache.set(name, fields);
  return fields;
}

/** Whether the value starts with Kubernetes' protobuf magic. */
export function isKubernetesValue(bytes: Uint8Array): boolean {
  return bytes.length >= kubernetesMagic.length && kubernetesMagic.every((byte, index) => bytes[index] === byte);
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/** meta.v1.Time and MicroTime as Kubernetes writes them in JSON (RFC 3339, UTC); null for the zero time. */
function timeValue(fields: WireField[], micro: boolean): string | null {
  let seconds = 0n;
  let nanos = 0n;
  for (const field of fields) {
    if (field.number === 1 && field.wireType === 0) seconds = BigInt.asIntN(64, field.value as bigint);
    if (field.number === 2 && field.wireType === 0) nanos = BigInt.asIntN(32, field.value as bigint);
  }
  if (seconds === 0n && nanos === 0n) return null;
  const date = new Date(Number(seconds) * 1000);
  if (Number.isNaN(date.getTime())) return `${seconds}s`;
  const base = `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}T${pad(date.getUTCHours(), 2)}:${pad(date.getUTCMinutes(), 2)}:${pad(date.getUTCSeconds(), 2)}`;
  return micro ? `${base}.${pad(Number(nanos / 1000n), 6)}Z` : `${base}Z`;
}

/** Messages that JSON shows as a single value rather than an object. */
function specialValue(type: string, bytes: Uint8Array): { value: unknown } | null {
  switch (type) {
    case 'meta.v1.Time':
      return { value: timeValue(readFields(bytes), false) };
    case 'meta.v1.MicroTime':
      return { value: timeValue(readFields(bytes), true) };
    case 'resource.Quantity': {
      const field = readFields(bytes).find((candidate) => candidate.number === 1 && candidate.value instanceof Uint8Array);
      return { value: field ? textDecoder.decode(field.value as Uint8Array) : null };
    }
    case 'intstr.IntOrString': {
      const fields = readFields(bytes);
      const kind = fields.find((field) => field.number === 1)?.value ?? 0n;
      if (kind === 0n) return { value: Number(BigInt.asIntN(32, (fields.find((field) => field.number === 2)?.value as bigint | undefined) ?? 0n)) };
      const text = fields.find((field) => field.number === 3)?.value;
      return { value: text instanceof Uint8Array ? textDecoder.decode(text) : '' };
    }
    default:
      return null;
  }
}

const varintTypes = new Set(['B', 'i', 'l', 'u', 'U']);

function scalarValue(type: string, field: WireField): { value: unknown } | null {
  const { value } = field;
  if (varintTypes.has(type) && field.wireType === 0) {
    const integer = value as bigint;
    if (type === 'B') return { value: integer !== 0n };
    if (type === 'i') return { value: Number(BigInt.asIntN(32, integer)) };
    if (type === 'u') return { value: Number(BigInt.asUintN(32, integer)) };
    return { value: integerValue(type === 'l' ? BigInt.asIntN(64, integer) : integer) };
  }
  if (type === 'd' && field.wireType === 1) return { value: new DataView(new BigUint64Array([value as bigint]).buffer).getFloat64(0, true) };
  if (type === 'f' && field.wireType === 5) return { value: new DataView(new Uint32Array([Number(value)]).buffer).getFloat32(0, true) };
  if (!(value instanceof Uint8Array)) return null;
  if (type === 's') return { value: textDecoder.decode(value) };
  if (type === 'b') return { value: bytesToBase64(value) };
  return null;
}

/** One field's value by its spec, or null when the wire type does not match it (shown generically then). */
function fieldValue(spec: FieldSpec, field: WireField, depth: number): { value: unknown } | null {
  if (spec.type.startsWith('{')) {
    if (!(field.value instanceof Uint8Array)) return null;
    const [keyType, valueType] = spec.type.slice(1, -1).split(':') as [string, string];
    const entry = readFields(field.value);
    const key = entry.find((part) => part.number === 1);
    const item = entry.find((part) => part.number === 2);
    const keyValue = key ? scalarValue(keyType, key) : { value: '' };
    const itemValue = item ? typedValue(valueType, item, depth) : { value: valueType === 's' || valueType === 'b' ? '' : {} };
    if (keyValue === null || itemValue === null) return null;
    return { value: [String(keyValue.value), itemValue.value] };
  }
  return typedValue(spec.type, field, depth);
}

function typedValue(type: string, field: WireField, depth: number): { value: unknown } | null {
  if (type.length <= 1) return scalarValue(type, field);
  if (!(field.value instanceof Uint8Array)) return null;
  const special = specialValue(type, field.value);
  if (special) return special;
  if (depth >= 64) return { value: bytesToBase64(field.value) };
  if (messageSpec(type) === null) return { value: dumpFields(readFields(field.value), depth) };
  return { value: decodeMessage(field.value, type, depth + 1) };
}

/** Whether JSON would leave the value out: Kubernetes' zero strings, times and empty messages. */
function omitted(value: unknown): boolean {
  if (value === null || value === '') return true;
  return typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0;
}

/** Decodes a message by the schema table; fields it does not know are kept under `NUMBER:READING` keys. */
function decodeMessage(bytes: Uint8Array, type: string, depth: number): Record<string, unknown> {
  const specs = messageSpec(type)!;
  const result: Record<string, unknown> = {};
  const maps = new Map<string, Record<string, unknown>>();
  for (const field of readFields(bytes)) {
    const spec = specs.get(field.number);
    const decoded = spec ? fieldValue(spec, field, depth) : null;
    if (spec === undefined || decoded === null) {
      const [key, value] = spec ? [dumpKey(field.number, wireTypeNames[field.wireType]), dumpField(field, depth)[1]] : dumpField(field, depth);
      const previous = result[key];
      result[key] = previous === undefined ? value : Array.isArray(previous) ? [...(previous as unknown[]), value] : [previous, value];
      continue;
    }
    if (spec.type.startsWith('{')) {
      const [key, value] = decoded.value as [string, unknown];
      const map = maps.get(spec.name) ?? {};
      map[key] = value;
      maps.set(spec.name, map);
      result[spec.name] = map;
    } else if (spec.repeated) {
      const list = (result[spec.name] as unknown[] | undefined) ?? [];
      list.push(decoded.value);
      result[spec.name] = list;
    } else if (!omitted(decoded.value)) {
      result[spec.name] = decoded.value;
    }
  }
  return result;
}

/**
 * Decodes a value stored by Kubernetes: `k8s\0` and a runtime.Unknown. Fails (with a readable
 * message) when the value lacks the magic or its bytes are not well-formed protobuf.
 */
export function decodeKubernetesValue(bytes: Uint8Array): KubernetesDecoded {
  if (!isKubernetesValue(bytes)) return { ok: false, message: 'The value does not start with Kubernetes’ protobuf magic k8s\\0.' };
  try {
    const envelope = decodeMessage(bytes.subarray(kubernetesMagic.length), 'runtime.Unknown', 0);
    const typeMeta = (envelope.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
    const apiVersion = typeMeta.apiVersion ?? '';
    const kind = typeMeta.kind ?? '';
    const contentEncoding = typeof envelope.contentEncoding === 'string' ? envelope.contentEncoding : '';
    const raw = readRaw(bytes.subarray(kubernetesMagic.length));
    const type = kubernetesKinds[`${apiVersion}/${kind}`];
    const known = type !== undefined && contentEncoding === '';
    const body = contentEncoding !== '' ? { raw: bytesToBase64(raw) } : known ? decodeMessage(raw, type, 0) : dumpFields(readFields(raw));
    return { ok: true, value: { apiVersion, kind, known, contentEncoding, object: { apiVersion, kind, ...body } } };
  } catch (error) {
    if (error instanceof WireError) return { ok: false, message: `Not a well-formed Kubernetes object: ${error.message}.` };
    throw error;
  }
}

function readRaw(envelope: Uint8Array): Uint8Array {
  const fields = readFields(envelope).filter((field) => field.number === 2 && field.value instanceof Uint8Array);
  return (fields.at(-1)?.value as Uint8Array | undefined) ?? new Uint8Array();
}

/** The decoded object as YAML, the way `kubectl get -o yaml` lays it out. */
export function kubernetesToYaml(object: KubernetesObject): string {
  return dump(object.object, { indent: 2, lineWidth: -1, noRefs: true, sortKeys: false });
}

export function kubernetesToJson(object: KubernetesObject): string {
  return JSON.stringify(object.object, null, 2);
}
