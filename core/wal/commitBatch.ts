// One group-commit batch: the encoded records of every save that shares one write and one fsync,
// held in a few large chunks so entry data are copied once (into a chunk) and never again, plus
// the promise those saves wait on. The order of writes and fsyncs is wal.ts's.
import type { HardState, Index } from '../raft/types.js';
import type { WalSnapshotMarker } from './walRecord.js';

/** Size of a standard chunk; a record larger than this gets a chunk of its own size. */
export const chunkBytes = 256 * 1024;
/** Free standard chunks kept for reuse between batches. */
export const chunkPoolMax = 16;

/** A pool of reusable chunks, so steady appends do not allocate. */
export class ChunkPool {
  private readonly free: Uint8Array[] = [];

  take(minimumBytes: number): Uint8Array {
    if (minimumBytes <= chunkBytes) return this.free.pop() ?? new Uint8Array(chunkBytes);
    return new Uint8Array(minimumBytes);
  }

  give(chunk: Uint8Array): void {
    if (chunk.length === chunkBytes && this.free.length < chunkPoolMax) this.free.push(chunk);
  }
}

export class CommitBatch {
  /** Filled chunks, the last one possibly partly. Invariant: `used[i] <= chunks[i].length`. */
  readonly chunks: Uint8Array[] = [];
  readonly used: number[] = [];
  bytes = 0;
  /** The state the log will be in once this batch is durable (null: unchanged by this batch). */
  lastIndexAfter: Index | null = null;
  hardStateAfter: HardState | null = null;
  markers: WalSnapshotMarker[] = [];
  /** True once a save in this batch needs it fdatasynced before it resolves. */
  syncNeeded = false;
  readonly done: Promise<void>;
  private settle!: (error: Error | null) => void;

  constructor(private readonly pool: ChunkPool) {
    this.done = new Promise<void>((resolve, reject) => {
      this.settle = (error) => (error === null ? resolve() : reject(error));
    });
    // Saves await `done`; a batch failing while nobody listens yet must not crash the process.
    this.done.catch(() => undefined);
  }

  /**
   * Reserves `size` contiguous bytes and returns the chunk and offset to encode into. The caller
   * must fill exactly `size` bytes before the event loop turns.
   */
  reserve(size: number): { chunk: Uint8Array; at: number } {
    const lastIndex = this.chunks.length - 1;
    const last = this.chunks[lastIndex];
    const lastUsed = this.used[lastIndex] ?? 0;
    if (last !== undefined && last.length - lastUsed >= size) {
      this.used[lastIndex] = lastUsed + size;
      this.bytes += size;
      return { chunk: last, at: lastUsed };
    }
    const chunk = this.pool.take(size);
    this.chunks.push(chunk);
    this.used.push(size);
    this.bytes += size;
    return { chunk, at: 0 };
  }

  /** The filled parts of the chunks, in order, for one vectored write. */
  views(): Uint8Array[] {
    return this.chunks.map((chunk, i) => chunk.subarray(0, this.used[i]));
  }

  /** Resolves (error null) or rejects every save of the batch and returns its chunks to the pool. */
  finish(error: Error | null): void {
    for (const chunk of this.chunks) this.pool.give(chunk);
    this.chunks.length = 0;
    this.used.length = 0;
    this.settle(error);
  }
}
