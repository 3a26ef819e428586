// Saved connection passwords, encrypted by a cipher the host provides (the desktop app uses the
// operating system's keychain through Electron's safeStorage), in one JSON file (mode 0600) of
// base64 ciphertexts by connection id. Without a cipher nothing is ever written: the web console
// keeps passwords for the session only. It owns the file; deciding what to remember is the
// connection registry's.
import { readFile, rename, writeFile } from 'node:fs/promises';

/** Encrypts and decrypts secrets; `decrypt` throws when the ciphertext is not its own. */
export interface SecretCipher {
  encrypt(plain: string): Buffer;
  decrypt(cipher: Buffer): string;
}

export class SecretFile {
  private readonly secrets = new Map<string, string>();

  constructor(
    private readonly file: string,
    private readonly cipher: SecretCipher,
  ) {}

  /** Reads the file; secrets that no longer decrypt (another machine, another user) are dropped. */
  async load(): Promise<void> {
    const text = await readFile(this.file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw error;
    });
    if (text === null) return;
    let saved: unknown;
    try {
      saved = JSON.parse(text);
    } catch {
      return; // a damaged file holds nothing usable; the next save replaces it
    }
    if (typeof saved !== 'object' || saved === null) return;
    for (const [id, value] of Object.entries(saved)) {
      if (typeof value !== 'string') continue;
      try {
        this.secrets.set(id, this.cipher.decrypt(Buffer.from(value, 'base64')));
      } catch {
        // not ours to read any more
      }
    }
  }

  get(id: string): string | undefined {
    return this.secrets.get(id);
  }

  /** Stores (or, with null, forgets) the secret of `id` and writes the file. */
  async set(id: string, secret: string | null): Promise<void> {
    if (secret === null) {
      if (!this.secrets.delete(id)) return;
    } else this.secrets.set(id, secret);
    const saved = Object.fromEntries([...this.secrets].map(([key, value]) => [key, this.cipher.encrypt(value).toString('base64')]));
    const temporary = `${this.file}.tmp`;
    await writeFile(temporary, JSON.stringify(saved, null, 2), { mode: 0o600 });
    await rename(temporary, this.file);
  }
}
