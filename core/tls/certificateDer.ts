// The DER encoding of X.509 certificates, for the few shapes Rafter makes itself: self-signed
// certificates (--auto-tls) and a small certificate authority with the certificates it issues
// (the console's secured local clusters). Node can sign but has no X.509 writer, so this module
// encodes TBSCertificate, names, validity and the handful of extensions those shapes use, and
// reads back the one field it needs from a certificate (its subject, to name it as an issuer).
// Which certificates to make, and where they are kept, is left to its callers.
import { createHash, randomBytes, sign, type KeyObject } from 'node:crypto';
import net from 'node:net';

const serialBytes = 16;

export function tlv(tag: number, content: Buffer): Buffer {
  const length = content.length;
  if (length < 0x80) return Buffer.concat([Buffer.from([tag, length]), content]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.concat([Buffer.from([tag, 0x80 | bytes.length, ...bytes]), content]);
}

export const sequence = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
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
  commonName: '2.5.4.3',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extendedKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
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

/** A distinguished name: organization "Rafter", and a common name when one is given (UTF8String). */
export function distinguishedName(commonName: string | null): Buffer {
  const attribute = (oid: string, value: string): Buffer => set(sequence(objectId(oid), tlv(0x0c, Buffer.from(value, 'utf8'))));
  return sequence(attribute(oids.organization, 'Rafter'), ...(commonName === null ? [] : [attribute(oids.commonName, commonName)]));
}

/** A key identifier (RFC 5280 §4.2.1.2, method 1: SHA-1 of the subject public key's bits). */
export function keyIdentifier(publicKey: KeyObject): Buffer {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  // SubjectPublicKeyInfo ::= SEQUENCE { algorithm, subjectPublicKey BIT STRING }: the bit string is its last element.
  const bits = children(spki)[1];
  if (bits?.tag !== 0x03) throw new Error('not a SubjectPublicKeyInfo');
  return createHash('sha1').update(bits.content.subarray(1)).digest();
}

/** What a certificate is for. */
export interface CertificateShape {
  /** Encoded with distinguishedName(). */
  readonly subject: Buffer;
  readonly issuer: Buffer;
  readonly publicKey: KeyObject;
  /** The issuer's private key (the subject's own for a self-signed certificate). ECDSA, SHA-256. */
  readonly signingKey: KeyObject;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** A CA: basicConstraints CA:TRUE and keyCertSign; otherwise an end entity. */
  readonly isCa: boolean;
  readonly serverAuth: boolean;
  readonly clientAuth: boolean;
  /** Host names and IP addresses (subject alternative names). */
  readonly hosts: readonly string[];
  /** Key identifiers: the subject's (subjectKeyIdentifier) and the issuer's (authorityKeyIdentifier); absent: left out. */
  readonly subjectKeyId?: Buffer;
  readonly authorityKeyId?: Buffer;
}

/** DER of a certificate of `shape` (X.509 v3, random positive serial). */
export function certificateDer(shape: CertificateShape): Buffer {
  const serial = randomBytes(serialBytes);
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  const signatureAlgorithm = sequence(objectId(oids.ecdsaWithSha256));
  const usages = [...(shape.serverAuth ? [oids.serverAuth] : []), ...(shape.clientAuth ? [oids.clientAuth] : [])].map(objectId);
  const extensions = shape.isCa
    ? [
        // keyCertSign (bit 5) and cRLSign (bit 6): 0000011 followed by 1 unused bit.
        extension(oids.keyUsage, true, bitString(Buffer.from([0x06]), 1)),
        extension(oids.basicConstraints, true, sequence(booleanTrue)),
      ]
    : [
        // digitalSignature (bit 0) and keyEncipherment (bit 2): 101 followed by 5 unused bits.
        extension(oids.keyUsage, true, bitString(Buffer.from([0xa0]), 5)),
        extension(oids.basicConstraints, true, sequence()),
      ];
  if (usages.length > 0) extensions.push(extension(oids.extendedKeyUsage, false, sequence(...usages)));
  if (shape.hosts.length > 0) extensions.push(extension(oids.subjectAltName, false, subjectAltNames(shape.hosts)));
  if (shape.subjectKeyId) extensions.push(extension(oids.subjectKeyIdentifier, false, octetString(shape.subjectKeyId)));
  if (shape.authorityKeyId) extensions.push(extension(oids.authorityKeyIdentifier, false, sequence(tlv(0x80, shape.authorityKeyId))));
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    signatureAlgorithm,
    shape.issuer,
    sequence(time(shape.notBefore), time(shape.notAfter)),
    shape.subject,
    shape.publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, sequence(...extensions)),
  );
  return sequence(tbs, signatureAlgorithm, bitString(sign('sha256', tbs, shape.signingKey)));
}

export function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

// ---- reading ------------------------------------------------------------------------------------

interface Element {
  readonly tag: number;
  /** The whole element, header included. */
  readonly bytes: Buffer;
  readonly content: Buffer;
}

/** The elements inside a constructed DER element (single-byte tags and definite lengths, as DER has). */
function children(der: Buffer): Element[] {
  const outer = element(der, 0);
  const found: Element[] = [];
  for (let offset = 0; offset < outer.content.length; ) {
    const inner = element(outer.content, offset);
    found.push(inner);
    offset += inner.bytes.length;
  }
  return found;
}

function element(der: Buffer, offset: number): Element {
  const tag = der[offset];
  let length = der[offset + 1];
  if (tag === undefined || length === undefined) throw new Error('truncated DER');
  let header = 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || offset + 2 + count > der.length) throw new Error('unsupported DER length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[offset + 2 + i]!;
    header += count;
  }
  const end = offset + header + length;
  if (end > der.length) throw new Error('truncated DER');
  return { tag, bytes: der.subarray(offset, end), content: der.subarray(offset + header, end) };
}

/** The subject name of a DER certificate, as encoded there (to name it as the issuer of others). */
export function subjectOf(certificateDer: Buffer): Buffer {
  const [tbs] = children(certificateDer);
  if (!tbs) throw new Error('not a certificate');
  const fields = children(tbs.bytes);
  // version [0], serialNumber, signature, issuer, validity, subject, ...
  const offset = fields[0]?.tag === 0xa0 ? 1 : 0;
  const subject = fields[offset + 4];
  if (!subject) throw new Error('not a certificate');
  return subject.bytes;
}
