// Temporary stores for tests: real LMDB in a fresh directory under the OS temp dir, removed by
// `cleanup()` (call it in afterEach).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MvccStore } from '../../core/mvcc/mvccStore.js';
import type { MvccStoreOptions } from '../../core/mvcc/mvccStore.js';

const openStores: MvccStore[] = [];
const dirs: string[] = [];

/** A new empty directory that `cleanup` removes. */
export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rafter-mvcc-'));
  dirs.push(dir);
  return dir;
}

/** Opens a store (in a new temp dir unless `dir` is given); `cleanup` closes it. */
export function openStore(options: Partial<MvccStoreOptions> = {}): MvccStore {
  const store = MvccStore.open({ ...options, dir: options.dir ?? tempDir() });
  openStores.push(store);
  return store;
}

/** Closes every store opened here and removes every temp dir. */
export function cleanup(): void {
  for (const store of openStores.splice(0)) store.close();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** UTF-8 bytes of `text`. */
export const b = (text: string): Buffer => Buffer.from(text);

/** The keys of kvs as strings, for compact assertions. */
export const keysOf = (kvs: readonly { key: Uint8Array }[]): string[] => kvs.map((kv) => Buffer.from(kv.key).toString());

/** The values of kvs as strings. */
export const valuesOf = (kvs: readonly { value: Uint8Array }[]): string[] =>
  kvs.map((kv) => Buffer.from(kv.value).toString());
