import { describe, expect, it } from 'vitest';
import hpack, { type HeaderField } from 'hpack.js';
import { AuthorityRewriter, HeaderBlockError, repairAuthority } from '../../core/api/authorityRewriter.js';

const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

function frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(streamId, 5);
  return Buffer.concat([header, payload]);
}

/** A client connection: preface, SETTINGS, then one HEADERS + DATA per request, HPACK with a dynamic table. */
function clientBytes(authority: string, requests: number, split = false): Buffer {
  const compressor = hpack.compressor.create({ table: { size: 4096 } });
  const parts = [preface, frame(0x4, 0, 0, Buffer.alloc(0))];
  for (let i = 0; i < requests; i++) {
    const streamId = 1 + 2 * i;
    compressor.write([
      { name: ':method', value: 'POST' }, { name: ':scheme', value: 'http' }, { name: ':path', value: '/etcdserverpb.KV/Range' },
      { name: ':authority', value: authority }, { name: 'content-type', value: 'application/grpc' }, { name: 'te', value: 'trailers' },
    ]);
    const block = compressor.read()!;
    if (split) {
      parts.push(frame(0x1, 0, streamId, block.subarray(0, 5)), frame(0x9, 0x4, streamId, block.subarray(5)));
    } else {
      parts.push(frame(0x1, 0x4, streamId, block));
    }
    parts.push(frame(0x0, 0x1, streamId, Buffer.from([0, 0, 0, 0, 2, 10, 0])));
  }
  return Buffer.concat(parts);
}

/** Decodes what the server would see: every header block's :authority, in order. */
function authoritiesSeen(bytes: Buffer): string[] {
  const decompressor = hpack.decompressor.create({ table: { size: 4096 } });
  const seen: string[] = [];
  let offset = preface.length;
  let block: Buffer[] = [];
  while (offset < bytes.length) {
    const length = bytes.readUIntBE(offset, 3);
    const type = bytes[offset + 3]!;
    const flags = bytes[offset + 4]!;
    const payload = bytes.subarray(offset + 9, offset + 9 + length);
    offset += 9 + length;
    if (type !== 0x1 && type !== 0x9) continue;
    block.push(payload);
    if (flags & 0x4) {
      decompressor.write(Buffer.concat(block));
      decompressor.execute();
      block = [];
      const fields: HeaderField[] = [];
      for (let f = decompressor.read(); f !== null; f = decompressor.read()) fields.push(f);
      seen.push(fields.find((f) => f.name === ':authority')!.value);
    }
  }
  return seen;
}

function run(bytes: Buffer, chunkBytes: number): Buffer {
  const rewriter = new AuthorityRewriter();
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkBytes) out.push(...rewriter.transform(bytes.subarray(i, i + chunkBytes)));
  return Buffer.concat(out);
}

describe('authority rewriter', () => {
  it('passes a connection with a valid authority through byte for byte', () => {
    const bytes = clientBytes('127.0.0.1:2379', 5);
    for (const chunk of [1, 7, 64, bytes.length]) expect(run(bytes, chunk).equals(bytes)).toBe(true);
  });

  it('repairs a scheme-prefixed authority on every request of the connection, however the bytes arrive', () => {
    for (const split of [false, true]) {
      const bytes = clientBytes('http://127.0.0.1:2379', 4, split);
      for (const chunk of [1, 9, 100, bytes.length]) {
        expect(authoritiesSeen(run(bytes, chunk))).toEqual(['127.0.0.1:2379', '127.0.0.1:2379', '127.0.0.1:2379', '127.0.0.1:2379']);
      }
    }
  });

  it('keeps DATA frames and END_STREAM flags intact while rewriting', () => {
    const out = run(clientBytes('https://localhost:2379', 2), 13);
    const dataFrames = [];
    for (let offset = preface.length; offset < out.length;) {
      const length = out.readUIntBE(offset, 3);
      if (out[offset + 3] === 0x0) dataFrames.push({ flags: out[offset + 4], payload: out.subarray(offset + 9, offset + 9 + length).toString('hex') });
      offset += 9 + length;
    }
    expect(dataFrames).toEqual([{ flags: 1, payload: '00000000020a00' }, { flags: 1, payload: '00000000020a00' }]);
  });

  it('reduces any authority to one nghttp2 accepts', () => {
    expect(repairAuthority('http://127.0.0.1:2379')).toBe('127.0.0.1:2379');
    expect(repairAuthority('https://[::1]:2379/path')).toBe('[::1]:2379');
    expect(repairAuthority('unix:///tmp/socket')).toBe('localhost');
  });

  it('refuses a CONTINUATION frame outside a header block', () => {
    const bytes = Buffer.concat([preface, frame(0x9, 0x4, 1, Buffer.from([0x82]))]);
    expect(() => new AuthorityRewriter().transform(bytes)).toThrow(HeaderBlockError);
  });
});
