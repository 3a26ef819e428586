// etcd's JWT tokens (--auth-token jwt,pub-key=…,priv-key=…,sign-method=…,ttl=…): a signed JSON web
// token with the claims etcd writes (username, revision, exp). Any member holding the public key
// verifies it without shared state; it goes stale when the auth revision moves past the one it
// carries (the checks in authStore.ts refuse it then), and it expires at `exp`. RSA (RS*, PS*)
// and ECDSA (ES*) keys in PEM files, with Node's crypto; HMAC is not offered.
import { createPrivateKey, createPublicKey, sign, verify, constants, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import { AuthError } from './errors.js';
import type { TokenKeeper } from './simpleTokens.js';
import { durationMs } from '../util/duration.js';

/** etcd's default JWT lifetime. */
export const jwtTtlSecondsDefault = 300;

const hashes: Readonly<Record<string, string>> = {
  RS256: 'sha256', RS384: 'sha384', RS512: 'sha512',
  PS256: 'sha256', PS384: 'sha384', PS512: 'sha512',
  ES256: 'sha256', ES384: 'sha384', ES512: 'sha512',
};

export interface JwtOptions {
  readonly publicKeyFile: string;
  /** Absent: this member verifies tokens but cannot issue them. */
  readonly privateKeyFile?: string;
  readonly signMethod: string;
  readonly ttlSeconds: number;
}

/** The ttl option's duration in seconds, or null when it is not one. */
function parseDuration(text: string): number | null {
  const ms = durationMs(text);
  return ms === null ? null : ms / 1000;
}

/**
 * The options after "jwt," in --auth-token. Throws Error with a one-line message for a missing
 * key, an unknown sign method or a bad ttl.
 */
export function parseJwtOptions(text: string): JwtOptions {
  const options = new Map<string, string>();
  for (const part of text.split(',').filter((p) => p !== '')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`invalid --auth-token option "${part}": want name=value`);
    options.set(part.slice(0, eq), part.slice(eq + 1));
  }
  const publicKeyFile = options.get('pub-key');
  if (!publicKeyFile) throw new Error('--auth-token jwt needs pub-key=FILE');
  const signMethod = options.get('sign-method') ?? '';
  if (!(signMethod in hashes)) throw new Error(`--auth-token jwt: sign-method "${signMethod}" is not one of ${Object.keys(hashes).join(', ')}`);
  const ttlText = options.get('ttl');
  const ttlSeconds = ttlText === undefined ? jwtTtlSecondsDefault : parseDuration(ttlText);
  if (ttlSeconds === null || ttlSeconds <= 0) throw new Error(`--auth-token jwt: invalid ttl "${ttlText ?? ''}"`);
  const privateKeyFile = options.get('priv-key');
  return { publicKeyFile, ...(privateKeyFile ? { privateKeyFile } : {}), signMethod, ttlSeconds };
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

function readKey(file: string, what: string, load: (pem: string) => KeyObject): KeyObject {
  let pem: string;
  try {
    pem = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the JWT ${what} key ${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  try {
    return load(pem);
  } catch (error) {
    throw new Error(`the JWT ${what} key ${file} is not a PEM key: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

export class JwtTokens implements TokenKeeper {
  private readonly publicKey: KeyObject;
  private readonly privateKey: KeyObject | null;
  private readonly hash: string;

  constructor(
    private readonly options: JwtOptions,
    private readonly clock: () => number = Date.now,
  ) {
    this.publicKey = readKey(options.publicKeyFile, 'public', (pem) => createPublicKey(pem));
    this.privateKey = options.privateKeyFile === undefined ? null : readKey(options.privateKeyFile, 'private', (pem) => createPrivateKey(pem));
    this.hash = hashes[options.signMethod]!;
    const family = options.signMethod.slice(0, 2);
    const type = this.publicKey.asymmetricKeyType;
    if ((family === 'ES' && type !== 'ec') || (family !== 'ES' && type !== 'rsa' && type !== 'rsa-pss')) {
      throw new Error(`the JWT public key ${options.publicKeyFile} is a ${type ?? 'unknown'} key, which ${options.signMethod} cannot use`);
    }
  }

  private signatureOptions(key: KeyObject): Parameters<typeof sign>[2] {
    const family = this.options.signMethod.slice(0, 2);
    if (family === 'ES') return { key, dsaEncoding: 'ieee-p1363' };
    if (family === 'PS') return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };
    return key;
  }

  /** A token for `user` carrying the auth `revision`. Throws VERIFY_ONLY when this member has no private key. */
  assign(user: string, revision: number): string {
    if (this.privateKey === null) throw new AuthError('VERIFY_ONLY');
    const header = base64url(JSON.stringify({ alg: this.options.signMethod, typ: 'JWT' }));
    const claims = base64url(JSON.stringify({ exp: Math.floor(this.clock() / 1000) + this.options.ttlSeconds, revision, username: user }));
    const signature = sign(this.hash, Buffer.from(`${header}.${claims}`), this.signatureOptions(this.privateKey));
    return `${header}.${claims}.${base64url(signature)}`;
  }

  /** A JWT cannot be taken back: it goes stale with the auth revision or expires. */
  invalidateUser(): void {}

  clear(): void {}

  /** The user and revision of a valid, unexpired token signed with this member's key; else null. */
  info(token: string): { user: string; revision: number } | null {
    const parts = token.split('.');
    if (parts.length !== 3) return null;
    try {
      const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as { alg?: unknown };
      if (header.alg !== this.options.signMethod) return null;
      const signed = Buffer.from(`${parts[0]!}.${parts[1]!}`);
      if (!verify(this.hash, signed, this.signatureOptions(this.publicKey) as KeyObject, Buffer.from(parts[2]!, 'base64url'))) return null;
      const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { username?: unknown; revision?: unknown; exp?: unknown };
      if (typeof claims.username !== 'string' || typeof claims.revision !== 'number' || typeof claims.exp !== 'number') return null;
      if (claims.exp * 1000 <= this.clock()) return null;
      return { user: claims.username, revision: claims.revision };
    } catch {
      return null;
    }
  }
}
