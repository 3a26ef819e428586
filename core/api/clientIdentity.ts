// Who is at the other end of a gRPC call on a TLS client port: the common name of the client
// certificate the connection presented and the server verified against --trusted-ca-file. etcd
// takes that name as the user when auth is enabled and the call carries no token; this module
// only reads it, deciding nothing about users.
//
// TLS connections that negotiate h2 are handed to grpc-js as the TLS socket itself (see
// clientServer.ts), so grpc-js's own auth context sees the verified certificate. Plaintext
// connections, and TLS ones without ALPN, have none: the name is then null.
import type { PeerCertificate } from 'node:tls';

/** Anything with grpc-js's `getAuthContext()`: ServerUnaryCall, ServerWritableStream, ServerDuplexStream... */
export interface CallWithAuthContext {
  getAuthContext(): { readonly sslPeerCertificate?: PeerCertificate | undefined };
}

/**
 * The subject common name of the call's verified client certificate, or null: no TLS, no client
 * certificate, or one without a CN. A subject with several CNs gives the last, as Go (so etcd) does.
 */
export function clientCommonName(call: CallWithAuthContext): string | null {
  const names: unknown = call.getAuthContext().sslPeerCertificate?.subject?.CN;
  const name = Array.isArray(names) ? (names.at(-1) as unknown) : names;
  return typeof name === 'string' && name !== '' ? name : null;
}
