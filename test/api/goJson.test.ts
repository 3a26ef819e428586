// Reading gateway bodies as Go's json.Decoder reads them, piece by piece as a stream body arrives.
// The messages themselves are compared with real etcd's in gatewayDifferential.test.ts; this file
// covers what only Rafter's side has: values split across chunks, and numbers kept digit for digit.
import { describe, expect, it } from 'vitest';
import { decodeNext, GoJsonError, jsonDepthMax, unmarshal } from '../../core/api/goJson.js';
import { goBase64Decode } from '../../core/api/jsonpbDecode.js';

describe('decodeNext', () => {
  it('reads one value at a time and leaves what follows for the next call', () => {
    const text = ' {"a":1}\n{"b":"x"} ';
    const first = decodeNext(text, 0, true);
    expect(first.kind).toBe('value');
    if (first.kind !== 'value') return;
    const second = decodeNext(text, first.end, true);
    expect(second).toMatchObject({ kind: 'value', node: { kind: 'object' } });
    if (second.kind !== 'value') return;
    expect(decodeNext(text, second.end, true)).toEqual({ kind: 'empty' });
  });

  it('waits for the rest of a value split across chunks, and for more digits of a trailing number', () => {
    expect(decodeNext('{"create_request":{"key":"YQ', 0, false)).toEqual({ kind: 'incomplete' });
    expect(decodeNext('12', 0, false)).toEqual({ kind: 'incomplete' });
    expect(decodeNext('12', 0, true)).toMatchObject({ kind: 'value', node: { kind: 'number', source: '12' } });
  });

  it('refuses a syntax error as soon as it is seen, even before the body ends', () => {
    expect(() => decodeNext('{"a":1,}', 0, false)).toThrow(new GoJsonError("invalid character '}' looking for beginning of object key string"));
  });

  it('keeps the digits of numbers no double can hold', () => {
    expect(unmarshal('{"ID":3499193843988444930}')).toEqual({ kind: 'object', fields: new Map([['ID', { kind: 'number', source: '3499193843988444930' }]]) });
  });

  it('refuses nesting past its limit instead of exhausting the stack', () => {
    expect(() => unmarshal('['.repeat(jsonDepthMax + 1))).toThrow(new GoJsonError('exceeded max depth'));
  });
});

describe('goBase64Decode', () => {
  it('decodes padded standard base64, skipping line breaks', () => {
    expect(goBase64Decode('L2E=').toString()).toBe('/a');
    expect(goBase64Decode('L2\r\nE=').toString()).toBe('/a');
    expect(goBase64Decode('').length).toBe(0);
  });

  it('names the offset of the first byte it refuses, as etcd 3.4 answers these keys', () => {
    expect(() => goBase64Decode('L2E')).toThrow('illegal base64 data at input byte 0');
    expect(() => goBase64Decode('YWJjZA=x')).toThrow('illegal base64 data at input byte 6');
    expect(() => goBase64Decode('YQ==YQ==')).toThrow('illegal base64 data at input byte 4');
  });
});
