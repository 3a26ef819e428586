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

  constructor(private readonly frameBytesMax: number) {}

  /** Feeds bytes; returns every complete frame now available, in order. */
  push(chunk: Buffer): Buffer[] {
    if (chunk.length > 0) this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Buffer[] = [];
    while (this.buffered >= frameHeaderBytes) {
      const head = this.peek(frameHeaderBytes);
      const length = head.readUInt32BE(0);
      if (length > this.frameBytesMax) throw new FrameError(`frame of ${length} bytes exceeds the limit of ${this.frameBytesMax}`);
      if (this.buffered < frameHeaderBytes + length) break;
      this.take(frameHeaderBytes);
      frames.push(this.take(length));
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
