// Adapters from async functions to grpc-js handler shapes, with etcd's error mapping. Each service
// module writes plain `(request) => Promise<response>` functions; these wrappers do the rest.
import type { sendUnaryData, ServerUnaryCall, ServerWritableStream, ServiceError, UntypedHandleCall } from '@grpc/grpc-js';
import { Metadata } from '@grpc/grpc-js';
import { credentialsOf, type Credentials, type MetadataLike } from '../auth/credentials.js';
import { toGrpcFailure } from './grpcStatus.js';

export type UnaryFunction = (request: never, credentials: Credentials) => Promise<object>;

/**
 * Who a call says it is: its token metadata and, once the client port speaks TLS, the common name
 * of the client certificate the TLS layer verified. That is the one place to wire it: pass the
 * verified certificate's CN (e.g. from grpc-js's `call.getAuthContext().sslPeerCertificate`, only
 * when --client-cert-auth verified it) as the second argument of credentialsOf; the member
 * uses it as the user when --client-cert-auth is on and the call carries no token.
 */
export function callCredentials(call: { readonly metadata: MetadataLike }): Credentials {
  return credentialsOf(call.metadata, null);
}

export function serviceError(error: unknown): Partial<ServiceError> {
  const failure = toGrpcFailure(error);
  return { code: failure.code, details: failure.details, message: failure.details, metadata: new Metadata() };
}

/** A grpc-js unary handler over an async function. */
export function unary(handler: UnaryFunction): UntypedHandleCall {
  return (call: ServerUnaryCall<unknown, object>, callback: sendUnaryData<object>): void => {
    handler(call.request as never, callCredentials(call)).then(
      (response) => callback(null, response),
      (error: unknown) => callback(serviceError(error)),
    );
  };
}

/** A grpc-js server-streaming handler over an async generator. */
export function serverStream(handler: (request: never, credentials: Credentials) => AsyncIterable<object>): UntypedHandleCall {
  return (call: ServerWritableStream<unknown, object>): void => {
    void (async () => {
      try {
        for await (const message of handler(call.request as never, callCredentials(call))) {
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
