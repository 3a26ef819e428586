// The security of a local cluster the console launches: the TLS material it makes and keeps in the
// cluster's folder (`<cluster>/tls/`: the CA, each member's certificate, the console's client
// certificate), the flags that hand it to each member, the TLS settings of the console's own
// connection, turning authentication on with a root user once the members are up, and the notes
// the console shows about all this. Launching and supervising the members is localClusters.ts's.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { EtcdClient } from '../client/etcdClient.js';
import { EtcdError } from '../client/etcdError.js';
import { issueCertificate, makeCertificateAuthority } from '../tls/certificateAuthority.js';
import type { PemPair } from '../tls/certificateAuthority.js';
import type { ConnectionConfig, LocalClusterSecurity, LocalClusterSecurityRequest, TlsConfig } from './api.js';
import { consoleCallTimeoutMs, clientOptions } from './connectionRegistry.js';
import { AdminFailure } from './result.js';

/** The user (and role) the console creates and signs in as, and the CN of its client certificate. */
export const rootUser = 'root';
/** Host names every member certificate is for: members listen on loopback only. */
export const memberHosts = ['127.0.0.1', 'localhost'] as const;
/** Most attempts, and the pause between them, to turn auth on while a fresh cluster settles. */
export const authSetupAttemptsMax = 20;
export const authSetupPauseMs = 250;

/** Plaintext and no authentication: clusters saved before security existed. */
export const noSecurity: LocalClusterSecurity = { tls: 'off', auth: false };

/** The folder of a cluster's TLS material. */
export function tlsDir(clusterDir: string): string {
  return path.join(clusterDir, 'tls');
}

const file = (clusterDir: string, name: string): string => path.join(tlsDir(clusterDir), name);

/**
 * The security of a create request, checked: an empty root password is refused with a sentence
 * the form shows (the confirmation is the form's to compare).
 */
export function checkSecurityRequest(request: LocalClusterSecurityRequest | undefined): { security: LocalClusterSecurity; rootPassword: string | null } {
  if (request === undefined) return { security: noSecurity, rootPassword: null };
  if (request.rootPassword !== null && request.rootPassword.trim() === '') {
    throw new AdminFailure('invalid_argument', 'The root password is empty: type one to turn authentication on, or leave authentication off.');
  }
  return { security: { tls: request.tls, auth: request.rootPassword !== null }, rootPassword: request.rootPassword };
}

/** The scheme of the members' client and peer URLs. */
export function memberScheme(security: LocalClusterSecurity): 'http' | 'https' {
  return security.tls === 'off' ? 'http' : 'https';
}

async function writePair(clusterDir: string, name: string, pair: PemPair): Promise<void> {
  // Key first, then the certificate (each written beside and renamed): a crash in between leaves
  // no certificate, so the pair is made again instead of a certificate meeting another key.
  for (const [target, text, mode] of [[file(clusterDir, `${name}.key`), pair.keyPem, 0o600], [file(clusterDir, `${name}.crt`), pair.certPem, 0o644]] as const) {
    await writeFile(`${target}.tmp`, text, { mode });
    await rename(`${target}.tmp`, target);
  }
}

async function readPair(clusterDir: string, name: string): Promise<PemPair> {
  return { certPem: await readFile(file(clusterDir, `${name}.crt`), 'utf8'), keyPem: await readFile(file(clusterDir, `${name}.key`), 'utf8') };
}

/**
 * Makes the cluster's CA and the console's client certificate (CN root) when its TLS is `ca` and
 * they do not exist yet; nothing otherwise.
 */
export async function prepareClusterTls(security: LocalClusterSecurity, clusterDir: string, clusterName: string): Promise<void> {
  if (security.tls !== 'ca' || existsSync(file(clusterDir, 'client.crt'))) return;
  await mkdir(tlsDir(clusterDir), { recursive: true, mode: 0o700 });
  const ca = makeCertificateAuthority(`Rafter local cluster ${clusterName} CA`);
  await writePair(clusterDir, 'ca', ca);
  await writePair(clusterDir, 'client', issueCertificate(ca, { commonName: rootUser, hosts: [], serverAuth: false, clientAuth: true }));
}

/**
 * Issues `memberName`'s certificate (server and client use, for both its ports) when the cluster's
 * TLS is `ca` and the member has none yet.
 */
export async function prepareMemberTls(security: LocalClusterSecurity, clusterDir: string, memberName: string): Promise<void> {
  if (security.tls !== 'ca' || existsSync(file(clusterDir, `member-${memberName}.crt`))) return;
  const ca = await readPair(clusterDir, 'ca');
  await writePair(clusterDir, `member-${memberName}`, issueCertificate(ca, { commonName: memberName, hosts: memberHosts, serverAuth: true, clientAuth: true }));
}

/** The TLS flags of one member (etcd's names). */
export function memberTlsFlags(security: LocalClusterSecurity, clusterDir: string, memberName: string): string[] {
  if (security.tls === 'off') return [];
  if (security.tls === 'auto') return ['--auto-tls', '--peer-auto-tls'];
  const cert = file(clusterDir, `member-${memberName}.crt`);
  const key = file(clusterDir, `member-${memberName}.key`);
  const ca = file(clusterDir, 'ca.crt');
  return [
    `--cert-file=${cert}`, `--key-file=${key}`, `--trusted-ca-file=${ca}`, '--client-cert-auth',
    `--peer-cert-file=${cert}`, `--peer-key-file=${key}`, `--peer-trusted-ca-file=${ca}`, '--peer-client-cert-auth',
  ];
}

/** The TLS settings of the console's connection to the cluster (undefined: plaintext). */
export async function consoleTls(security: LocalClusterSecurity, clusterDir: string): Promise<TlsConfig | undefined> {
  if (security.tls === 'off') return undefined;
  if (security.tls === 'auto') return { skipVerify: true };
  const client = await readPair(clusterDir, 'client');
  return { caPem: await readFile(file(clusterDir, 'ca.crt'), 'utf8'), certPem: client.certPem, keyPem: client.keyPem, skipVerify: false };
}

/**
 * Creates the root user with `password` and the root role, grants it, and turns authentication on,
 * through a client of `config` (the cluster's connection before it signs in). A fresh cluster may
 * still be settling its first leader: unavailable answers are tried again, a bounded number of times.
 */
export async function enableRootAuth(config: ConnectionConfig, password: string): Promise<void> {
  const client = new EtcdClient(clientOptions(config, consoleCallTimeoutMs));
  const steps: [string, () => Promise<unknown>][] = [
    ['adding the root user', () => client.auth.userAdd(rootUser, password)],
    ['adding the root role', () => client.auth.roleAdd(rootUser)],
    ['granting root the root role', () => client.auth.userGrantRole(rootUser, rootUser)],
    ['enabling authentication', () => client.auth.authEnable()],
  ];
  try {
    for (const [what, step] of steps) {
      for (let attempt = 1; ; attempt++) {
        try {
          await step();
          break;
        } catch (error) {
          const retryable = error instanceof EtcdError && error.codeName === 'UNAVAILABLE' && attempt < authSetupAttemptsMax;
          if (!retryable) throw new AdminFailure('failed_precondition', `Turning authentication on failed while ${what}: ${error instanceof Error ? error.message : String(error)}`);
          await delay(authSetupPauseMs);
        }
      }
    }
  } finally {
    client.close();
  }
}

/** What the console tells about a cluster's security (see LocalClusterInfo.securityNotes). */
export function securityNotes(security: LocalClusterSecurity, clusterDir: string, signIn: 'password' | 'certificate' | 'password missing'): string[] {
  const notes: string[] = [];
  if (security.tls === 'auto') {
    notes.push('Auto TLS: traffic is encrypted, but the members’ certificates are self-signed, so the console (like the members among themselves) does not verify them. Use this only on this machine.');
  }
  if (security.tls === 'ca') {
    notes.push(`TLS with the cluster’s own CA: members require a client certificate it signed on both ports. The CA and the console’s client certificate (CN ${rootUser}) are kept in ${tlsDir(clusterDir)}.`);
  }
  if (security.auth) {
    if (signIn === 'password') notes.push(`Authentication is on; the console signs in as ${rootUser}.`);
    if (signIn === 'certificate') notes.push(`Authentication is on; this host keeps no passwords, so the console signs in as ${rootUser} by its client certificate.`);
    if (signIn === 'password missing') {
      notes.push(`Authentication is on, and this host keeps no passwords: type the ${rootUser} password in the connection’s settings (Connections page, Edit) to use the cluster again.`);
    }
  }
  return notes;
}
