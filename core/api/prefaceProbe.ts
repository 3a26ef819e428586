// Lets a plaintext gRPC connection be served by Node's native HTTP/2 (reading the socket in C++)
// rather than through a JavaScript stream, which cost about a fifth of a member's CPU per request.
//
// The client port must see a connection's first header block before handing the socket to
// grpc-js: some etcdctl commands send an :authority nghttp2 refuses (authorityRewriter.ts), and
// those connections must stay on the JavaScript path that repairs them. But gRPC clients send
// their first request only after the server's connection preface, which Node's HTTP/2 session
// would send. So the client port answers the preface itself with an empty SETTINGS frame (a
// valid server preface, RFC 9113 §3.4) and watches the client's bytes for the first header block
// and for the client's acknowledgement of that SETTINGS frame, which it removes: the HTTP/2
// session never sent those settings (it sends its own, which the client acknowledges in turn).
//
// This module only reads frames; HPACK is AuthorityRewriter's, holding and routing bytes is
// clientServer.ts's.

const prefaceBytes = 24;
const frameHeaderBytes = 9;
/** HTTP/2's default SETTINGS_MAX_FRAME_SIZE, which holds until the server raises it. */
const frameBytesMax = 16_384;
const frameHeaders = 0x1;
const frameSettings = 0x4;
const frameContinuation = 0x9;
const flagAck = 0x1;
const flagEndHeaders = 0x4;

/** The empty SETTINGS frame sent as the server's connection preface. */
export const serverPrefaceSettings: Buffer = Buffer.from([0, 0, 0, frameSettings, 0, 0, 0, 0, 0]);

export class PrefaceError extends Error {
  override readonly name = 'PrefaceError';
}

export class PrefaceProbe {
  private prefaceLeft = prefaceBytes;
  private pending: Buffer = Buffer.alloc(0);
  private acknowledged = false;
  private headerBlockEnded = false;

  /** True once the client acknowledged the server preface and ended its first header block. */
  get done(): boolean {
    return this.acknowledged && this.headerBlockEnded;
  }

  /**
   * Feeds client bytes; returns them with the acknowledgement of serverPrefaceSettings removed
   * (bytes of a frame not yet complete are kept until it is). Throws PrefaceError on a frame
   * larger than the client may send.
   */
  filter(chunk: Buffer): Buffer[] {
    if (this.done) return [chunk];
    const out: Buffer[] = [];
    let data = chunk;
    if (this.prefaceLeft > 0) {
      const take = Math.min(this.prefaceLeft, data.length);
      out.push(data.subarray(0, take));
      this.prefaceLeft -= take;
      data = data.subarray(take);
    }
    this.pending = this.pending.length === 0 ? data : Buffer.concat([this.pending, data]);
    while (!this.done && this.pending.length >= frameHeaderBytes) {
      const length = this.pending.readUIntBE(0, 3);
      if (length > frameBytesMax) throw new PrefaceError(`a ${length}-byte frame before the server's settings allow it`);
      if (this.pending.length < frameHeaderBytes + length) break;
      const frame = this.pending.subarray(0, frameHeaderBytes + length);
      this.pending = this.pending.subarray(frameHeaderBytes + length);
      const type = frame[3]!;
      const flags = frame[4]!;
      if (!this.acknowledged && type === frameSettings && (flags & flagAck) !== 0) {
        this.acknowledged = true;
        continue;
      }
      if ((type === frameHeaders || type === frameContinuation) && (flags & flagEndHeaders) !== 0) this.headerBlockEnded = true;
      out.push(frame);
    }
    if (this.done && this.pending.length > 0) {
      out.push(this.pending);
      this.pending = Buffer.alloc(0);
    }
    return out;
  }
}
