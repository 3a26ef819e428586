// The verified client certificate's common name of a gRPC call (for auth, which takes it as the
// user as etcd does): read from grpc-js's auth context, which holds it when a TLS socket is handed
// to grpc-js as clientServer.ts hands over h2 connections; null on a plaintext connection, whose
// stream clientServer.ts hands over instead.
import fs from 'node:fs';
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import { Duplex } from 'node:stream';
import { Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientCommonName } from '../../core/api/clientIdentity.js';
import { generateCertificates, type TestCertificates } from '../support/tls.js';

let certificates: TestCertificates;
let grpc: Server;
let injector: ReturnType<Server['createConnectionInjector']>;
const names: (string | null)[] = [];

beforeAll(async () => {
  certificates = await generateCertificates('alice');
  grpc = new Server();
  const bytes = (b: Buffer): Buffer => b;
  const definition = { path: '/test.Identity/Who', requestStream: false, responseStream: false, requestSerialize: bytes, requestDeserialize: bytes, responseSerialize: bytes, responseDeserialize: bytes };
  grpc.addService({ Who: definition }, {
    Who: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
      names.push(clientCommonName(call));
      callback(null, Buffer.alloc(0));
    },
  });
  injector = grpc.createConnectionInjector(ServerCredentials.createInsecure());
});

afterAll(async () => {
  injector?.destroy();
  grpc?.forceShutdown();
  await certificates?.cleanup();
});

/** Makes one call on `socket` over HTTP/2 and resolves once it is answered. */
async function call(socket: net.Socket): Promise<void> {
  const session = http2.connect('http://127.0.0.1', { createConnection: () => socket });
  await new Promise<void>((resolve, reject) => {
    const stream = session.request({ ':method': 'POST', ':path': '/test.Identity/Who', 'content-type': 'application/grpc', te: 'trailers' });
    stream.on('trailers', () => resolve());
    stream.on('error', reject);
    stream.end(Buffer.alloc(5));
    stream.resume();
  });
  session.destroy();
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

describe('the client certificate name of a gRPC call', () => {
  it('is the verified common name when grpc-js serves the TLS socket itself', async () => {
    const server = tls.createServer(
      {
        cert: fs.readFileSync(certificates.serverCertFile), key: fs.readFileSync(certificates.serverKeyFile),
        ca: fs.readFileSync(certificates.caFile), requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['h2'],
      },
      (socket) => injector.injectConnection(socket),
    );
    const port = await listen(server);
    try {
      names.length = 0;
      const socket = tls.connect({
        host: '127.0.0.1', port, ALPNProtocols: ['h2'], ca: fs.readFileSync(certificates.caFile),
        cert: fs.readFileSync(certificates.clientCertFile), key: fs.readFileSync(certificates.clientKeyFile),
      });
      await new Promise((resolve) => socket.once('secureConnect', resolve));
      await call(socket);
      expect(names).toEqual(['alice']);
    } finally {
      server.close();
    }
  });

  it('is null on a plaintext connection handed over as a stream', async () => {
    const server = net.createServer((socket) => {
      const stream = new Duplex({
        read: () => socket.resume(),
        write: (chunk: Buffer, _encoding, callback) => socket.write(chunk, callback),
        final: (callback) => socket.end(callback),
      });
      socket.on('data', (chunk: Buffer) => stream.push(chunk));
      socket.on('close', () => stream.destroy());
      injector.injectConnection(stream);
    });
    const port = await listen(server);
    try {
      names.length = 0;
      const socket = net.connect({ host: '127.0.0.1', port });
      await new Promise((resolve) => socket.once('connect', resolve));
      await call(socket);
      expect(names).toEqual([null]);
    } finally {
      server.close();
    }
  });

  it('takes the last of several CNs, as Go does, and null for none', () => {
    const context = (subject: Record<string, unknown> | undefined) => ({ getAuthContext: () => (subject ? { sslPeerCertificate: { subject } as unknown as tls.PeerCertificate } : {}) });
    expect(clientCommonName(context({ CN: ['first', 'last'] }))).toBe('last');
    expect(clientCommonName(context({ O: 'no name' }))).toBeNull();
    expect(clientCommonName(context(undefined))).toBeNull();
  });
});
