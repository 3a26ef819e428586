import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JwtTokens, parseJwtOptions } from '../../core/auth/jwtTokens.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rafter-jwt-test-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function keyFiles(kind: 'rsa' | 'ec', name: string): { pub: string; priv: string } {
  const pair = kind === 'rsa'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pub = path.join(dir, `${name}.pub`);
  const priv = path.join(dir, `${name}.key`);
  fs.writeFileSync(pub, pair.publicKey.export({ type: 'spki', format: 'pem' }));
  fs.writeFileSync(priv, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  return { pub, priv };
}

const rsa = keyFiles('rsa', 'rsa');
const ec = keyFiles('ec', 'ec');

describe('JWT tokens', () => {
  for (const [method, keys] of [['RS256', rsa], ['PS384', rsa], ['ES256', ec]] as const) {
    it(`signs etcd's claims with ${method} and verifies them`, () => {
      let now = 1_000_000;
      const tokens = new JwtTokens({ publicKeyFile: keys.pub, privateKeyFile: keys.priv, signMethod: method, ttlSeconds: 300 }, () => now);
      const token = tokens.assign('alice', 7);
      const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
      expect(claims).toEqual({ exp: 1_000 + 300, revision: 7, username: 'alice' });
      expect(tokens.info(token)).toEqual({ user: 'alice', revision: 7 });
      const [header, , signature] = token.split('.');
      const forged = Buffer.from(JSON.stringify({ exp: 9e9, revision: 7, username: 'root' })).toString('base64url');
      expect(tokens.info(`${header!}.${forged}.${signature!}`)).toBeNull();
      now += 300_000;
      expect(tokens.info(token)).toBeNull();
    });
  }

  it('refuses a token of another sign method or key, and garbage', () => {
    const es = new JwtTokens({ publicKeyFile: ec.pub, privateKeyFile: ec.priv, signMethod: 'ES256', ttlSeconds: 60 });
    const rs = new JwtTokens({ publicKeyFile: rsa.pub, privateKeyFile: rsa.priv, signMethod: 'RS256', ttlSeconds: 60 });
    expect(rs.info(es.assign('a', 1))).toBeNull();
    expect(es.info('a.b.c')).toBeNull();
    expect(es.info('abcdefghijklmnop.12')).toBeNull();
  });

  it('verifies but cannot sign without the private key', () => {
    const signer = new JwtTokens({ publicKeyFile: ec.pub, privateKeyFile: ec.priv, signMethod: 'ES256', ttlSeconds: 60 });
    const verifier = new JwtTokens({ publicKeyFile: ec.pub, signMethod: 'ES256', ttlSeconds: 60 });
    expect(verifier.info(signer.assign('bob', 3))).toEqual({ user: 'bob', revision: 3 });
    expect(() => verifier.assign('bob', 3)).toThrow('auth: token signing attempted with verify-only key');
  });

  it("parses etcd's --auth-token options and names what is wrong", () => {
    expect(parseJwtOptions(`pub-key=${ec.pub},priv-key=${ec.priv},sign-method=ES256,ttl=10m`)).toEqual({ publicKeyFile: ec.pub, privateKeyFile: ec.priv, signMethod: 'ES256', ttlSeconds: 600 });
    expect(parseJwtOptions(`pub-key=${ec.pub},sign-method=ES256`).ttlSeconds).toBe(300);
    expect(() => parseJwtOptions('sign-method=ES256')).toThrow('pub-key');
    expect(() => parseJwtOptions(`pub-key=${ec.pub},sign-method=HS256`)).toThrow('sign-method');
    expect(() => parseJwtOptions(`pub-key=${ec.pub},sign-method=ES256,ttl=soon`)).toThrow('ttl');
    expect(() => new JwtTokens({ publicKeyFile: path.join(dir, 'missing.pub'), signMethod: 'ES256', ttlSeconds: 1 })).toThrow(/missing\.pub/);
    expect(() => new JwtTokens({ publicKeyFile: rsa.pub, signMethod: 'ES256', ttlSeconds: 1 })).toThrow('cannot use');
  });
});
