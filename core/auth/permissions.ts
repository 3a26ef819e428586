// Key permissions as etcd defines them, and the check etcd makes with them: a role grants READ,
// WRITE or READWRITE on one key (empty range end), a range [key, rangeEnd), or every key from
// `key` on (range end "\0"). A user may do a read or write on a key or range when the union of
// the matching permissions of all its roles covers it (etcd's unified range permissions).
// Who the user is and which roles it has is authStore.ts's business.

export type PermissionType = 'READ' | 'WRITE' | 'READWRITE';
export const permissionTypes: readonly PermissionType[] = ['READ', 'WRITE', 'READWRITE'];

export interface Permission {
  readonly type: PermissionType;
  readonly key: Buffer;
  /** Empty: the single key; "\0": every key from `key` on; otherwise the exclusive end. */
  readonly rangeEnd: Buffer;
}

/** A half-open interval of keys; `end` null means no end. */
interface Span {
  readonly begin: Buffer;
  readonly end: Buffer | null;
}

const zero = Buffer.from([0]);

function isOpenEnded(rangeEnd: Uint8Array): boolean {
  return rangeEnd.length === 1 && rangeEnd[0] === 0;
}

/** The keys a key and range end name: a point, a range or everything from the key on. */
function spanOf(key: Uint8Array, rangeEnd: Uint8Array | undefined): Span {
  const begin = Buffer.from(key);
  if (rangeEnd === undefined || rangeEnd.length === 0) return { begin, end: Buffer.concat([begin, zero]) };
  if (isOpenEnded(rangeEnd)) return { begin, end: null };
  const end = Buffer.from(rangeEnd);
  // An inverted range names no key; etcd's check then looks at its first key only.
  if (Buffer.compare(end, begin) <= 0) return { begin, end: Buffer.concat([begin, zero]) };
  return { begin, end };
}

/**
 * etcd's isValidPermissionRange: a non-empty key, and a range end that is empty, "\0" or after
 * the key.
 */
export function isValidPermissionRange(key: Uint8Array, rangeEnd: Uint8Array): boolean {
  if (key.length === 0) return false;
  if (rangeEnd.length === 0 || isOpenEnded(rangeEnd)) return true;
  return Buffer.compare(Buffer.from(key), Buffer.from(rangeEnd)) < 0;
}

function endsAfter(a: Buffer | null, b: Buffer | null): boolean {
  if (a === null) return b !== null;
  if (b === null) return false;
  return Buffer.compare(a, b) > 0;
}

/** A union of key intervals, merged and sorted. Invariant: spans are disjoint and not adjacent. */
export class KeyCoverage {
  private readonly spans: Span[];

  private constructor(spans: Span[]) {
    this.spans = spans;
  }

  static of(permissions: Iterable<{ readonly key: Uint8Array; readonly rangeEnd: Uint8Array }>): KeyCoverage {
    const spans = [...permissions].map((p) => spanOf(p.key, p.rangeEnd)).sort((a, b) => Buffer.compare(a.begin, b.begin));
    const merged: Span[] = [];
    for (const span of spans) {
      const last = merged.at(-1);
      if (last && (last.end === null || Buffer.compare(span.begin, last.end) <= 0)) {
        if (endsAfter(span.end, last.end)) merged[merged.length - 1] = { begin: last.begin, end: span.end };
      } else {
        merged.push(span);
      }
    }
    return new KeyCoverage(merged);
  }

  /** Whether every key of the key or range (etcd's conventions for `rangeEnd`) is covered. */
  covers(key: Uint8Array, rangeEnd: Uint8Array | undefined): boolean {
    const wanted = spanOf(key, rangeEnd);
    // The one span that can hold `wanted.begin` is the last one beginning at or before it.
    let low = 0;
    let high = this.spans.length - 1;
    let found: Span | undefined;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const span = this.spans[middle]!;
      if (Buffer.compare(span.begin, wanted.begin) <= 0) {
        found = span;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    if (!found) return false;
    if (found.end !== null && Buffer.compare(found.end, wanted.begin) <= 0) return false;
    return !endsAfter(wanted.end, found.end);
  }
}

/** What a user may read and write: the union over its roles' permissions. */
export interface UserCoverage {
  readonly read: KeyCoverage;
  readonly write: KeyCoverage;
}

export function coverageOf(permissions: readonly Permission[]): UserCoverage {
  return {
    read: KeyCoverage.of(permissions.filter((p) => p.type !== 'WRITE')),
    write: KeyCoverage.of(permissions.filter((p) => p.type !== 'READ')),
  };
}
