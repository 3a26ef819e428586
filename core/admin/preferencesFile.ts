// The console's saved preferences (theme, the connection it opens on): held by the host — the
// Electron main process or the web host — in one JSON file beside the saved connections, never in
// the page's storage. Without a file they last as long as the service.
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { PreferenceChanges, Preferences } from './api.js';
import { literal, nullable, object, string } from './validate.js';

/** What a console that never saved anything starts with. */
export const defaultPreferences: Preferences = { theme: 'system', connectionId: null };

const savedPreferences = object({}, { theme: literal('system', 'light', 'dark'), connectionId: nullable(string({ minLength: 1, maxLength: 64 })) });

export class PreferencesFile {
  private current: Preferences = { ...defaultPreferences };
  /** The last write; writes run one after another so the file ends with the newest preferences. */
  private saving: Promise<void> = Promise.resolve();

  constructor(private readonly file: string | null) {}

  /** Reads the saved preferences; a missing or unreadable file leaves the defaults in force. */
  async load(): Promise<void> {
    if (this.file === null) return;
    const text = await readFile(this.file, 'utf8').catch(() => null);
    if (text === null) return;
    try {
      this.current = { ...defaultPreferences, ...savedPreferences(JSON.parse(text), this.file) };
    } catch {
      this.current = { ...defaultPreferences };
    }
  }

  get(): Preferences {
    return { ...this.current };
  }

  /** Applies `changes`, saves, and resolves to the preferences now in force. */
  async update(changes: PreferenceChanges): Promise<Preferences> {
    this.current = { ...this.current, ...changes };
    const snapshot = JSON.stringify(this.current, null, 2);
    const file = this.file;
    if (file !== null) {
      this.saving = this.saving.catch(() => undefined).then(async () => {
        await writeFile(`${file}.tmp`, snapshot, { mode: 0o600 });
        await rename(`${file}.tmp`, file);
      });
      await this.saving;
    }
    return this.get();
  }
}
