import { describe, expect, it } from 'vitest';
import { PrefaceError, PrefaceProbe, serverPrefaceSettings } from '../../core/api/prefaceProbe.js';

const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

function frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(streamId, 5);
  return Buffer.concat([header, payload]);
}

const clientSettings = frame(0x4, 0, 0, Buffer.from([0, 4, 0, 0x40, 0, 0]));
const windowUpdate = frame(0x8, 0, 0, Buffer.from([0, 0, 0x10, 0]));
const settingsAck = frame(0x4, 0x1, 0, Buffer.alloc(0));
const headers = frame(0x1, 0x4, 1, Buffer.from([0x83, 0x86, 0x84]));
const data = frame(0x0, 0x1, 1, Buffer.from([0, 0, 0, 0, 2, 10, 0]));

/** Feeds `bytes` in chunks of `chunkBytes`; returns what came out and whether the probe was done. */
function run(bytes: Buffer, chunkBytes: number): { out: Buffer; done: boolean } {
  const probe = new PrefaceProbe();
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkBytes) out.push(...probe.filter(bytes.subarray(i, i + chunkBytes)));
  return { out: Buffer.concat(out), done: probe.done };
}

describe('preface probe', () => {
  it('answers the preface with an empty SETTINGS frame', () => {
    expect([...serverPrefaceSettings]).toEqual([0, 0, 0, 0x4, 0, 0, 0, 0, 0]);
  });

  it('removes the acknowledgement of the server preface and nothing else, however the bytes arrive', () => {
    const sent = Buffer.concat([preface, clientSettings, windowUpdate, settingsAck, headers, data]);
    const expected = Buffer.concat([preface, clientSettings, windowUpdate, headers, data]);
    for (const chunkBytes of [1, 2, 7, 9, 24, 25, 40, sent.length]) {
      expect(run(sent, chunkBytes)).toEqual({ out: expected, done: true });
    }
  });

  it('is done only once both the acknowledgement and the end of the first header block have come, in either order', () => {
    const split = [frame(0x1, 0, 1, Buffer.from([0x83])), frame(0x9, 0x4, 1, Buffer.from([0x86]))];
    expect(run(Buffer.concat([preface, clientSettings, split[0]!]), 1).done).toBe(false);
    expect(run(Buffer.concat([preface, clientSettings, ...split]), 1).done).toBe(false);
    expect(run(Buffer.concat([preface, clientSettings, settingsAck]), 1).done).toBe(false);
    const late = run(Buffer.concat([preface, clientSettings, ...split, data, settingsAck, data]), 3);
    expect(late).toEqual({ out: Buffer.concat([preface, clientSettings, ...split, data, data]), done: true });
  });

  it('removes only the first acknowledgement: the next belongs to the HTTP/2 session', () => {
    const sent = Buffer.concat([preface, clientSettings, settingsAck, settingsAck, headers]);
    expect(run(sent, 5)).toEqual({ out: Buffer.concat([preface, clientSettings, settingsAck, headers]), done: true });
  });

  it('passes bytes through untouched once done', () => {
    const probe = new PrefaceProbe();
    probe.filter(Buffer.concat([preface, settingsAck, headers]));
    const later = Buffer.concat([settingsAck, data.subarray(0, 4)]);
    expect(probe.filter(later)).toEqual([later]);
  });

  it('refuses a frame larger than a client may send before the server raises the limit', () => {
    const probe = new PrefaceProbe();
    const oversized = Buffer.alloc(9);
    oversized.writeUIntBE(16_385, 0, 3);
    expect(() => probe.filter(Buffer.concat([preface, oversized]))).toThrow(PrefaceError);
  });
});
