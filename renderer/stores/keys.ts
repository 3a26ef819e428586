// The Keys page's listing: keys under a prefix, fetched a page at a time from the server (never
// the whole keyspace), plus bulk actions on the prefix (delete, export, import). The flat list is
// a window over server pages by position: pages in view are fetched (keyPaging.ts picks the
// cheapest cursor), pages far from the view are dropped, so memory stays bounded at any size.
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { FolderPage, KeyExport, KeyPage, KeySummary } from '../contract';
import { adminApi } from '../api';
import { pagesToDrop, pageSpan, planPage } from '../keyPaging';
import type { Anchor } from '../keyPaging';
import { useConnectionScope } from './connectionScope';

/** Keys fetched per page. */
export const keyPageSize = 200;
/** Folder entries (sub-folders and keys) asked for per folder page; each costs the server one read. */
export const folderPageSize = 100;
/** Most pages of keys held at once; pages farthest from the view are dropped (and fetched again on return). */
export const keptPagesMax = 12;
/** Most known cursor positions remembered for jumps (one string each). */
export const anchorsMax = 4_096;
/** Rows beyond each side of the view fetched with it, so a short scroll shows keys at once. */
export const fetchMarginRows = 20;

export const useKeysStore = defineStore('keys', () => {
  const prefix = ref('');
  /** Kept pages by page number. Invariant: at most keptPagesMax entries. */
  const pages = shallowRef<ReadonlyMap<number, KeySummary[]>>(new Map());
  /** Keys under the prefix, as the server counted them last. */
  const total = ref(0);
  const revision = ref(0);
  const loaded = ref(false);
  /** The folder view's entries directly under `prefix`, from the server; null until listed. */
  const folder = shallowRef<FolderPage | null>(null);
  /** Keys under each folder, counted on request (by folder prefix). */
  const folderCounts = ref<Record<string, number>>({});
  /** Known cursor positions, oldest first. Invariant: at most anchorsMax entries. */
  let anchors = new Map<string, Anchor>();
  /** The rows in view, as the list last reported them. */
  let view = { first: 0, last: 0 };
  let fetching: number | null = null;
  const scope = useConnectionScope(() => {
    generation++;
    resetListing();
    folder.value = null;
    folderCounts.value = {};
  });
  const page = scope.requestState();
  const bulk = scope.requestState();
  let generation = 0;

  function resetListing(): void {
    pages.value = new Map();
    anchors = new Map();
    total.value = 0;
    revision.value = 0;
    loaded.value = false;
    fetching = null;
    view = { first: 0, last: 0 };
  }

  function remember(anchor: Anchor): void {
    anchors.delete(anchor.cursor);
    anchors.set(anchor.cursor, anchor);
    if (anchors.size > anchorsMax) anchors.delete(anchors.keys().next().value!);
  }

  function keep(pageNumber: number, answer: KeyPage): void {
    const next = new Map(pages.value);
    next.set(pageNumber, answer.items);
    const center = Math.floor((view.first + view.last) / 2 / keyPageSize);
    for (const dropped of pagesToDrop(next.keys(), center, keptPagesMax)) next.delete(dropped);
    pages.value = next;
    const first = answer.items[0];
    const last = answer.items[answer.items.length - 1];
    if (first && last) {
      remember({ index: answer.offset, cursor: first.key });
      remember({ index: answer.offset + answer.items.length, cursor: `${last.key}\0` });
    }
    for (const waypoint of answer.waypoints) remember(waypoint);
    total.value = answer.total;
    revision.value = answer.revision;
    loaded.value = true;
  }

  /** Fetches one page by number; answers false when it failed or the listing moved on. */
  async function fetchPage(connectionId: string, pageNumber: number): Promise<boolean> {
    const mine = generation;
    const request = planPage(pageNumber, keyPageSize, anchors.values());
    fetching = pageNumber;
    const result = await page.run(() => adminApi().listKeys({ connectionId, prefix: prefix.value, ...request }));
    if (mine !== generation) return false;
    fetching = null;
    if (!result.ok) return false;
    keep(pageNumber, result.value);
    return true;
  }

  /** The pages rows first..last fall in that are not kept, nearest the view first. */
  function missingPages(first: number, last: number): number[] {
    const missing: number[] = [];
    const lastPage = Math.floor(Math.max(0, Math.min(last, total.value - 1)) / keyPageSize);
    for (let pageNumber = Math.floor(Math.max(0, first) / keyPageSize); pageNumber <= lastPage; pageNumber++) {
      if (!pages.value.has(pageNumber) && pageSpan(pageNumber, keyPageSize, total.value).count > 0) missing.push(pageNumber);
    }
    return missing;
  }

  /**
   * The list shows rows first..last (inclusive): fetches the pages they and a margin around them
   * need, one request at a time, those in view first, until all are kept.
   */
  async function showRows(connectionId: string, first: number, last: number): Promise<void> {
    view = { first, last };
    if (fetching !== null) return;
    const mine = generation;
    for (;;) {
      const next = missingPages(view.first, view.last)[0] ?? missingPages(view.first - fetchMarginRows, view.last + fetchMarginRows)[0];
      if (next === undefined || mine !== generation) return;
      if (!(await fetchPage(connectionId, next))) return;
    }
  }

  /** The key at row `index`, or null while its page is not kept. */
  function keyAt(index: number): KeySummary | null {
    return pages.value.get(Math.floor(index / keyPageSize))?.[index % keyPageSize] ?? null;
  }

  /** Starts the listing over for `nextPrefix`: counts it and fetches its first page. */
  async function list(connectionId: string, nextPrefix: string): Promise<void> {
    generation++;
    prefix.value = nextPrefix;
    resetListing();
    await fetchPage(connectionId, 0);
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

  /** Whether a kept page holds `key`. */
  function holds(key: string): boolean {
    return [...pages.value.values()].some((items) => items.some((item) => item.key === key));
  }

  /**
   * Fetches the rows in view again after the editor created or deleted a key (positions after it
   * moved): drops the kept pages and known cursors, keeps the view where it is.
   */
  async function refresh(connectionId: string): Promise<void> {
    generation++;
    pages.value = new Map();
    anchors = new Map();
    fetching = null;
    await showRows(connectionId, view.first, view.last);
  }

  return {
    prefix,
    pages,
    total,
    revision,
    loaded,
    folder,
    folderCounts,
    openFolder,
    moreOfFolder,
    countFolder,
    showRows,
    keyAt,
    loading: page.loading,
    error: page.error,
    bulkBusy: bulk.loading,
    bulkError: bulk.error,
    list,
    deletePrefix,
    exportPrefix,
    importDocument,
    holds,
    refresh,
  };
});
