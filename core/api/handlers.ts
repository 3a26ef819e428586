// Adapters from async functions to grpc-js handler shapes, with etcd's error mapping. Each service
// module writes plain `(request) => Promise<response>` functions; these wrappers do the rest.
import type { sendUnaryData, ServerUnaryCall, ServerWritableStream, ServiceError, UntypedHandleCall } from '@grpc/grpc-js';
import { Metadata } from '@grpc/grpc-js';
import { credentialsOf, type Credentials, type MetadataLike } from '../auth/credentials.js';
import { clientCommonName, type CallWithAuthContext } from './clientIdentity.js';
import { toGrpcFailure } from './grpcStatus.js';

/**
 * What a handler knows of its call besides the request: who the caller says it is, and a signal
 * that aborts if the caller goes away (cancel, deadline) first. The signal is made on first use,
 * so only handlers that wait (Lock, Campaign) pay for one.
 */
export interface CallContext {
  readonly credentials: Credentials;
  readonly signal: AbortSignal;
}

/** A unary call: its answer. */
export type UnaryFunction = (request: never, call: CallContext) => Promise<object>;

/**
 * Who a call says it is: its token metadata and, on a TLS client port, the common name of the
 * client certificate the TLS layer verified (the member takes it as the user when
 * --client-cert-auth is on and the call carries no token, as etcd does).
 */
export function callCredentials(call: { readonly metadata: MetadataLike } & Partial<CallWithAuthContext>): Credentials {
  return credentialsOf(call.metadata, call.getAuthContext ? clientCommonName(call as CallWithAuthContext) : null);
}

export function serviceError(error: unknown): Partial<ServiceError> {
  const failure = toGrpcFailure(error);
  return { code: failure.code, details: failure.details, message: failure.details, metadata: new Metadata() };
}

/** A grpc-js unary handler over an async function, told through its signal if the caller leaves. */
export function unary(handler: UnaryFunction): UntypedHandleCall {
  return (call: ServerUnaryCall<unknown, object>, callback: sendUnaryData<object>): void => {
    let signal: AbortSignal | null = null;
    const context: CallContext = {
      credentials: callCredentials(call),
      // Only handlers that read the signal (Lock, Campaign: they wait) pay for one.
      get signal(): AbortSignal {
        if (signal === null) {
          const gone = new AbortController();
          call.on('cancelled', () => gone.abort());
          signal = call.cancelled ? AbortSignal.abort() : gone.signal;
        }
        return signal;
      },
    };
    handler(call.request as never, context).then(
      (response) => callback(null, response),
      (error: unknown) => callback(serviceError(error)),
    );
  };
}

/** A server-streaming function: its messages, until it ends or the call's signal aborts (the call went away). */
export type ServerStreamFunction = (request: never, call: CallContext) => AsyncIterable<object>;

/**
 * A grpc-js server-streaming handler over an async generator. The generator is told through its
 * signal as soon as the client cancels or the connection goes, so what it holds (a watch, a read
 * transaction) is released then, not at its next message; a failure reaches the client as a status.
 */
export function serverStream(handler: ServerStreamFunction): UntypedHandleCall {
  return (call: ServerWritableStream<unknown, object>): void => {
    const gone = new AbortController();
    const stop = (): void => gone.abort();
    call.on('cancelled', stop);
    call.on('close', stop);
    call.on('error', stop);
    void (async () => {
      try {
        for await (const message of handler(call.request as never, { credentials: callCredentials(call), signal: gone.signal })) {
          if (gone.signal.aborted) return;
          if (!call.write(message)) await drainedOrGone(call, gone.signal);
        }
        if (!gone.signal.aborted) call.end();
      } catch (error) {
        // grpc-js sends the status of an emitted error; destroy() would end the call without one.
        if (!gone.signal.aborted) call.emit('error', serviceError(error));
      }
    })();
  };
}

/** Resolves when `call` drains or `signal` aborts, whichever comes first. */
function drainedOrGone(call: ServerWritableStream<unknown, object>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      call.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    call.once('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}
