// What a client presents to say who it is: a token (gRPC metadata `token`, as etcdctl and the Go
// client send it, or `authorization`, the JSON gateway's header) and, on a TLS connection whose
// client certificate was verified, that certificate's common name. Resolving them to a user is
// the member's job (core/server/memberAuth.ts); this module only gathers them at the API edge.

export interface Credentials {
  /** The token the call carries, or null. */
  readonly token: string | null;
  /**
   * The common name of the verified client certificate, or null. With --client-cert-auth and
   * auth enabled, it names the user when the call carries no token (etcd's AuthInfoFromTLS).
   */
  readonly commonName: string | null;
}

export const noCredentials: Credentials = { token: null, commonName: null };

/** Metadata as grpc-js hands it over: `get(key)` of a lower-case key. */
export interface MetadataLike {
  get(key: string): readonly (string | Buffer)[];
}

function firstText(values: readonly (string | Buffer)[]): string | null {
  const first = values[0];
  if (first === undefined) return null;
  return typeof first === 'string' ? first : first.toString('utf8');
}

/**
 * The credentials of a gRPC call: its `token` metadata (etcd also reads `authorization`, the key
 * grpc-gateway forwards the HTTP header under) and the verified certificate's common name, when
 * the TLS layer supplies one.
 */
export function credentialsOf(metadata: MetadataLike, verifiedCommonName: string | null = null): Credentials {
  const token = firstText(metadata.get('token')) ?? firstText(metadata.get('authorization'));
  return { token, commonName: verifiedCommonName };
}

/** The credentials of a JSON gateway request: its Authorization header, as etcd's gateway takes it. */
export function credentialsOfHeaders(headers: Readonly<Record<string, string | string[] | undefined>>): Credentials {
  const value = headers.authorization ?? headers.token;
  const token = Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
  return { token, commonName: null };
}
