// Reading the protobuf wire format without a schema: splitting bytes into fields (number, wire
// type, raw value) and a generic dump of a message whose schema is unknown. Pure and bounded: no
// code generation (the renderer's CSP forbids eval), and nesting and field counts have limits.
// Decoding by schema is kubernetesObject.ts's job.

/** A protobuf wire type this reader understands (groups, 3 and 4, are refused). */
export type WireType = 0 | 1 | 2 | 5;

/** One field as it is on the wire. Invariant: `value` is a bigint for wire types 0, 1 and 5, bytes for 2. */
export interface WireField {
  number: number;
  wireType: WireType;
  value: bigint | Uint8Array;
}

/** Malformed protobuf: the bytes do not split into fields. Caught by the decoders that use the reader. */
export class WireError extends Error {}

/** Nested messages the generic dump follows before showing bytes. */
export const dumpDepthMax = 32;
/** Fields read from one message before the reader gives up. */
export const messageFieldsMax = 1_000_000;

export const wireTypeNames: Record<WireType, string> = { 0: 'varint', 1: 'fixed64', 2: 'bytes', 5: 'fixed32' };
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

function readVarint(bytes: Uint8Array, start: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (let offset = start; offset < bytes.length && offset < start + 10; offset++) {
    const byte = bytes[offset]!;
    result |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return [BigInt.asUintN(64, result), offset + 1];
    shift += 7n;
  }
  throw new WireError(`truncated or overlong varint at byte ${start}`);
}

function readFixed(bytes: Uint8Array, start: number, length: number): bigint {
  if (start + length > bytes.length) throw new WireError(`truncated fixed${length * 8} at byte ${start}`);
  let result = 0n;
  for (let index = length - 1; index >= 0; index--) result = (result << 8n) | BigInt(bytes[start + index]!);
  return result;
}

/** Splits a message into its fields, in wire order; throws WireError when the bytes are not a message. */
export function readFields(bytes: Uint8Array): WireField[] {
  const fields: WireField[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (fields.length >= messageFieldsMax) throw new WireError(`more than ${messageFieldsMax} fields`);
    const [tag, afterTag] = readVarint(bytes, offset);
    const number = Number(tag >> 3n);
    const wireType = Number(tag & 7n);
    if (number < 1 || number > 0x1fffffff) throw new WireError(`field number ${number} at byte ${offset}`);
    offset = afterTag;
    if (wireType === 0) {
      const [value, next] = readVarint(bytes, offset);
      fields.push({ number, wireType, value });
      offset = next;
    } else if (wireType === 1 || wireType === 5) {
      const length = wireType === 1 ? 8 : 4;
      fields.push({ number, wireType, value: readFixed(bytes, offset, length) });
      offset += length;
    } else if (wireType === 2) {
      const [length, start] = readVarint(bytes, offset);
      if (length > BigInt(bytes.length - start)) throw new WireError(`field ${number} runs past the end (${length} bytes at byte ${start})`);
      offset = start + Number(length);
      fields.push({ number, wireType, value: bytes.subarray(start, offset) });
    } else {
      throw new WireError(`unsupported wire type ${wireType} for field ${number} at byte ${offset}`);
    }
  }
  return fields;
}

/** The message's fields, or null when the bytes are not a well-formed message. */
export function tryReadFields(bytes: Uint8Array): WireField[] | null {
  try {
    return readFields(bytes);
  } catch (error) {
    if (error instanceof WireError) return null;
    throw error;
  }
}

/** A 64-bit integer as a number where it fits exactly, else as its decimal string. */
export function integerValue(value: bigint): number | string {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
}

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let start = 0; start < bytes.length; start += 0x8000) binary += String.fromCharCode(...bytes.subarray(start, start + 0x8000));
  return btoa(binary);
}

/** The bytes as text when they are UTF-8 without control characters other than tab and line breaks. */
export function printableText(bytes: Uint8Array): string | null {
  let text: string;
  try {
    text = strictDecoder.decode(bytes);
  } catch {
    return null;
  }
  return /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text) ? null : text;
}

/** The name a generic dump gives a field: its number and how its value was read. */
export function dumpKey(number: number, shown: string): string {
  return `${number}:${shown}`;
}

/**
 * Shows a length-delimited value without a schema: printable UTF-8 as a string, otherwise a
 * nested message when the bytes split into fields, otherwise base64 bytes.
 */
function dumpBytes(bytes: Uint8Array, depth: number): [string, unknown] {
  const text = printableText(bytes);
  if (text !== null) return ['string', text];
  const nested = depth < dumpDepthMax ? tryReadFields(bytes) : null;
  if (nested !== null) return ['message', dumpFields(nested, depth + 1)];
  return ['bytes', bytesToBase64(bytes)];
}

/** One field of a generic dump: its key (number and wire type or reading) and its value. */
export function dumpField(field: WireField, depth = 0): [string, unknown] {
  if (field.value instanceof Uint8Array) {
    const [shown, value] = dumpBytes(field.value, depth);
    return [dumpKey(field.number, shown), value];
  }
  return [dumpKey(field.number, wireTypeNames[field.wireType]), integerValue(field.value)];
}

/** A generic dump of fields: keys `NUMBER:READING`; a field that repeats becomes a list. */
export function dumpFields(fields: WireField[], depth = 0): Record<string, unknown> {
  const grouped = new Map<string, unknown[]>();
  for (const field of fields) {
    const [key, value] = dumpField(field, depth);
    const list = grouped.get(key);
    if (list) list.push(value);
    else grouped.set(key, [value]);
  }
  return Object.fromEntries([...grouped].map(([key, list]) => [key, list.length === 1 ? list[0] : list]));
}

/** A generic dump of a whole message, or null when the bytes are not one. */
export function dumpMessage(bytes: Uint8Array): Record<string, unknown> | null {
  const fields = tryReadFields(bytes);
  return fields === null ? null : dumpFields(fields);
}
