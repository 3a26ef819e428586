// Length-prefixed framing for peer connections: each frame is a 4-byte big-endian length and
// that many bytes. The decoder accepts arbitrary chunking and refuses frames over a limit.

export const frameHeaderBytes = 4;

/** A peer sent a frame larger than the agreed limit, or otherwise broke the framing. */
export class FrameError extends Error {
  override readonly name = 'FrameError';
}

export function frameHeader(length: number): Buffer {
  const header = Buffer.allocUnsafe(frameHeaderBytes);
  header.writeUInt32BE(length, 0);
  return header;
}

/** Reassembles frames from a byte stream. */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Frames taken so far. */
  private count = 0;
  private readonly limitOf: (frame: number) => number;

  /**
   * `frameBytesMax` is one limit for every frame, or the limit of the n-th frame (from 0): a
   * connection's first frame, its handshake, can be held to far less than the frames after it.
   */
  constructor(frameBytesMax: number | ((frame: number) => number)) {
    this.limitOf = typeof frameBytesMax === 'number' ? () => frameBytesMax : frameBytesMax;
  }

  /** Feeds bytes; returns every complete frame now available, in order. */
  push(chunk: Buffer): Buffer[] {
    if (chunk.length > 0) this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Buffer[] = [];
    while (this.buffered >= frameHeaderBytes) {
      const head = this.peek(frameHeaderBytes);
      const length = head.readUInt32BE(0);
      const limit = this.limitOf(this.count);
      if (length > limit) throw new FrameError(`frame of ${length} bytes exceeds the limit of ${limit}`);
      if (this.buffered < frameHeaderBytes + length) break;
      this.take(frameHeaderBytes);
      frames.push(this.take(length));
      this.count++;
    }
    return frames;
  }

  private peek(count: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= count) return first.subarray(0, count);
    return Buffer.concat(this.chunks).subarray(0, count);
  }

  private take(count: number): Buffer {
    if (count === 0) return Buffer.alloc(0);
    const first = this.chunks[0]!;
    if (first.length === count) {
      this.chunks.shift();
      this.buffered -= count;
      return first;
    }
    if (first.length > count) {
      this.chunks[0] = first.subarray(count);
      this.buffered -= count;
      return first.subarray(0, count);
    }
    const all = Buffer.concat(this.chunks);
    this.chunks = all.length > count ? [all.subarray(count)] : [];
    this.buffered -= count;
    return all.subarray(0, count);
  }
}
