// Moving the store between members when a follower is too far behind for log entries: the leader
// streams a consistent copy of its LMDB file over the peer transport (one transfer per peer at a
// time) and reports the outcome to Raft; the follower writes the stream to a temporary file, waits
// for the driver to go idle, has the host swap the file in as its store, and only then steps the
// snapshot message into Raft. Swapping stores (and rebinding watches and leases) is the host's.
import fs from 'node:fs';
import path from 'node:path';
import { randomInt } from 'node:crypto';
import type { SnapshotStream } from '../api/backend.js';
import type { Message } from '../raft/message.js';
import type { PeerTransport } from '../transport/peerTransport.js';
import { decodeMessage, encodeMessage } from './messageCodec.js';
import type { RaftDriver } from './raftDriver.js';

/** What a snapshot transfer needs from the member that hosts it. */
export interface SnapshotTransferHost {
  /** A directory on the same filesystem as the store, for the files in transit. */
  readonly tmpDir: string;
  readonly transport: PeerTransport;
  readonly driver: RaftDriver;
  readonly log: (level: 'info' | 'warn', message: string) => void;
  /** Writes a consistent copy of the current store to `file`. */
  copyStore(file: string): Promise<void>;
  /** Replaces the store with the database file `file` (flushed to disk; it may be moved), synchronously. */
  installStore(file: string): void;
  /** Whether `message`, which came on a connection from `from`, is from a member of the cluster. */
  knownSender(from: string, message: Message): boolean;
}

export class SnapshotTransfer {
  /** Peers a snapshot is being sent to. Invariant: at most one transfer per peer. */
  private readonly inFlight = new Set<string>();

  constructor(private readonly host: SnapshotTransferHost) {}

  /** Sends the store to `message.to` and tells Raft whether it arrived. */
  async send(message: Message): Promise<void> {
    const { host } = this;
    if (this.inFlight.has(message.to)) return;
    this.inFlight.add(message.to);
    const file = path.join(host.tmpDir, `send-${message.to}-${Date.now()}.db`);
    try {
      await host.copyStore(file);
      host.log('info', `sending a snapshot at index ${message.snapshot?.meta.index ?? 0} to ${message.to} (${fs.statSync(file).size} bytes)`);
      const stream = fs.createReadStream(file);
      // If the peer drops the transfer early, the stream may still open or fail after `finally`
      // removed the file; its errors must never become uncaught.
      stream.on('error', () => undefined);
      try {
        await host.transport.sendSnapshot(message.to, encodeMessage(message), stream);
      } finally {
        stream.destroy();
      }
      host.driver.withNode((node) => node.reportSnapshot(message.to, true));
    } catch (error) {
      host.log('warn', `sending a snapshot to ${message.to} failed: ${error instanceof Error ? error.message : String(error)}`);
      host.driver.withNode((node) => node.reportSnapshot(message.to, false));
    } finally {
      this.inFlight.delete(message.to);
      fs.rmSync(file, { force: true });
    }
  }

  /** Receives a store from `from`, installs it, then hands the snapshot message to Raft. */
  async receive(from: string, header: Buffer, body: AsyncIterable<Buffer>): Promise<void> {
    const { host } = this;
    const message = decodeMessage(header);
    if (message.type !== 'snapshot' || !host.knownSender(from, message)) throw new Error(`refused a snapshot from ${message.from}: not a snapshot from a member of this cluster`);
    fs.mkdirSync(host.tmpDir, { recursive: true });
    const file = path.join(host.tmpDir, `receive-${from}-${Date.now()}.db`);
    try {
      const out = fs.createWriteStream(file);
      for await (const chunk of body) {
        if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', resolve));
      }
      await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
      // Flushed here, off the event loop, so the swap below is a rename (installStore).
      await flushFile(file);
      if (host.transport.currentFaults().holdSnapshots === true) {
        host.log('info', `holding a received snapshot at index ${message.snapshot?.meta.index ?? 0} from ${from} (fault injection)`);
        await host.transport.snapshotsReleased();
      }
      await host.driver.idle();
      // A snapshot that Raft will not install (stale, or no newer than what this member has
      // committed, say a retry that arrives after appends caught the member up) must not replace
      // the store: the store would go back in time under entries already applied, and the next
      // writes would reuse revisions. The check, the swap and the step run in one turn.
      if (host.driver.node.wouldRestore(message)) {
        host.log('info', `installing a snapshot at index ${message.snapshot?.meta.index ?? 0} from ${from}`);
        host.installStore(file);
      } else {
        host.log('info', `ignored a snapshot at index ${message.snapshot?.meta.index ?? 0} from ${from}: this member has committed as far or the sender is stale`);
      }
    } finally {
      fs.rmSync(file, { force: true });
    }
    host.driver.step(message);
  }
}

/** Flushes a file to disk without blocking the event loop. */
async function flushFile(file: string): Promise<void> {
  const handle = await fs.promises.open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Chunk size of a client's snapshot stream. */
const snapshotChunkBytes = 256 * 1024;

/**
 * A consistent copy of the store as a client's snapshot stream (etcd's Maintenance/Snapshot); the
 * temporary copy is removed once the stream ends or is abandoned.
 */
export async function streamStoreCopy(tmpDir: string, copyStore: (file: string) => Promise<void>): Promise<SnapshotStream> {
  fs.mkdirSync(tmpDir, { recursive: true });
  const file = path.join(tmpDir, `client-snapshot-${Date.now()}-${randomInt(0, 1e9)}.db`);
  await copyStore(file);
  const sizeBytes = fs.statSync(file).size;
  async function* chunks(): AsyncIterable<Uint8Array> {
    try {
      for await (const chunk of fs.createReadStream(file, { highWaterMark: snapshotChunkBytes })) yield chunk as Buffer;
    } finally {
      fs.rmSync(file, { force: true });
    }
  }
  return { sizeBytes, chunks: chunks() };
}
