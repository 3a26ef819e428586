// Adapters from async functions to grpc-js handler shapes, with etcd's error mapping. Each service
// module writes plain `(request) => Promise<response>` functions; these wrappers do the rest.
import type { sendUnaryData, ServerUnaryCall, ServerWritableStream, ServiceError, UntypedHandleCall } from '@grpc/grpc-js';
import { Metadata } from '@grpc/grpc-js';
import { toGrpcFailure } from './grpcStatus.js';

export type UnaryFunction = (request: never) => Promise<object>;

export function serviceError(error: unknown): Partial<ServiceError> {
  const failure = toGrpcFailure(error);
  return { code: failure.code, details: failure.details, message: failure.details, metadata: new Metadata() };
}

/** A grpc-js unary handler over an async function. */
export function unary(handler: UnaryFunction): UntypedHandleCall {
  return (call: ServerUnaryCall<unknown, object>, callback: sendUnaryData<object>): void => {
    handler(call.request as never).then(
      (response) => callback(null, response),
      (error: unknown) => callback(serviceError(error)),
    );
  };
}

/** A grpc-js server-streaming handler over an async generator. */
export function serverStream(handler: (request: never) => AsyncIterable<object>): UntypedHandleCall {
  return (call: ServerWritableStream<unknown, object>): void => {
    void (async () => {
      try {
        for await (const message of handler(call.request as never)) {
          if (call.cancelled) return;
          if (!call.write(message)) await new Promise<void>((resolve) => call.once('drain', resolve));
        }
        call.end();
      } catch (error) {
        call.destroy(serviceError(error) as ServiceError);
      }
    })();
  };
}
