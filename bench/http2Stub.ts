// A gRPC server on node:http2 that answers KV.Put and KV.Range at once with a canned response, as
// Rafter's fast unary path answers (respond, the framed message, trailers on `wantTrailers`), but
// with no work behind it: the load generator against it measures what one unary call costs in
// Node's HTTP/2 layer alone, the floor under any Node server's call. Prints its port.
import http2 from 'node:http2';

/** etcdserverpb.ResponseHeader { cluster_id: 1, member_id: 1, revision: 1, raft_term: 1 }. */
const header = Buffer.from([0x08, 1, 0x10, 1, 0x18, 1, 0x20, 1]);
/** A PutResponse or a RangeResponse holding only that header (field 1 of both). */
const message = Buffer.concat([Buffer.from([0x0a, header.length]), header]);
/** The gRPC frame: not compressed, 4-byte big-endian length, the message. */
const frame = Buffer.alloc(5 + message.length);
frame.writeUInt32BE(message.length, 1);
message.copy(frame, 5);

const answered = new Set(['/etcdserverpb.KV/Put', '/etcdserverpb.KV/Range']);
const responseHeaders = { ':status': 200, 'content-type': 'application/grpc' };
const okTrailers = { 'grpc-status': '0', 'grpc-message': '' };

const server = http2.createServer();
server.on('stream', (stream, headers) => {
  const known = answered.has(String(headers[':path']));
  stream.on('data', () => undefined);
  stream.on('end', () => {
    if (!known) {
      stream.respond({ ...responseHeaders, 'grpc-status': '12', 'grpc-message': 'unimplemented' }, { endStream: true });
      return;
    }
    stream.respond(responseHeaders, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers(okTrailers));
    stream.end(frame);
  });
});
server.listen(Number(process.argv[2] ?? '0'), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${typeof address === 'object' && address !== null ? address.port : ''}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
