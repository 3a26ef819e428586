// Repairs one known incompatibility between etcd's Go clients and Node's HTTP/2: etcdctl 3.4 sends
// a scheme-prefixed endpoint ("http://127.0.0.1:2379") as the HTTP/2 :authority on the
// connections it opens per endpoint (endpoint status/health/hashkv, defrag, --cluster commands).
// Go's server accepts that; nghttp2, under Node, resets every such stream with PROTOCOL_ERROR.
//
// This sits on the client-to-server bytes of a gRPC connection. It reads the first header block
// (HPACK, with the client's dynamic table): if its :authority is valid, the rest of the connection
// passes through untouched, at no cost. Otherwise every header block of the connection is decoded
// and re-encoded without the dynamic table (so the server's decoder never depends on state this
// code does not mirror), with the authority reduced to host:port.
import hpack, { type Compressor, type Decompressor, type HeaderField } from 'hpack.js';

const prefaceBytes = 24;
const frameHeaderBytes = 9;
const frameHeaders = 0x1;
const frameContinuation = 0x9;
const flagEndStream = 0x1;
const flagEndHeaders = 0x4;
const flagPadded = 0x8;
const flagPriority = 0x20;
/** HTTP/2's default SETTINGS_MAX_FRAME_SIZE: the largest frame this code emits. */
const frameBytesMax = 16_384;
/** The HPACK table size Node's HTTP/2 server announces (the default), which clients encode with. */
const clientTableBytes = 4_096;
/** Largest header block accepted while rewriting (etcd's clients send a few hundred bytes). */
const headerBlockBytesMax = 256 * 1024;

/** Characters nghttp2 accepts in :authority. */
const validAuthority = /^[A-Za-z0-9\-._~%!$&'()*+,;=:@[\]]*$/;

export class HeaderBlockError extends Error {
  override readonly name = 'HeaderBlockError';
}

/** "http://127.0.0.1:2379/x" → "127.0.0.1:2379"; anything unrecognisable → "localhost". */
export function repairAuthority(value: string): string {
  const stripped = value.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/[/?#].*$/, '');
  return validAuthority.test(stripped) && stripped !== '' ? stripped : 'localhost';
}

type Mode = 'probe' | 'pass' | 'rewrite';

interface PendingBlock {
  readonly streamId: number;
  readonly endStream: boolean;
  readonly fragments: Buffer[];
  bytes: number;
  /** The frames exactly as received, forwarded unchanged if the block needs no repair. */
  readonly original: Buffer[];
}

export class AuthorityRewriter {
  private mode: Mode = 'probe';
  private prefaceLeft = prefaceBytes;
  private pending: Buffer = Buffer.alloc(0);
  private block: PendingBlock | null = null;
  private readonly decompressor: Decompressor = hpack.decompressor.create({ table: { size: clientTableBytes } });
  private compressor: Compressor | null = null;

  /** True once the connection was found to need no repair. */
  get passingThrough(): boolean {
    return this.mode === 'pass';
  }

  /** Feeds client bytes; returns the bytes to hand to the server. Throws HeaderBlockError on garbage. */
  transform(chunk: Buffer): Buffer[] {
    if (this.mode === 'pass') return [chunk];
    const out: Buffer[] = [];
    let data = chunk;
    if (this.prefaceLeft > 0) {
      const take = Math.min(this.prefaceLeft, data.length);
      out.push(data.subarray(0, take));
      this.prefaceLeft -= take;
      data = data.subarray(take);
    }
    this.pending = this.pending.length === 0 ? data : Buffer.concat([this.pending, data]);
    while (!this.passingThrough && this.pending.length >= frameHeaderBytes) {
      const length = this.pending.readUIntBE(0, 3);
      if (this.pending.length < frameHeaderBytes + length) break;
      const frame = this.pending.subarray(0, frameHeaderBytes + length);
      this.pending = this.pending.subarray(frameHeaderBytes + length);
      out.push(...this.frame(frame));
    }
    if (this.passingThrough && this.pending.length > 0) {
      out.push(this.pending);
      this.pending = Buffer.alloc(0);
    }
    return out;
  }

  private frame(frame: Buffer): Buffer[] {
    const type = frame[3]!;
    const flags = frame[4]!;
    const streamId = frame.readUInt32BE(5) & 0x7fff_ffff;
    const payload = frame.subarray(frameHeaderBytes);
    if (type === frameHeaders) {
      if (this.block) throw new HeaderBlockError('a header block began inside another');
      let start = 0;
      let end = payload.length;
      if (flags & flagPadded) {
        const padding = payload[0] ?? 0;
        start = 1;
        end -= padding;
      }
      if (flags & flagPriority) start += 5;
      if (start > end) throw new HeaderBlockError('malformed HEADERS frame');
      this.block = { streamId, endStream: (flags & flagEndStream) !== 0, fragments: [payload.subarray(start, end)], bytes: end - start, original: [frame] };
      return flags & flagEndHeaders ? this.finishBlock() : [];
    }
    if (type === frameContinuation) {
      const block = this.block;
      if (!block || block.streamId !== streamId) throw new HeaderBlockError('CONTINUATION outside a header block');
      block.fragments.push(payload);
      block.original.push(frame);
      block.bytes += payload.length;
      if (block.bytes > headerBlockBytesMax) throw new HeaderBlockError('header block too large');
      return flags & flagEndHeaders ? this.finishBlock() : [];
    }
    if (this.block) throw new HeaderBlockError('a frame interrupted a header block');
    return [frame];
  }

  private finishBlock(): Buffer[] {
    const block = this.block!;
    this.block = null;
    const headers: HeaderField[] = [];
    try {
      this.decompressor.write(Buffer.concat(block.fragments));
      this.decompressor.execute();
      for (let field = this.decompressor.read(); field !== null; field = this.decompressor.read()) headers.push(field);
    } catch (error) {
      throw new HeaderBlockError(`undecodable header block: ${error instanceof Error ? error.message : String(error)}`);
    }
    const authority = headers.find((h) => h.name === ':authority');
    if (this.mode === 'probe') {
      if (!authority || validAuthority.test(authority.value)) {
        this.mode = 'pass';
        return block.original;
      }
      this.mode = 'rewrite';
      this.compressor = hpack.compressor.create({ table: { size: 0 } });
    }
    const rewritten = headers.map((h) => ({ name: h.name, value: h.name === ':authority' ? repairAuthority(h.value) : h.value, neverIndex: true }));
    this.compressor!.write(rewritten);
    const encoded = this.compressor!.read() ?? Buffer.alloc(0);
    return headerFrames(block.streamId, block.endStream, encoded);
  }
}

/** One HEADERS frame (and CONTINUATIONs if the block is larger than a frame). */
function headerFrames(streamId: number, endStream: boolean, block: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  for (let offset = 0, first = true; first || offset < block.length; first = false) {
    const part = block.subarray(offset, offset + frameBytesMax);
    offset += part.length;
    const last = offset >= block.length;
    const header = Buffer.alloc(frameHeaderBytes);
    header.writeUIntBE(part.length, 0, 3);
    header[3] = first ? frameHeaders : frameContinuation;
    header[4] = (last ? flagEndHeaders : 0) | (first && endStream ? flagEndStream : 0);
    header.writeUInt32BE(streamId, 5);
    frames.push(header, part);
  }
  return frames;
}
