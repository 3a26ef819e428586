// Adapters from async functions to grpc-js handler shapes, with etcd's error mapping. Each service
// module writes plain `(request) => Promise<response>` functions; these wrappers do the rest.
import type { sendUnaryData, ServerUnaryCall, ServerWritableStream, ServiceError, UntypedHandleCall } from '@grpc/grpc-js';
import { Metadata } from '@grpc/grpc-js';
import { toGrpcFailure } from './grpcStatus.js';

/** A unary call: its answer; `signal` aborts if the caller goes away (cancel, deadline) first. */
export type UnaryFunction = (request: never, signal: AbortSignal) => Promise<object>;

export function serviceError(error: unknown): Partial<ServiceError> {
  const failure = toGrpcFailure(error);
  return { code: failure.code, details: failure.details, message: failure.details, metadata: new Metadata() };
}

/** The signal of calls whose handler does not listen. */
const neverAborted = new AbortController().signal;

/** A grpc-js unary handler over an async function, told through its signal if the caller leaves. */
export function unary(handler: UnaryFunction): UntypedHandleCall {
  // Only handlers that take the signal (Lock, Campaign: they wait) pay for one per call.
  const listens = handler.length >= 2;
  return (call: ServerUnaryCall<unknown, object>, callback: sendUnaryData<object>): void => {
    let signal = neverAborted;
    if (listens) {
      const gone = new AbortController();
      call.on('cancelled', () => gone.abort());
      signal = gone.signal;
    }
    handler(call.request as never, signal).then(
      (response) => callback(null, response),
      (error: unknown) => callback(serviceError(error)),
    );
  };
}

/** A server-streaming function: its messages, until it ends or `signal` aborts (the call went away). */
export type ServerStreamFunction = (request: never, signal: AbortSignal) => AsyncIterable<object>;

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
        for await (const message of handler(call.request as never, gone.signal)) {
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
