// Converting key values between bytes and the editor's views (text, JSON, YAML, hex), with
// validation and formatting. Pure functions: the key editor and the watch table use them.
import { dump, load } from 'js-yaml';

export type ValueView = 'text' | 'json' | 'yaml' | 'hex';

/** The outcome of parsing an editor view back into bytes. */
export type ParsedValue = { ok: true; bytes: Uint8Array } | { ok: false; message: string };

const encoder = new TextEncoder();
// ignoreBOM keeps a leading byte-order mark as U+FEFF, so text and bytes convert both ways.
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lenientDecoder = new TextDecoder('utf-8');

export function base64ToBytes(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  return bytes;
}

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  const chunk = 0x8000;
  for (let start = 0; start < bytes.length; start += chunk) {
    binary += String.fromCharCode(...bytes.subarray(start, start + chunk));
  }
  return btoa(binary);
}

export function textToBase64(text: string): string {
  return bytesToBase64(encoder.encode(text));
}

/** The bytes as UTF-8 text, or null when they are not valid UTF-8. */
export function bytesToText(bytes: Uint8Array): string | null {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return null;
  }
}

/** A short one-line preview of a value for tables. */
export function previewBase64(base64: string, lengthMax = 80): string {
  const bytes = base64ToBytes(base64);
  const text = bytesToText(bytes);
  const shown = text ?? `0x${bytesToHex(bytes.subarray(0, 32)).replace(/ /g, '')}`;
  const flat = shown.replace(/\s+/g, ' ');
  return flat.length > lengthMax ? `${flat.slice(0, lengthMax - 1)}…` : flat;
}

export function bytesToHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join(' ');
}

export function hexToBytes(hex: string): ParsedValue {
  const digits = hex.replace(/\s+/g, '').replace(/^0x/i, '');
  if (!/^[0-9a-fA-F]*$/.test(digits)) return { ok: false, message: 'Hex may contain only 0-9, a-f and spaces.' };
  if (digits.length % 2 !== 0) return { ok: false, message: 'Hex needs an even number of digits (two per byte).' };
  const bytes = new Uint8Array(digits.length / 2);
  for (let index = 0; index < bytes.length; index++) bytes[index] = parseInt(digits.slice(index * 2, index * 2 + 2), 16);
  return { ok: true, bytes };
}

/**
 * Why the bytes cannot be edited as text without changing bytes the user did not touch, or null
 * when they can: bytes that are not UTF-8 would become U+FFFD, and a text box turns every carriage
 * return into a line feed as soon as it is edited.
 */
export function textUnsafeReason(bytes: Uint8Array): string | null {
  const text = bytesToText(bytes);
  if (text === null) return 'This value is not valid UTF-8: a text view would replace its invalid bytes. Edit it in HEX.';
  if (text.includes('\r')) return 'This value has carriage returns, which a text box turns into line feeds when edited. Edit it in HEX.';
  return null;
}

/** The view a value opens in: hex when text views would change it, JSON when it parses as an object or array. */
export function detectView(bytes: Uint8Array): ValueView {
  const text = bytesToText(bytes);
  if (text === null || textUnsafeReason(bytes) !== null) return 'hex';
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      JSON.parse(trimmed);
      return 'json';
    } catch {
      return 'text';
    }
  }
  return 'text';
}

/** Renders bytes in `view`; text-based views of non-UTF-8 bytes decode leniently. */
export function renderView(bytes: Uint8Array, view: ValueView): string {
  if (view === 'hex') return bytesToHex(bytes);
  return bytesToText(bytes) ?? lenientDecoder.decode(bytes);
}

/** Parses editor text in `view` back to bytes, or explains why it is invalid. */
export function parseView(text: string, view: ValueView): ParsedValue {
  switch (view) {
    case 'hex':
      return hexToBytes(text);
    case 'json':
      try {
        JSON.parse(text);
      } catch (error) {
        return { ok: false, message: `Invalid JSON: ${(error as Error).message}` };
      }
      return { ok: true, bytes: encoder.encode(text) };
    case 'yaml':
      try {
        load(text);
      } catch (error) {
        return { ok: false, message: `Invalid YAML: ${(error as Error).message.split('\n')[0] ?? ''}` };
      }
      return { ok: true, bytes: encoder.encode(text) };
    case 'text':
      return { ok: true, bytes: encoder.encode(text) };
  }
}

/** Pretty-prints editor text in `view`; returns null when the text does not parse. */
export function formatView(text: string, view: ValueView): string | null {
  try {
    if (view === 'json') return JSON.stringify(JSON.parse(text), null, 2);
    if (view === 'yaml') return dump(load(text), { indent: 2, lineWidth: 100 });
    if (view === 'hex') {
      const parsed = hexToBytes(text);
      return parsed.ok ? bytesToHex(parsed.bytes) : null;
    }
    return text;
  } catch {
    return null;
  }
}

/** Converts editor text from one view to another, keeping the same bytes where possible. */
export function convertView(text: string, from: ValueView, to: ValueView): ParsedValue & { text?: string } {
  const parsed = from === 'hex' ? hexToBytes(text) : { ok: true as const, bytes: encoder.encode(text) };
  if (!parsed.ok) return parsed;
  return { ...parsed, text: renderView(parsed.bytes, to) };
}
