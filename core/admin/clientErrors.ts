// Translates the etcd client's typed errors into AdminErrors the console can show: the gRPC code
// becomes an AdminErrorCode and etcd's terse message becomes a sentence naming the member.
import { status as grpcStatus } from '@grpc/grpc-js';
import { EtcdError, SnapshotIntegrityError, WatchError } from '../client/etcdError.js';
import type { AdminError, AdminErrorCode } from './api.js';

const codes = new Map<number, AdminErrorCode>([
  [grpcStatus.INVALID_ARGUMENT, 'invalid_argument'],
  [grpcStatus.NOT_FOUND, 'not_found'],
  [grpcStatus.ALREADY_EXISTS, 'already_exists'],
  [grpcStatus.PERMISSION_DENIED, 'permission_denied'],
  [grpcStatus.UNAUTHENTICATED, 'unauthenticated'],
  [grpcStatus.FAILED_PRECONDITION, 'failed_precondition'],
  [grpcStatus.RESOURCE_EXHAUSTED, 'resource_exhausted'],
  [grpcStatus.DEADLINE_EXCEEDED, 'deadline_exceeded'],
  [grpcStatus.CANCELLED, 'cancelled'],
  [grpcStatus.UNAVAILABLE, 'connection_failed'],
]);

/** etcd's "etcdserver: mvcc: required revision has been compacted" and its kin. */
function isCompacted(message: string): boolean {
  return message.includes('required revision has been compacted');
}

function sentence(message: string): string {
  const text = message.replace(/^etcdserver: /, '').replace(/^mvcc: /, '');
  const capitalised = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(capitalised) ? capitalised : `${capitalised}.`;
}

const refusedCertificate = 'the server refused the client certificate (it is not signed by a CA the server trusts)';

/** A transport failure's cause in words, by what Node or OpenSSL said; null when not recognised. */
const transportCauses: readonly [RegExp, string][] = [
  [/certificate required|peer did not return a certificate/i, 'the server asked for a client certificate, and none was given'],
  [/alert bad certificate|alert unknown ca|sslv3 alert/i, refusedCertificate],
  [/self[- ]signed certificate/i, 'the server’s certificate is self-signed and not trusted; give its CA certificate (or skip verification for a test cluster)'],
  [/unable to (verify the first certificate|get local issuer certificate|get issuer certificate)/i, 'the server’s certificate is not signed by a trusted CA; give the CA certificate that signed it'],
  [/altnames|ERR_TLS_CERT_ALTNAME_INVALID|does not match certificate/i, 'the server’s certificate is not valid for this host name or address'],
  [/certificate has expired|CERT_HAS_EXPIRED/i, 'the server’s certificate has expired'],
  [/certificate is not yet valid/i, 'the server’s certificate is not valid yet (check the clocks)'],
  [/key values mismatch|KEY_VALUES_MISMATCH/i, 'the client key does not belong to the client certificate'],
  [/wrong version number|packet length too long|http request|unknown protocol/i, 'the server does not speak TLS at that address (use http://, or turn TLS off)'],
  [/ECONNREFUSED/, 'nothing is listening there: the member is stopped, or the address is wrong'],
  [/ENOTFOUND|EAI_AGAIN|Name resolution failed|DNS resolution failed/i, 'the host name cannot be resolved'],
  [/EHOSTUNREACH|ENETUNREACH/, 'there is no route to that host'],
  [/ETIMEDOUT|timed out/i, 'it did not answer in time'],
  [/ECONNRESET|Connection dropped|socket hang up|EPIPE/i, 'it closed the connection before answering (the member may have stopped, restarted or been removed)'],
];

/** `<endpoint> is unavailable: <details>` or `TLS connection to <endpoint> failed: <details>`, as the client words them. */
const transportMessage = /^(?:TLS connection to (\S+) failed|(\S+) is unavailable): ([\s\S]*)$/;

/** A connection failure as a sentence naming the endpoint and the cause, without gRPC's internals. */
export function describeConnectionFailure(message: string): string {
  const match = transportMessage.exec(message);
  const endpoint = match?.[1] ?? match?.[2] ?? null;
  const details = match?.[3] ?? message;
  const cause = transportCauses.find(([pattern]) => pattern.test(details))?.[1];
  const where = endpoint === null ? 'The cluster' : endpoint;
  if (cause !== undefined) return `Cannot reach ${where}: ${cause}.`;
  const tls = match?.[1] !== undefined;
  const plain = details.replace(/\s*Resolution note:.*$/s, '').replace(/^No connection established\. Last error: /, '').trim();
  return `Cannot reach ${where}${tls ? ' over TLS' : ''}: ${plain || 'no answer'}${/[.!?]$/.test(plain) ? '' : '.'}`;
}

/**
 * A server that requires client certificates answers a connection without one with the same TLS
 * alert as one with a wrong certificate; when none was given, says that it asked for one.
 */
export function explainMissingCertificate(error: AdminError, certificateGiven: boolean): AdminError {
  if (certificateGiven || !error.message.includes(refusedCertificate)) return error;
  return { ...error, message: error.message.replace(refusedCertificate, 'the server asked for a client certificate, and none was given') };
}

/** The AdminError for a failure of the etcd client, or null when `error` is not one of its errors. */
export function translateClientError(error: unknown): AdminError | null {
  if (error instanceof EtcdError) {
    if (isCompacted(error.message)) return { code: 'compacted', message: sentence(error.message) };
    if (error.is('etcdserver: unhealthy cluster')) {
      return {
        code: 'failed_precondition',
        message: `The cluster refuses this membership change while a voting member is down, unreachable or only just reconnected: the change could cost it its quorum. Start the member again (or remove it if it is gone for good), then try again (${error.endpoint}).`,
      };
    }
    if (error.is('etcdserver: re-configuration failed due to not enough started members')) {
      return {
        code: 'failed_precondition',
        message: `Too few members have started for this change to keep a quorum: start the members already added (or remove them) first (${error.endpoint}).`,
      };
    }
    // etcd answers a wrong user or password with INVALID_ARGUMENT; it is an authentication failure.
    const code = error.is('etcdserver: authentication failed, invalid user ID or password') ? 'unauthenticated' : (codes.get(error.code) ?? 'internal');
    if (code === 'connection_failed' && !error.message.startsWith('etcdserver:')) return { code, message: describeConnectionFailure(error.message) };
    const where = code === 'connection_failed' || code === 'deadline_exceeded' ? '' : ` (${error.endpoint})`;
    return { code, message: `${sentence(error.message).slice(0, -1)}${where}.` };
  }
  if (error instanceof WatchError) {
    return { code: error.kind === 'compacted' ? 'compacted' : 'cancelled', message: sentence(error.message) };
  }
  if (error instanceof SnapshotIntegrityError) return { code: 'internal', message: sentence(error.message) };
  return null;
}
