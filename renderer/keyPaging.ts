// Where to fetch one page of a key listing too big to hold: the list is split into pages of a
// fixed size by position, and a page is fetched from the nearest place before it whose position is
// known (the listing's start, or a cursor the server answered earlier: a page's ends, a skip's
// waypoints), passing over the keys between. Only ascending reads: those cost the server the page,
// where a descending one sorts the whole range. Pure: the keys store owns pages and requests.

/** A cursor whose position is known: reading from it, the key at `index` comes first. */
export interface Anchor {
  index: number;
  /** A key, or the successor of one (`key\0`). */
  cursor: string;
}

/** A listKeys request for one page. */
export interface PageRequest {
  cursor: string | null;
  skip: number;
  limit: number;
}

/** The rows page `page` covers in a listing of `total` keys: [start, start + count). */
export function pageSpan(page: number, pageSize: number, total: number): { start: number; count: number } {
  const start = page * pageSize;
  return { start, count: Math.max(0, Math.min(pageSize, total - start)) };
}

/** The request that fetches page `page` passing over the fewest keys: from the nearest anchor at or before the page's start. */
export function planPage(page: number, pageSize: number, anchors: Iterable<Anchor>): PageRequest {
  const start = page * pageSize;
  let best: PageRequest = { cursor: null, skip: start, limit: pageSize };
  for (const anchor of anchors) {
    if (anchor.index <= start && start - anchor.index < best.skip) best = { cursor: anchor.cursor, skip: start - anchor.index, limit: pageSize };
  }
  return best;
}

/** The kept pages to drop so that at most `keptMax` remain: those farthest from `around`. */
export function pagesToDrop(kept: Iterable<number>, around: number, keptMax: number): number[] {
  const byDistance = [...kept].sort((a, b) => Math.abs(b - around) - Math.abs(a - around));
  return byDistance.slice(0, Math.max(0, byDistance.length - keptMax));
}
