// Value views, the line diff and the folder grouping: the pure helpers behind the Keys page.
import { describe, expect, it } from 'vitest';
import { keyLevel, parentPrefix } from '../../renderer/keyTree';
import { lineDiff } from '../../renderer/lineDiff';
import { base64ToBytes, bytesToBase64, detectView, formatView, hexToBytes, parseView, previewBase64, renderView, textUnsafeReason } from '../../renderer/valueFormat';

describe('value views', () => {
  it('round-trips arbitrary bytes through base64 and hex', () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, index) => index);
    expect(base64ToBytes(bytesToBase64(bytes))).toEqual(bytes);
    const parsed = hexToBytes(renderView(bytes, 'hex'));
    expect(parsed.ok && parsed.bytes).toEqual(bytes);
  });

  it('opens JSON objects as JSON, other text as text and non-UTF-8 bytes as hex', () => {
    expect(detectView(new TextEncoder().encode(' {"a": [1]} '))).toBe('json');
    expect(detectView(new TextEncoder().encode('{not json'))).toBe('text');
    expect(detectView(Uint8Array.from([0xff, 0xfe, 0x00]))).toBe('hex');
  });

  it('keeps text views only for bytes they give back unchanged', () => {
    const encoder = new TextEncoder();
    expect(textUnsafeReason(encoder.encode('plain ✓ text\n'))).toBeNull();
    expect(textUnsafeReason(Uint8Array.from([0x61, 0xc3]))).toMatch(/not valid UTF-8/);
    expect(textUnsafeReason(encoder.encode('a\r\nb'))).toMatch(/carriage returns/);
    expect(detectView(encoder.encode('a\r\nb'))).toBe('hex');
    // A byte-order mark stays in the text, so saving the text writes it back.
    const withMark = Uint8Array.from([0xef, 0xbb, 0xbf, 0x68, 0x69]);
    const parsed = parseView(renderView(withMark, 'text'), 'text');
    expect(parsed.ok && parsed.bytes).toEqual(withMark);
  });

  it('explains invalid JSON and YAML and accepts anything as text', () => {
    const json = parseView('{"a":', 'json');
    const yaml = parseView('a: [1', 'yaml');
    expect(json.ok ? 'parsed' : json.message).toContain('Invalid JSON');
    expect(yaml.ok ? 'parsed' : yaml.message).toContain('Invalid YAML');
    expect(parseView('{"a":', 'text').ok).toBe(true);
  });

  it('formats JSON and YAML and refuses text that does not parse', () => {
    expect(formatView('{"b":{"c":1}}', 'json')).toBe('{\n  "b": {\n    "c": 1\n  }\n}');
    expect(formatView('a:   1\nb: [1,2]', 'yaml')).toBe('a: 1\nb:\n  - 1\n  - 2\n');
    expect(formatView('{', 'json')).toBeNull();
  });

  it('previews binary values as hex and long text shortened', () => {
    expect(previewBase64(bytesToBase64(Uint8Array.from([0xff, 0x01])))).toBe('0xff01');
    expect(previewBase64(btoa('x'.repeat(200)), 10)).toBe(`${'x'.repeat(9)}…`);
  });
});

describe('line diff', () => {
  it('marks kept, removed and added lines in order', () => {
    expect(lineDiff('a\nb\nc', 'a\nc\nd')).toEqual([
      { kind: 'same', text: 'a' },
      { kind: 'removed', text: 'b' },
      { kind: 'same', text: 'c' },
      { kind: 'added', text: 'd' },
    ]);
  });
});

describe('key folders', () => {
  const item = (key: string) => ({ key, version: 1, createRevision: 1, modRevision: 1, lease: '0' });

  it('collapses keys sharing a further slash segment into folders', () => {
    const level = keyLevel([item('/a/x'), item('/a/y'), item('/b'), item('/c/d/e')], '');
    expect(level.folders).toEqual([
      { name: '/a/', prefix: '/a/', loadedCount: 2 },
      { name: '/c/', prefix: '/c/', loadedCount: 1 },
    ]);
    expect(level.keys.map((key) => key.key)).toEqual(['/b']);
  });

  it('goes up one folder at a time', () => {
    expect(parentPrefix('/a/b/')).toBe('/a/');
    expect(parentPrefix('/a/')).toBe('/');
    expect(parentPrefix('a/')).toBe('');
  });
});
