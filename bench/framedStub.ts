// A no-op gRPC server on Rafter's own call path: HTTP/2 framed by core/api/framedHttp2.ts, each
// stream served by core/api/fastUnary.ts with KV.Put's and KV.Range's real codecs (the request is
// decoded, the answer encoded), the handler answering at once with a canned header. Any other
// method gets UNIMPLEMENTED. What it costs per call is the floor under every Rafter unary call:
// all of a call but the member's own work. Prints its port.
import net from 'node:net';
import { FramedHttp2Session } from '../core/api/framedHttp2.js';
import { serveFastUnary, type FastMethod } from '../core/api/fastUnary.js';
import { serviceDefinition } from '../core/api/proto/load.js';

const header = { cluster_id: '1', member_id: '1', revision: '1', raft_term: '1' };
const kv = serviceDefinition('etcdserverpb.KV');
const methods = new Map<string, FastMethod>();
for (const name of ['Put', 'Range']) {
  const codec = kv[name]!;
  methods.set(codec.path, { deserialize: codec.requestDeserialize, serialize: codec.responseSerialize, handler: () => Promise.resolve({ header }) });
}
const table = { methods, receiveBytesMax: 4 << 20, sendBytesMax: -1, intercepted: false };
const unimplemented = { ':status': 200, 'content-type': 'application/grpc+proto', 'grpc-status': 12, 'grpc-message': 'unimplemented' };

const server = net.createServer({ noDelay: true }, (socket) => {
  socket.on('error', () => socket.destroy());
  new FramedHttp2Session(socket, (stream, headers) => {
    if (serveFastUnary(table, stream, headers)) return;
    stream.respond(unimplemented, { endStream: true });
  });
});
server.listen(Number(process.argv[2] ?? '0'), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${typeof address === 'object' && address !== null ? address.port : ''}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
