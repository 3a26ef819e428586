// A gRPC server that answers KV.Put and KV.Range at once with canned responses: the load
// generator measured against it shows its own ceiling on this machine.
import { Server, ServerCredentials, type sendUnaryData, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { serviceDefinition } from '../core/api/proto/load.js';

const header = { cluster_id: '1', member_id: '1', revision: '1', raft_term: '1' };
const implementation: UntypedServiceImplementation = {
  Put: (_call: unknown, callback: sendUnaryData<object>) => callback(null, { header, prev_kv: null }),
  Range: (_call: unknown, callback: sendUnaryData<object>) => callback(null, { header, kvs: [], more: false, count: '0' }),
};
const server = new Server();
server.addService(serviceDefinition('etcdserverpb.KV'), implementation);
server.bindAsync(`127.0.0.1:${process.argv[2] ?? '0'}`, ServerCredentials.createInsecure(), (error, port) => {
  if (error) throw error;
  process.stdout.write(`${port}\n`);
});
process.on('SIGTERM', () => server.forceShutdown());
