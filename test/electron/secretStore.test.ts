// The desktop app's secret store: passwords go through the keychain behind Electron's safeStorage
// into the ciphertext file and come back in the next run; without a keychain — or with Linux's
// `basic_text` fallback, which protects nothing — nothing is saved and the reason is given.
// safeStorage cannot run outside Electron, so a keychain held in memory (AES-256-GCM with a key the
// test holds) stands in for it.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SecretFile } from '../../core/admin/secretFile.js';
import { keychainSecrets, noKeychainNotice } from '../../electron/secretStore.js';
import type { SafeStorage } from '../../electron/secretStore.js';

/** A keychain in memory: encrypts with its own key, like one user's system keychain. */
function memoryKeychain(backend: string, available = true): SafeStorage & { backendAsked: number } {
  const key = randomBytes(32);
  return {
    backendAsked: 0,
    isEncryptionAvailable: () => available,
    encryptString(plainText) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plainText, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]);
    },
    decryptString(encrypted) {
      const decipher = createDecipheriv('aes-256-gcm', key, encrypted.subarray(0, 12));
      decipher.setAuthTag(encrypted.subarray(12, 28));
      return Buffer.concat([decipher.update(encrypted.subarray(28)), decipher.final()]).toString('utf8');
    },
    getSelectedStorageBackend() {
      this.backendAsked++;
      return backend;
    },
  };
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rafter-keychain-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the desktop secret store', () => {
  it('keeps a password encrypted by the keychain and reads it back in the next run', async () => {
    const keychain = memoryKeychain('gnome_libsecret');
    const secrets = keychainSecrets(keychain, 'linux');
    expect(secrets.passwordNotice).toBeNull();
    const file = path.join(dir, 'secrets.json');
    const first = new SecretFile(file, secrets.cipher!);
    await first.set('connection-1', 'hunter2');
    expect(await readFile(file, 'utf8')).not.toContain('hunter2');

    const next = new SecretFile(file, keychainSecrets(keychain, 'linux').cipher!);
    await next.load();
    expect(next.get('connection-1')).toBe('hunter2');

    const otherUser = new SecretFile(file, keychainSecrets(memoryKeychain('gnome_libsecret'), 'linux').cipher!);
    await otherUser.load();
    expect(otherUser.get('connection-1')).toBeUndefined();
  });

  it('saves nothing without a keychain, or with the basic_text fallback on Linux, and says why', () => {
    expect(keychainSecrets(memoryKeychain('gnome_libsecret', false), 'linux')).toEqual({ cipher: null, passwordNotice: noKeychainNotice });
    expect(keychainSecrets(memoryKeychain('basic_text'), 'linux')).toEqual({ cipher: null, passwordNotice: noKeychainNotice });
  });

  it('asks for the storage backend only on Linux, where it exists', () => {
    const keychain = memoryKeychain('unknown');
    expect(keychainSecrets(keychain, 'darwin').cipher).not.toBeNull();
    expect(keychainSecrets(keychain, 'win32').cipher).not.toBeNull();
    expect(keychain.backendAsked).toBe(0);
  });
});
