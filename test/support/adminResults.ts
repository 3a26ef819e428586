// Small helpers for tests of the console's service: unwrapping a Result, and an AES-GCM secret
// cipher standing in for the desktop keychain (Electron's safeStorage) in the secret store.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Result } from '../../core/admin/api.js';
import type { SecretCipher } from '../../core/admin/secretFile.js';

/** The value of a successful result; throws with the error's code and message otherwise. */
export function value<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.value;
}

/** A cipher with a fixed key, as the secret store expects from the host. */
export function aesCipher(key: Buffer): SecretCipher {
  return {
    encrypt(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]);
    },
    decrypt(data) {
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
      decipher.setAuthTag(data.subarray(12, 28));
      return Buffer.concat([decipher.update(data.subarray(28)), decipher.final()]).toString('utf8');
    },
  };
}
