// Self-signed certificates for --auto-tls and --peer-auto-tls, as etcd makes them: an ECDSA key,
// organisation "Rafter", valid one year, key usages digitalSignature and keyEncipherment, extended
// usages serverAuth (and clientAuth for peers), and the listen hosts as subject alternative names.
// They are written once under <data-dir>/fixtures/{client,peer}/ (cert.pem, key.pem) and reused
// on every later start, as etcd does. Node can sign but has no X.509 writer, so this file encodes
// the one certificate shape it needs in DER itself (no dependency, no openssl binary at run time).
// Reading and checking certificate files is certificateFiles.ts's business.
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** etcd's validity for self-signed certificates: one year. */
export const selfSignedValidityMs = 365 * 24 * 3_600_000;
const serialBytes = 16;

export interface SelfSignedFiles {
  readonly certFile: string;
  readonly keyFile: string;
  /** Whether they were made now (false: found from an earlier start and reused). */
  readonly created: boolean;
}

export interface SelfSignedOptions {
  /** Host names and IP addresses the certificate is for (the listen URLs' hosts). */
  readonly hosts: readonly string[];
  /** Adds the clientAuth extended key usage (peer certificates are also client certificates). */
  readonly clientAuth: boolean;
  readonly now?: Date;
}

// ---- DER ---------------------------------------------------------------------------------------

function tlv(tag: number, content: Buffer): Buffer {
  const length = content.length;
  if (length < 0x80) return Buffer.concat([Buffer.from([tag, length]), content]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.concat([Buffer.from([tag, 0x80 | bytes.length, ...bytes]), content]);
}

const sequence = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const octetString = (bytes: Buffer): Buffer => tlv(0x04, bytes);
const bitString = (bytes: Buffer, unusedBits = 0): Buffer => tlv(0x03, Buffer.concat([Buffer.from([unusedBits]), bytes]));
const explicit = (tagNumber: number, content: Buffer): Buffer => tlv(0xa0 + tagNumber, content);
const booleanTrue = Buffer.from([0x01, 0x01, 0xff]);

/** A non-negative INTEGER from big-endian bytes. */
function integer(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  return tlv(0x02, (trimmed[0]! & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

function objectId(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const bytes = [40 * parts[0]! + parts[1]!];
  for (const part of parts.slice(2)) {
    const chunk = [part & 0x7f];
    for (let rest = Math.floor(part / 128); rest > 0; rest = Math.floor(rest / 128)) chunk.unshift(0x80 | (rest & 0x7f));
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** UTCTime up to 2049, GeneralizedTime after (RFC 5280 §4.1.2.5). */
function time(date: Date): Buffer {
  const iso = date.toISOString();
  const digits = iso.slice(0, 19).replace(/[-:T]/g, '');
  return date.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${digits.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${digits}Z`));
}

/** The 4 or 16 bytes of an IP address, or null when `host` is not one. */
export function ipAddressBytes(host: string): Buffer | null {
  const version = net.isIP(host);
  if (version === 4) return Buffer.from(host.split('.').map(Number));
  if (version !== 6) return null;
  const [head = '', tail] = host.split('::');
  const groups = (text: string): string[] => (text === '' ? [] : text.split(':'));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  if (left.concat(right).some((group) => group.includes('.'))) return null; // IPv4-embedded forms: left out
  const all = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const bytes = Buffer.alloc(16);
  all.forEach((group, i) => bytes.writeUInt16BE(parseInt(group, 16), i * 2));
  return bytes;
}

const oids = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  organization: '2.5.4.10',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extendedKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
};

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return sequence(objectId(oid), ...(critical ? [booleanTrue] : []), octetString(value));
}

function subjectAltNames(hosts: readonly string[]): Buffer {
  const names: Buffer[] = [];
  const seen = new Set<string>();
  for (const host of hosts) {
    if (host === '' || seen.has(host)) continue;
    seen.add(host);
    const ip = ipAddressBytes(host);
    names.push(ip ? tlv(0x87, ip) : tlv(0x82, Buffer.from(host, 'ascii')));
  }
  return sequence(...names);
}

/** DER of a self-signed certificate for `publicKey`, signed with `privateKey` (ECDSA, SHA-256). */
export function selfSignedCertificateDer(privateKey: KeyObject, publicKey: KeyObject, options: SelfSignedOptions): Buffer {
  const now = options.now ?? new Date();
  const serial = randomBytes(serialBytes);
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  const signatureAlgorithm = sequence(objectId(oids.ecdsaWithSha256));
  const name = sequence(set(sequence(objectId(oids.organization), tlv(0x0c, Buffer.from('Rafter')))));
  const usages = [oids.serverAuth, ...(options.clientAuth ? [oids.clientAuth] : [])].map(objectId);
  const extensions = [
    // digitalSignature (bit 0) and keyEncipherment (bit 2): 101 followed by 5 unused bits.
    extension(oids.keyUsage, true, bitString(Buffer.from([0xa0]), 5)),
    extension(oids.extendedKeyUsage, false, sequence(...usages)),
    extension(oids.basicConstraints, true, sequence()),
  ];
  if (options.hosts.length > 0) extensions.push(extension(oids.subjectAltName, false, subjectAltNames(options.hosts)));
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    signatureAlgorithm,
    name,
    sequence(time(now), time(new Date(now.getTime() + selfSignedValidityMs))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, sequence(...extensions)),
  );
  return sequence(tbs, signatureAlgorithm, bitString(sign('sha256', tbs, privateKey)));
}

function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** A new P-256 key and a self-signed certificate for it, both PEM. */
export function makeSelfSigned(options: SelfSignedOptions): { certPem: string; keyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const certPem = pem('CERTIFICATE', selfSignedCertificateDer(privateKey, publicKey, options));
  const keyPem = privateKey.export({ type: 'sec1', format: 'pem' }).toString();
  return { certPem, keyPem };
}

/**
 * The certificate and key in `dir` (cert.pem, key.pem), made if either is missing. Like etcd,
 * files found there are reused as they are, whatever hosts they name; the caller checks them.
 */
export function ensureSelfSigned(dir: string, options: SelfSignedOptions): SelfSignedFiles {
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  if (fs.existsSync(certFile) && fs.existsSync(keyFile)) return { certFile, keyFile, created: false };
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { certPem, keyPem } = makeSelfSigned(options);
  // Key first, then the certificate: a crash in between leaves no certificate, so the next start
  // makes both again instead of pairing a certificate with another key.
  writeAtomically(keyFile, keyPem, 0o600);
  writeAtomically(certFile, certPem, 0o644);
  return { certFile, keyFile, created: true };
}

function writeAtomically(file: string, text: string, mode: number): void {
  const temporary = `${file}.tmp`;
  const handle = fs.openSync(temporary, 'w', mode);
  try {
    fs.writeSync(handle, text);
    fs.fsyncSync(handle);
  } finally {
    fs.closeSync(handle);
  }
  fs.renameSync(temporary, file);
}
