// A no-op gRPC server like bench/http2Stub.ts, but with HTTP/2 framed by hand over a plain TCP
// socket instead of node:http2: it answers KV.Put and KV.Range with the same canned response and
// writes everything a chunk of input asks for (headers, message and trailers of every call in it)
// as one write. It is a measuring device, not a server: it skips what a real one needs (flow
// control of what it sends, stream states and limits, padding checks, errors as GOAWAY), which is
// why its figure is a lower bound on what a hand-framed client port would cost. Prints its port.
import net from 'node:net';
import hpack from 'hpack.js';

const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const frameType = { data: 0, headers: 1, rstStream: 3, settings: 4, ping: 6, goaway: 7, windowUpdate: 8, continuation: 9 } as const;
const flag = { endStream: 0x1, ack: 0x1, endHeaders: 0x4, padded: 0x8, priority: 0x20 } as const;

/** etcdserverpb.ResponseHeader { cluster_id: 1, member_id: 1, revision: 1, raft_term: 1 } as field 1. */
const message = Buffer.from([0x0a, 8, 0x08, 1, 0x10, 1, 0x18, 1, 0x20, 1]);
const grpcFrame = Buffer.concat([Buffer.from([0, 0, 0, 0, message.length]), message]);
/** `:status: 200` (static table entry 8), `content-type: application/grpc` (name from entry 31, not indexed). */
const responseBlock = Buffer.concat([Buffer.from([0x88, 0x0f, 0x10, 16]), Buffer.from('application/grpc', 'latin1')]);
/** `grpc-status: 0`, a literal not indexed. */
const okBlock = Buffer.concat([Buffer.from([0x00, 11]), Buffer.from('grpc-status', 'latin1'), Buffer.from([1, 0x30])]);
/** `grpc-status: 12` (UNIMPLEMENTED), for any other method, with END_STREAM: a trailers-only answer. */
const unimplementedBlock = Buffer.concat([responseBlock, Buffer.from([0x00, 11]), Buffer.from('grpc-status', 'latin1'), Buffer.from([2, 0x31, 0x32])]);
const answered = new Set(['/etcdserverpb.KV/Put', '/etcdserverpb.KV/Range']);

function frameHeader(length: number, type: number, flags: number, streamId: number): Buffer {
  const bytes = Buffer.allocUnsafe(9);
  bytes.writeUIntBE(length, 0, 3);
  bytes[3] = type;
  bytes[4] = flags;
  bytes.writeUInt32BE(streamId, 5);
  return bytes;
}

/** The header block fragment of a HEADERS frame, without padding and priority fields. */
function headerFragment(payload: Buffer, flags: number): Buffer {
  let start = 0;
  let end = payload.length;
  if ((flags & flag.padded) !== 0) {
    end -= payload[0]!;
    start = 1;
  }
  if ((flags & flag.priority) !== 0) start += 5;
  return payload.subarray(start, end);
}

function serve(socket: net.Socket): void {
  socket.setNoDelay(true);
  const decoder = hpack.decompressor.create({ table: { size: 4096 } });
  /** Streams whose request headers named a method answered here. */
  const known = new Set<number>();
  let pending: Buffer = Buffer.alloc(0);
  let prefaceSeen = false;
  let unacknowledgedData = 0;
  let block: Buffer[] = [];
  socket.write(frameHeader(0, frameType.settings, 0, 0));
  const headersDone = (streamId: number): void => {
    decoder.write(Buffer.concat(block));
    decoder.execute();
    block = [];
    for (let field = decoder.read(); field !== null; field = decoder.read()) {
      if (field.name === ':path' && answered.has(field.value)) known.add(streamId);
    }
  };
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let at = 0;
    if (!prefaceSeen) {
      if (pending.length < preface.length) return;
      if (!pending.subarray(0, preface.length).equals(preface)) {
        socket.destroy();
        return;
      }
      at = preface.length;
      prefaceSeen = true;
    }
    const out: Buffer[] = [];
    while (pending.length - at >= 9) {
      const length = pending.readUIntBE(at, 3);
      if (pending.length - at < 9 + length) break;
      const type = pending[at + 3]!;
      const flags = pending[at + 4]!;
      const streamId = pending.readUInt32BE(at + 5) & 0x7fff_ffff;
      const payload = pending.subarray(at + 9, at + 9 + length);
      at += 9 + length;
      if (type === frameType.headers || type === frameType.continuation) {
        block.push(type === frameType.headers ? headerFragment(payload, flags) : payload);
        if ((flags & flag.endHeaders) !== 0) headersDone(streamId);
      } else if (type === frameType.data) {
        unacknowledgedData += length;
        if ((flags & flag.endStream) === 0) continue;
        if (known.delete(streamId)) {
          out.push(frameHeader(responseBlock.length, frameType.headers, flag.endHeaders, streamId), responseBlock);
          out.push(frameHeader(grpcFrame.length, frameType.data, 0, streamId), grpcFrame);
          out.push(frameHeader(okBlock.length, frameType.headers, flag.endHeaders | flag.endStream, streamId), okBlock);
        } else {
          out.push(frameHeader(unimplementedBlock.length, frameType.headers, flag.endHeaders | flag.endStream, streamId), unimplementedBlock);
        }
      } else if (type === frameType.settings && (flags & flag.ack) === 0) {
        out.push(frameHeader(0, frameType.settings, flag.ack, 0));
      } else if (type === frameType.ping && (flags & flag.ack) === 0) {
        out.push(frameHeader(8, frameType.ping, flag.ack, 0), payload);
      } else if (type === frameType.rstStream) {
        known.delete(streamId);
      } else if (type === frameType.goaway) {
        socket.end();
      }
    }
    pending = at === pending.length ? Buffer.alloc(0) : pending.subarray(at);
    // Give the connection's receive window back (requests are small: the streams' own never run out).
    if (unacknowledgedData >= 16_384) {
      const increment = Buffer.allocUnsafe(4);
      increment.writeUInt32BE(unacknowledgedData);
      out.push(frameHeader(4, frameType.windowUpdate, 0, 0), increment);
      unacknowledgedData = 0;
    }
    if (out.length > 0) socket.write(Buffer.concat(out));
  });
  socket.on('error', () => socket.destroy());
}

const server = net.createServer(serve);
server.listen(Number(process.argv[2] ?? '0'), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${typeof address === 'object' && address !== null ? address.port : ''}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
