// Channel credentials for the etcd client: plaintext, TLS with a CA (file or PEM), client
// certificates, and an explicit insecureSkipVerify for self-signed servers. Reading files happens
// here; everything else about connections is in connection.ts.
import fs from 'node:fs';
import { credentials } from '@grpc/grpc-js';
import type { ChannelCredentials, VerifyOptions } from '@grpc/grpc-js';

/** TLS settings. PEM contents take precedence over the matching file paths. */
export interface TlsOptions {
  /** CA certificates (PEM) to trust; defaults to Node's root store. */
  readonly caPem?: string | Buffer;
  readonly caFile?: string;
  /** Client certificate chain and key (PEM), for servers that require client certificates. */
  readonly certPem?: string | Buffer;
  readonly certFile?: string;
  readonly keyPem?: string | Buffer;
  readonly keyFile?: string;
  /**
   * Accept any server certificate: neither the chain nor the host name is verified. Only for
   * self-signed test servers; the connection is encrypted but not authenticated.
   */
  readonly insecureSkipVerify?: boolean;
  /** Host name to verify the server certificate against, when it differs from the endpoint's. */
  readonly serverName?: string;
}

function pem(content: string | Buffer | undefined, file: string | undefined): Buffer | null {
  if (content !== undefined) return Buffer.isBuffer(content) ? content : Buffer.from(content);
  if (file !== undefined) return fs.readFileSync(file);
  return null;
}

/** Builds grpc-js channel credentials; plaintext when `tls` is undefined. */
export function channelCredentials(tls: TlsOptions | undefined): ChannelCredentials {
  if (tls === undefined) return credentials.createInsecure();
  const verify: VerifyOptions = tls.insecureSkipVerify
    ? { rejectUnauthorized: false, checkServerIdentity: () => undefined }
    : {};
  return credentials.createSsl(
    pem(tls.caPem, tls.caFile),
    pem(tls.keyPem, tls.keyFile),
    pem(tls.certPem, tls.certFile),
    verify,
  );
}
