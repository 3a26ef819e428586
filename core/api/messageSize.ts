// The size limit on gRPC requests, refused with gRPC-Go's words: etcd's server (and its gateway,
// a gRPC client of it) answers RESOURCE_EXHAUSTED "grpc: received message larger than max (N vs.
// M)", where grpc-js would say "Received message larger than max (N vs M)". grpc-js reads messages
// up to a higher ceiling; a message between the limit and the ceiling is deserialized into an
// OversizeRequest marker, which the interceptor answers with Go's status before any handler runs.
import { Metadata, ServerInterceptingCall, status, type ServerInterceptor } from '@grpc/grpc-js';
import type { ServiceDefinition } from '@grpc/proto-loader';

/**
 * Bytes grpc-js buffers for one message before refusing it with its own words (in memory, so
 * bounded). Between the member's limit and this, the refusal is etcd's.
 */
export const grpcReceiveBytesCeiling = 80 * 1024 * 1024;

/** gRPC-Go's message for a received message over the limit. */
export function oversizeMessage(sizeBytes: number, limitBytes: number): string {
  return `grpc: received message larger than max (${sizeBytes} vs. ${limitBytes})`;
}

/** What a request deserializes to when it is over the limit. */
export class OversizeRequest {
  constructor(readonly sizeBytes: number, readonly limitBytes: number) {}
}

/** `definition` with each request deserializer refusing messages over `limitBytes`. */
export function withRequestLimit(definition: ServiceDefinition, limitBytes: number): ServiceDefinition {
  const limited: Record<string, ServiceDefinition[string]> = {};
  for (const [name, method] of Object.entries(definition)) {
    const deserialize = method.requestDeserialize;
    limited[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => (bytes.length > limitBytes ? new OversizeRequest(bytes.length, limitBytes) : deserialize(bytes)),
    };
  }
  return limited;
}

/** Answers an OversizeRequest with RESOURCE_EXHAUSTED, as gRPC-Go does, before the handler sees it. */
export const oversizeInterceptor: ServerInterceptor = (_method, call) =>
  new ServerInterceptingCall(call, {
    start: (next) =>
      next({
        onReceiveMessage: (message: unknown, pass: (message: unknown) => void) => {
          if (!(message instanceof OversizeRequest)) return pass(message);
          call.sendStatus({ code: status.RESOURCE_EXHAUSTED, details: oversizeMessage(message.sizeBytes, message.limitBytes), metadata: new Metadata() });
        },
      }),
  });
