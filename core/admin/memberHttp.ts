// Plain HTTP(S) requests the console makes to one local member besides the etcd API: /health while
// it starts, Rafter's raft status and fault hooks. A member of a secured local cluster serves them
// over TLS and asks for a client certificate, so each request carries the cluster connection's TLS
// settings (its CA and client certificate, or no verification for auto TLS). What the routes mean
// is the caller's business.
import http from 'node:http';
import https from 'node:https';
import type { TlsConfig } from './api.js';

/** Largest response body read. */
export const memberResponseBytesMax = 1024 * 1024;

export interface MemberResponse {
  readonly status: number;
  readonly text: string;
}

export interface MemberRequest {
  readonly method: 'GET' | 'POST';
  /** Sent as JSON. */
  readonly body?: unknown;
  readonly timeoutMs: number;
}

/** The parts of a request's options that carry a connection's TLS settings (CA, client certificate, verification). */
export function tlsRequestOptions(tls: TlsConfig): https.RequestOptions {
  return {
    ...(tls.caPem === undefined ? {} : { ca: tls.caPem }),
    ...(tls.certPem === undefined ? {} : { cert: tls.certPem }),
    ...(tls.keyPem === undefined ? {} : { key: tls.keyPem }),
    rejectUnauthorized: !tls.skipVerify,
  };
}

/** Sends one request to `url`; rejects with a plain Error when the member cannot be reached or does not answer in time. */
export function memberRequest(url: string, tls: TlsConfig | undefined, request: MemberRequest): Promise<MemberResponse> {
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  const body = request.body === undefined ? undefined : JSON.stringify(request.body);
  const options: https.RequestOptions = {
    method: request.method,
    timeout: request.timeoutMs,
    headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
  };
  if (secure && tls) Object.assign(options, tlsRequestOptions(tls));
  return new Promise((resolve, reject) => {
    const outgoing = (secure ? https : http).request(target, options, (response) => {
      const chunks: Buffer[] = [];
      let total = 0;
      response.on('data', (chunk: Buffer) => {
        total += chunk.length;
        if (total > memberResponseBytesMax) outgoing.destroy(new Error(`${target.host} answered with more than ${memberResponseBytesMax} bytes`));
        else chunks.push(chunk);
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    outgoing.on('timeout', () => outgoing.destroy(new Error(`${target.host} did not answer within ${request.timeoutMs} ms`)));
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
