// A TCP relay between gRPC clients and one server that records, for each connection, which side
// began to close it: the first HTTP/2 GOAWAY frame, or else the first end, reset or error of a
// TCP side. Tests use it to show a server never drops a client's connection on its own: every
// connection the server closed first is reported with what it had carried.
import net from 'node:net';

const prefaceBytes = 24;
const frameHeaderBytes = 9;
const frameGoaway = 0x7;

export type Closer = 'client' | 'server';

/** One relayed connection. */
export interface WitnessedConnection {
  readonly id: number;
  /** The side whose GOAWAY, end or reset came first; null while the connection is open. */
  closedFirstBy: Closer | null;
  /** How it began to close: "GOAWAY", "end", "error: …". */
  how: string;
  /** Bytes each way so far. */
  bytesFromClient: number;
  bytesFromServer: number;
}

/** Finds frame headers in one direction of an HTTP/2 connection, across chunk boundaries. */
class FrameScanner {
  private skipBytes: number;
  private header = Buffer.alloc(0);

  constructor(prefixBytes: number) {
    this.skipBytes = prefixBytes;
  }

  /** True when `chunk` completes the header of a GOAWAY frame. */
  sawGoaway(chunk: Buffer): boolean {
    let found = false;
    for (let offset = 0; offset < chunk.length; ) {
      if (this.skipBytes > 0) {
        const skipped = Math.min(this.skipBytes, chunk.length - offset);
        this.skipBytes -= skipped;
        offset += skipped;
        continue;
      }
      const part = chunk.subarray(offset, offset + frameHeaderBytes - this.header.length);
      this.header = Buffer.concat([this.header, part]);
      offset += part.length;
      if (this.header.length === frameHeaderBytes) {
        if (this.header[3] === frameGoaway) found = true;
        this.skipBytes = this.header.readUIntBE(0, 3);
        this.header = Buffer.alloc(0);
      }
    }
    return found;
  }
}

export class ConnectionWitness {
  private readonly connections: WitnessedConnection[] = [];
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly listener: net.Server,
    /** host:port clients connect to. */
    readonly endpoint: string,
  ) {}

  /** Starts relaying from a free loopback port to `target` (host:port). */
  static async start(target: string): Promise<ConnectionWitness> {
    const [host, port] = splitHostPort(target);
    let witness: ConnectionWitness | null = null;
    const listener = net.createServer({ noDelay: true }, (client) => witness?.relay(client, host, port));
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
    });
    const address = listener.address() as net.AddressInfo;
    witness = new ConnectionWitness(listener, `127.0.0.1:${address.port}`);
    return witness;
  }

  /** Every connection relayed so far, in order of arrival. */
  get all(): readonly WitnessedConnection[] {
    return this.connections;
  }

  /** Connections the server began to close (a healthy server has none while its clients want them). */
  get closedByServer(): WitnessedConnection[] {
    return this.connections.filter((c) => c.closedFirstBy === 'server');
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.listener.close(() => resolve()));
  }

  private relay(client: net.Socket, host: string, port: number): void {
    const record: WitnessedConnection = { id: this.connections.length, closedFirstBy: null, how: '', bytesFromClient: 0, bytesFromServer: 0 };
    this.connections.push(record);
    const server = net.connect({ host, port, noDelay: true });
    this.sockets.add(client);
    this.sockets.add(server);
    const closing = (side: Closer, how: string): void => {
      if (record.closedFirstBy !== null) return;
      record.closedFirstBy = side;
      record.how = how;
    };
    const pass = (from: net.Socket, to: net.Socket, side: Closer, scanner: FrameScanner): void => {
      from.on('data', (chunk: Buffer) => {
        if (side === 'client') record.bytesFromClient += chunk.length;
        else record.bytesFromServer += chunk.length;
        if (scanner.sawGoaway(chunk)) closing(side, 'GOAWAY');
        if (!to.write(chunk)) from.pause();
      });
      to.on('drain', () => from.resume());
      from.on('end', () => {
        closing(side, 'end');
        to.end();
      });
      from.on('error', (error) => {
        closing(side, `error: ${error.message}`);
        to.destroy();
      });
      from.on('close', () => {
        closing(side, 'close');
        this.sockets.delete(from);
        to.destroy();
      });
    };
    pass(client, server, 'client', new FrameScanner(prefaceBytes));
    pass(server, client, 'server', new FrameScanner(0));
  }
}

function splitHostPort(endpoint: string): [string, number] {
  const at = endpoint.lastIndexOf(':');
  return [endpoint.slice(0, at), Number(endpoint.slice(at + 1))];
}
