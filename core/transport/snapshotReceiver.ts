// The receiving end of a snapshot stream on a peer connection: frames pushed by the transport
// become an async iterable for the installer, with back-pressure on the socket. Framing and the
// connection itself are peerTransport.ts's business.

/** Frames queued before the socket is paused. */
const snapshotQueueFramesMax = 16;

/**
 * Turns pushed frames into an async iterable; `null` marks the end. The socket is paused while
 * more than `snapshotQueueFramesMax` frames wait, so a slow installer bounds memory.
 */
export class SnapshotReceiver {
  private queue: (Buffer | null)[] = [];
  private wake: (() => void) | null = null;
  private paused = false;

  constructor(
    private readonly pause: () => void,
    private readonly resume: () => void,
  ) {}

  push(frame: Buffer | null): void {
    this.queue.push(frame);
    if (this.queue.length > snapshotQueueFramesMax && !this.paused) {
      this.paused = true;
      this.pause();
    }
    this.wake?.();
    this.wake = null;
  }

  async *chunks(): AsyncIterable<Buffer> {
    while (true) {
      if (this.paused && this.queue.length <= snapshotQueueFramesMax / 2) {
        this.paused = false;
        this.resume();
      }
      const next = this.queue.shift();
      if (next === undefined) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      if (next === null) return;
      yield next;
    }
  }
}
