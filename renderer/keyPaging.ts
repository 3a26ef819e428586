// Where to fetch one page of a key listing too big to hold: the list is split into pages of a
// fixed size by position, and a page is fetched from the nearest place whose position is known (the
// listing's start or end, or a cursor the server answered earlier), passing over the keys between.
// Pure: the keys store owns the pages and the requests.

/** A cursor whose position is known: forward from it the key at `index` comes first, backward from it the keys before `index`. */
export interface Anchor {
  index: number;
  /** A key, or the successor of one (`key\0`); null for the listing's start or end. */
  cursor: string | null;
}

/** A listKeys request for one page. */
export interface PageRequest {
  cursor: string | null;
  direction: 'forward' | 'backward';
  skip: number;
  limit: number;
}

/** The rows page `page` covers in a listing of `total` keys: [start, start + count). */
export function pageSpan(page: number, pageSize: number, total: number): { start: number; count: number } {
  const start = page * pageSize;
  return { start, count: Math.max(0, Math.min(pageSize, total - start)) };
}

/**
 * The request that fetches page `page` passing over the fewest keys: forward from an anchor at or
 * before the page's start, or backward from one at or after its end (the listing's start and end
 * are anchors too).
 */
export function planPage(page: number, pageSize: number, total: number, anchors: Iterable<Anchor>): PageRequest {
  const { start, count } = pageSpan(page, pageSize, total);
  const end = start + count;
  let best: PageRequest = { cursor: null, direction: 'forward', skip: start, limit: pageSize };
  const consider = (candidate: PageRequest): void => {
    if (candidate.skip < best.skip) best = candidate;
  };
  consider({ cursor: null, direction: 'backward', skip: total - end, limit: Math.max(1, count) });
  for (const anchor of anchors) {
    if (anchor.cursor === null) continue;
    if (anchor.index <= start) consider({ cursor: anchor.cursor, direction: 'forward', skip: start - anchor.index, limit: pageSize });
    else if (anchor.index >= end) consider({ cursor: anchor.cursor, direction: 'backward', skip: anchor.index - end, limit: Math.max(1, count) });
  }
  return best;
}

/** The kept pages to drop so that at most `keptMax` remain: those farthest from `around`. */
export function pagesToDrop(kept: Iterable<number>, around: number, keptMax: number): number[] {
  const byDistance = [...kept].sort((a, b) => Math.abs(b - around) - Math.abs(a - around));
  return byDistance.slice(0, Math.max(0, byDistance.length - keptMax));
}
