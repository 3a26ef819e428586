// Connection failures in words: the client's transport messages (as grpc-js and OpenSSL word them)
// become a sentence naming the endpoint and the cause, without gRPC's internals.
import { describe, expect, it } from 'vitest';
import { status } from '@grpc/grpc-js';
import { describeConnectionFailure, explainMissingCertificate, translateClientError } from '../../core/admin/clientErrors.js';
import { EtcdError } from '../../core/client/etcdError.js';

describe('describeConnectionFailure', () => {
  it('says nothing listens where a stopped member was, without ECONNREFUSED or the resolution note', () => {
    const message = describeConnectionFailure('127.0.0.1:12162 is unavailable: No connection established. Last error: connect ECONNREFUSED 127.0.0.1:12162. Resolution note: .');
    expect(message).toBe('Cannot reach 127.0.0.1:12162: nothing is listening there: the member is stopped, or the address is wrong.');
  });

  it('names a dropped connection as one closed before answering', () => {
    expect(describeConnectionFailure('127.0.0.1:2379 is unavailable: Connection dropped')).toMatch(/^Cannot reach 127\.0\.0\.1:2379: it closed the connection before answering/);
  });

  it('says the server asked for a client certificate, not what OpenSSL said', () => {
    const openssl = 'TLS connection to 127.0.0.1:2379 failed: 14 UNAVAILABLE: error:14094410:SSL routines:ssl3_read_bytes:sslv3 alert certificate required';
    expect(describeConnectionFailure(openssl)).toBe('Cannot reach 127.0.0.1:2379: the server asked for a client certificate, and none was given.');
  });

  it('says when the server’s certificate is not trusted or not for this host', () => {
    expect(describeConnectionFailure('TLS connection to h:1 failed: self-signed certificate in certificate chain')).toMatch(/self-signed and not trusted/);
    expect(describeConnectionFailure('TLS connection to h:1 failed: unable to verify the first certificate')).toMatch(/not signed by a trusted CA/);
    expect(describeConnectionFailure("TLS connection to h:1 failed: Hostname/IP does not match certificate's altnames")).toMatch(/not valid for this host name/);
    expect(describeConnectionFailure('TLS connection to h:1 failed: error:1408F10B:SSL routines:ssl3_get_record:wrong version number')).toMatch(/does not speak TLS/);
  });

  it('keeps an unknown cause, trimmed of the resolution note', () => {
    expect(describeConnectionFailure('h:1 is unavailable: No connection established. Last error: something odd. Resolution note: x')).toBe('Cannot reach h:1: something odd.');
  });
});

describe('explainMissingCertificate', () => {
  const refused = { code: 'connection_failed' as const, message: describeConnectionFailure('TLS connection to h:1 failed: sslv3 alert bad certificate') };

  it('says the server asked for a client certificate when none was given', () => {
    expect(explainMissingCertificate(refused, false).message).toBe('Cannot reach h:1: the server asked for a client certificate, and none was given.');
  });

  it('keeps the refusal when a certificate was given', () => {
    expect(explainMissingCertificate(refused, true)).toEqual(refused);
  });
});

describe('translateClientError for refused membership changes', () => {
  it('says what to do when a change would cost the quorum (--strict-reconfig-check)', () => {
    const unhealthy = translateClientError(new EtcdError(status.UNAVAILABLE, 'etcdserver: unhealthy cluster', 'MemberAdd', 'h:1'));
    expect(unhealthy).toEqual({ code: 'failed_precondition', message: expect.stringMatching(/a voting member is down, unreachable or only just reconnected.*\(h:1\)\.$/) as unknown });
    const notStarted = translateClientError(new EtcdError(status.UNKNOWN, 'etcdserver: re-configuration failed due to not enough started members', 'MemberAdd', 'h:1'));
    expect(notStarted).toEqual({ code: 'failed_precondition', message: expect.stringMatching(/^Too few members have started/) as unknown });
  });
});
