// Grouping a page of keys into the folder view: the entries directly under a prefix, with keys
// sharing a further `/` segment collapsed into a folder.
import type { KeySummary } from './contract';

export interface KeyFolder {
  name: string;
  prefix: string;
  /** Keys under the folder among those loaded so far. */
  loadedCount: number;
}

export interface KeyLevel {
  folders: KeyFolder[];
  keys: KeySummary[];
}

/** The folders and keys directly under `prefix`, in key order, from the loaded `items`. */
export function keyLevel(items: readonly KeySummary[], prefix: string): KeyLevel {
  const folders = new Map<string, KeyFolder>();
  const keys: KeySummary[] = [];
  for (const item of items) {
    if (!item.key.startsWith(prefix)) continue;
    const rest = item.key.slice(prefix.length);
    const slash = rest.indexOf('/', rest.startsWith('/') ? 1 : 0);
    if (slash === -1) {
      keys.push(item);
      continue;
    }
    const name = rest.slice(0, slash + 1);
    const folder = folders.get(name);
    if (folder) folder.loadedCount++;
    else folders.set(name, { name, prefix: prefix + name, loadedCount: 1 });
  }
  return { folders: [...folders.values()], keys };
}

/** The prefix one folder up from `prefix` (`a/b/` → `a/`, `a/` → ``). */
export function parentPrefix(prefix: string): string {
  const trimmed = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  const slash = trimmed.lastIndexOf('/');
  return slash === -1 ? '' : trimmed.slice(0, slash + 1);
}
