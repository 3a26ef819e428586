// The Keys page's listing: keys under a prefix, fetched a page at a time from the server (never
// the whole keyspace), plus bulk actions on the prefix (delete, export, import).
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { FolderPage, KeyExport, KeySummary } from '../contract';
import { adminApi } from '../api';
import { useConnectionScope } from './connectionScope';

/** Keys fetched per page as the list scrolls. */
export const keyPageSize = 200;
/** Folder entries (sub-folders and keys) asked for per folder page; each costs the server one read. */
export const folderPageSize = 100;
/** Most keys the list holds in memory; at the cap it says so and offers to continue from there. */
export const loadedKeysMax = 50_000;

export const useKeysStore = defineStore('keys', () => {
  const prefix = ref('');
  const items = shallowRef<KeySummary[]>([]);
  const nextCursor = ref<string | null>(null);
  const remaining = ref(0);
  const revision = ref(0);
  const loaded = ref(false);
  /** The folder view's entries directly under `prefix`, from the server; null until listed. */
  const folder = shallowRef<FolderPage | null>(null);
  /** Keys under each folder, counted on request (by folder prefix). */
  const folderCounts = ref<Record<string, number>>({});
  /** Where the list stopped at loadedKeysMax (the next key's cursor); null when it did not. */
  const cappedAt = ref<string | null>(null);
  /** The cursor the list starts from after "continue from here"; null from the prefix's start. */
  const startedAt = ref<string | null>(null);
  const scope = useConnectionScope(() => {
    generation++;
    items.value = [];
    nextCursor.value = null;
    remaining.value = 0;
    revision.value = 0;
    loaded.value = false;
    cappedAt.value = null;
    startedAt.value = null;
    folder.value = null;
    folderCounts.value = {};
  });
  const page = scope.requestState();
  const bulk = scope.requestState();
  let generation = 0;

  async function fetchPage(connectionId: string, cursor: string | null, reset: boolean): Promise<void> {
    const mine = ++generation;
    const result = await page.run(() =>
      adminApi().listKeys({ connectionId, prefix: prefix.value, cursor, limit: keyPageSize }),
    );
    if (mine !== generation || !result.ok) return;
    items.value = reset ? result.value.items : [...items.value, ...result.value.items];
    const capped = items.value.length >= loadedKeysMax && result.value.nextCursor !== null;
    cappedAt.value = capped ? result.value.nextCursor : null;
    nextCursor.value = capped ? null : result.value.nextCursor;
    if (reset) remaining.value = result.value.remaining;
    revision.value = result.value.revision;
    loaded.value = true;
  }

  /** Starts the listing over for `nextPrefix`. */
  async function list(connectionId: string, nextPrefix: string): Promise<void> {
    prefix.value = nextPrefix;
    items.value = [];
    nextCursor.value = null;
    remaining.value = 0;
    loaded.value = false;
    cappedAt.value = null;
    startedAt.value = null;
    await fetchPage(connectionId, null, true);
  }

  /** Lists the folders and keys directly under `nextPrefix` (the folder view), from the server. */
  async function openFolder(connectionId: string, nextPrefix: string): Promise<void> {
    prefix.value = nextPrefix;
    folder.value = null;
    folderCounts.value = {};
    const mine = ++generation;
    const result = await page.run(() => adminApi().listFolder({ connectionId, prefix: nextPrefix, cursor: null, limit: folderPageSize }));
    if (mine === generation && result.ok) folder.value = result.value;
  }

  /** Fetches the folder view's next entries. */
  async function moreOfFolder(connectionId: string): Promise<void> {
    const current = folder.value;
    if (page.loading.value || current?.nextCursor == null) return;
    const mine = generation;
    const result = await page.run(() => adminApi().listFolder({ connectionId, prefix: prefix.value, cursor: current.nextCursor, limit: folderPageSize }));
    if (mine !== generation || !result.ok) return;
    folder.value = { ...result.value, folders: [...current.folders, ...result.value.folders], keys: [...current.keys, ...result.value.keys] };
  }

  /** Counts the keys under a folder (one count-only read). */
  async function countFolder(connectionId: string, folderPrefix: string): Promise<void> {
    const result = await bulk.run(() => adminApi().listKeys({ connectionId, prefix: folderPrefix, cursor: null, limit: 1 }));
    if (result.ok) folderCounts.value = { ...folderCounts.value, [folderPrefix]: result.value.remaining };
  }

  /** Drops the keys held and lists on from where the cap stopped the list. */
  async function continueFromCap(connectionId: string): Promise<void> {
    const from = cappedAt.value;
    if (from === null) return;
    items.value = [];
    nextCursor.value = null;
    cappedAt.value = null;
    startedAt.value = from;
    await fetchPage(connectionId, from, true);
  }

  /** Fetches the next page, unless one is in flight or this was the last. */
  async function loadMore(connectionId: string): Promise<void> {
    if (page.loading.value || nextCursor.value === null) return;
    await fetchPage(connectionId, nextCursor.value, false);
  }

  async function deletePrefix(connectionId: string, target: string): Promise<number | null> {
    const result = await bulk.run(() => adminApi().deletePrefix({ connectionId, prefix: target }));
    if (!result.ok) return null;
    await list(connectionId, prefix.value);
    return result.value.deleted;
  }

  async function exportPrefix(connectionId: string): Promise<KeyExport | null> {
    const result = await bulk.run(() => adminApi().exportKeys({ connectionId, prefix: prefix.value }));
    return result.ok ? result.value : null;
  }

  async function importDocument(connectionId: string, document: KeyExport, overwrite: boolean, atomic: boolean) {
    const result = await bulk.run(() => adminApi().importKeys({ connectionId, document, overwrite, atomic }));
    if (result.ok) await list(connectionId, prefix.value);
    return result.ok ? result.value : null;
  }

  /** Applies a local change after the editor wrote or deleted a key, without refetching. */
  function noteDeleted(key: string): void {
    items.value = items.value.filter((item) => item.key !== key);
  }

  return {
    prefix,
    items,
    nextCursor,
    remaining,
    revision,
    loaded,
    cappedAt,
    startedAt,
    folder,
    folderCounts,
    openFolder,
    moreOfFolder,
    countFolder,
    continueFromCap,
    loading: page.loading,
    error: page.error,
    bulkBusy: bulk.loading,
    bulkError: bulk.error,
    list,
    loadMore,
    deletePrefix,
    exportPrefix,
    importDocument,
    noteDeleted,
  };
});
