// The desktop app's secret store for saved connection passwords: Electron's safeStorage, which
// encrypts with the operating system's keychain (macOS Keychain, Windows DPAPI, libsecret or
// KWallet on Linux). Where there is none — including Linux's `basic_text` fallback, whose key is a
// constant built into Chromium and so protects nothing — passwords are not saved, and the
// connection form says why. No Electron import here, so tests under Node read it; the ciphertext
// file itself is core/admin/secretFile.ts's.
import type { SecretCipher } from '../core/admin/secretFile.js';

/** The part of Electron's `safeStorage` the store uses (call it after the app is ready). */
export interface SafeStorage {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
  /** Linux only: which keychain backs the encryption. */
  getSelectedStorageBackend(): string;
}

/** Either a cipher over the keychain, or the reason there is none, for the connection form. */
export type KeychainSecrets = { cipher: SecretCipher; passwordNotice: null } | { cipher: null; passwordNotice: string };

/** Why passwords are not saved when the system has no keychain the app can use. */
export const noKeychainNotice =
  'No system keychain is available to encrypt passwords, so they are not saved: one typed here lasts until the app restarts.';

/** The keychain cipher of `storage` on `platform`, or the reason passwords cannot be saved. */
export function keychainSecrets(storage: SafeStorage, platform: NodeJS.Platform): KeychainSecrets {
  if (!storage.isEncryptionAvailable()) return { cipher: null, passwordNotice: noKeychainNotice };
  if (platform === 'linux' && storage.getSelectedStorageBackend() === 'basic_text') {
    return { cipher: null, passwordNotice: noKeychainNotice };
  }
  return {
    cipher: { encrypt: (plain) => storage.encryptString(plain), decrypt: (encrypted) => storage.decryptString(encrypted) },
    passwordNotice: null,
  };
}
