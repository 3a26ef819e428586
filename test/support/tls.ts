// Test certificates made with `openssl` in a temporary directory: a CA, a server certificate for
// 127.0.0.1 and localhost (usable for client and peer TLS), a client certificate (CN "root" by
// default, which etcd maps to a user under --client-cert-auth), and an unrelated second CA with a
// client and server certificate of its own for "wrong CA" cases. Callers remove the directory
// with cleanup().
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestCertificates {
  readonly dir: string;
  readonly caFile: string;
  readonly caPem: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  /** A CA that signed none of the above: trusting it must make verification fail. */
  readonly otherCaFile: string;
  /** A client certificate (CN "root") signed by the other CA: a server trusting caFile must refuse it. */
  readonly otherClientCertFile: string;
  readonly otherClientKeyFile: string;
  /** A certificate for 127.0.0.1 signed by the other CA (client and server use), e.g. a stranger's peer certificate. */
  readonly otherServerCertFile: string;
  readonly otherServerKeyFile: string;
  cleanup(): Promise<void>;
}

const keyArgs = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function openssl(args: string[], cwd: string): Promise<void> {
  await run('openssl', args, { cwd });
}

async function makeCa(dir: string, name: string, subject: string): Promise<void> {
  await openssl(
    [
      'req', '-x509', ...keyArgs, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2',
      '-subj', subject, '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
}

async function makeSigned(dir: string, name: string, subject: string, extensions: string, ca = 'ca'): Promise<void> {
  await openssl(['req', ...keyArgs, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject], dir);
  await fs.writeFile(path.join(dir, `${name}.ext`), extensions);
  await openssl(
    [
      'x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-set_serial',
      String(Date.now()), '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`,
    ],
    dir,
  );
}

/** Generates the certificates; `clientCommonName` becomes the client certificate's CN. */
export async function generateCertificates(clientCommonName = 'root'): Promise<TestCertificates> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rafter-tls-'));
  try {
    await makeCa(dir, 'ca', '/CN=Rafter Test CA');
    await makeCa(dir, 'other-ca', '/CN=Rafter Unrelated CA');
    await makeSigned(
      dir,
      'server',
      '/CN=localhost',
      'subjectAltName=IP:127.0.0.1,DNS:localhost\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n',
    );
    const clientExtensions = 'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n';
    const serverExtensions = 'subjectAltName=IP:127.0.0.1,DNS:localhost\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n';
    await makeSigned(dir, 'client', `/CN=${clientCommonName}`, clientExtensions);
    await makeSigned(dir, 'other-client', `/CN=${clientCommonName}`, clientExtensions, 'other-ca');
    await makeSigned(dir, 'other-server', '/CN=localhost', serverExtensions, 'other-ca');
  } catch (error) {
    await fs.rm(dir, { recursive: true, force: true });
    throw error;
  }
  const file = (name: string): string => path.join(dir, name);
  return {
    dir,
    caFile: file('ca.crt'),
    caPem: await fs.readFile(file('ca.crt'), 'utf8'),
    serverCertFile: file('server.crt'),
    serverKeyFile: file('server.key'),
    clientCertFile: file('client.crt'),
    clientKeyFile: file('client.key'),
    otherCaFile: file('other-ca.crt'),
    otherClientCertFile: file('other-client.crt'),
    otherClientKeyFile: file('other-client.key'),
    otherServerCertFile: file('other-server.crt'),
    otherServerKeyFile: file('other-server.key'),
    cleanup: () => fs.rm(dir, { recursive: true, force: true }),
  };
}

/** An ECDSA P-256 key pair for etcd's JWT auth tokens (`--auth-token=jwt,...,sign-method=ES256`). */
export interface JwtKeys {
  readonly privateKeyFile: string;
  readonly publicKeyFile: string;
  /** The etcd flag that selects JWT tokens signed with these keys. */
  readonly authTokenFlag: string;
  cleanup(): Promise<void>;
}

/** Generates JWT signing keys in a temporary directory. */
export async function generateJwtKeys(): Promise<JwtKeys> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rafter-jwt-'));
  const privateKeyFile = path.join(dir, 'jwt.key');
  const publicKeyFile = path.join(dir, 'jwt.pub');
  try {
    await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', privateKeyFile], dir);
    await openssl(['pkey', '-in', privateKeyFile, '-pubout', '-out', publicKeyFile], dir);
  } catch (error) {
    await fs.rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    privateKeyFile,
    publicKeyFile,
    authTokenFlag: `--auth-token=jwt,pub-key=${publicKeyFile},priv-key=${privateKeyFile},sign-method=ES256`,
    cleanup: () => fs.rm(dir, { recursive: true, force: true }),
  };
}

const clientUse = 'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n';

/**
 * One more client certificate signed by the certificates' CA, with `subject` and any extra
 * extension lines (a subjectAltName, for host-name checks); returns its cert and key files.
 */
export async function signClientCertificate(certificates: TestCertificates, name: string, subject: string, extraExtensions = ''): Promise<{ certFile: string; keyFile: string }> {
  await makeSigned(certificates.dir, name, subject, `${clientUse}${extraExtensions}`);
  return { certFile: path.join(certificates.dir, `${name}.crt`), keyFile: path.join(certificates.dir, `${name}.key`) };
}

/** A certificate revocation list from the certificates' CA revoking the given certificate files; returns its PEM file. */
export async function revocationList(certificates: TestCertificates, revokedCertFiles: readonly string[]): Promise<string> {
  const dir = path.join(certificates.dir, `crl-${Date.now()}`);
  await fs.mkdir(dir);
  await fs.writeFile(path.join(dir, 'index.txt'), '');
  await fs.writeFile(path.join(dir, 'crlnumber'), '01\n');
  await fs.writeFile(
    path.join(dir, 'ca.cnf'),
    `[ca]\ndefault_ca = own\n[own]\ndatabase = ${path.join(dir, 'index.txt')}\ncrlnumber = ${path.join(dir, 'crlnumber')}\ndefault_md = sha256\ndefault_crl_days = 2\n`,
  );
  const caArgs = ['-config', 'ca.cnf', '-keyfile', path.join(certificates.dir, 'ca.key'), '-cert', path.join(certificates.dir, 'ca.crt')];
  for (const file of revokedCertFiles) await openssl(['ca', ...caArgs, '-revoke', file], dir);
  await openssl(['ca', ...caArgs, '-gencrl', '-out', 'crl.pem'], dir);
  return path.join(dir, 'crl.pem');
}
