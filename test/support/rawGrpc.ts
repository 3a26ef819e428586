// One unary call of etcd's API by raw grpc-js, for tests that compare Rafter's and etcd's answers
// code for code: the answer is the response or the status code and message, never thrown.
import { Metadata, type Client, type ServiceError } from '@grpc/grpc-js';
import { serviceDefinition, type EtcdServiceName } from '../../core/api/proto/load.js';

export type RawAnswer = { ok: true; value: Record<string, unknown> } | { ok: false; code: number; message: string };

const callDeadlineMs = 10_000;

/** Calls `service`/`method` on `client`; `token` goes in the `token` metadata as etcdctl sends it. */
export function rawUnaryCall(client: Client, service: EtcdServiceName, method: string, request: object, token?: string): Promise<RawAnswer> {
  const definition = serviceDefinition(service)[method]!;
  const metadata = new Metadata();
  if (token !== undefined) metadata.set('token', token);
  return new Promise((resolve) => {
    client.makeUnaryRequest(definition.path, definition.requestSerialize, definition.responseDeserialize, request, metadata, { deadline: Date.now() + callDeadlineMs }, (error: ServiceError | null, value?: object) => {
      if (error) resolve({ ok: false, code: error.code, message: error.details });
      else resolve({ ok: true, value: value as Record<string, unknown> });
    });
  });
}
