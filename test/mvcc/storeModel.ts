// A deliberately simple in-memory model of the store's semantics, used by the property tests:
// the full history of every key in plain maps and arrays, no indexes, no compaction of data
// (compaction only changes which revisions may be read).
import { CompactedError, DuplicateKeyError, FutureRevisionError } from '../../core/mvcc/errors.js';
import type { Event, KeyValue } from '../../core/mvcc/types.js';

export interface ModelRange {
  kvs: KeyValue[];
  more: boolean;
  count: number;
}

/** A version of a key: a KeyValue, or null for a deletion. */
interface Version {
  readonly revision: number;
  readonly kv: KeyValue | null;
}

const hex = (key: Uint8Array): string => Buffer.from(key).toString('hex');

function inRange(key: Buffer, start: Buffer, end: Buffer | null | undefined): boolean {
  if (end === undefined) return key.equals(start);
  if (Buffer.compare(key, start) < 0) return false;
  return end === null || Buffer.compare(key, end) < 0;
}

export class StoreModel {
  /** As etcd: a new store is at revision 1, so the first write makes revision 2. */
  revision = 1;
  compactRevision = 0;
  private readonly versions = new Map<string, { key: Buffer; list: Version[] }>();
  readonly events: { revision: number; events: Event[] }[] = [];

  private latest(key: Buffer, atRevision: number): KeyValue | null {
    const entry = this.versions.get(hex(key));
    if (entry === undefined) return null;
    let found: KeyValue | null = null;
    for (const version of entry.list) if (version.revision <= atRevision) found = version.kv;
    return found;
  }

  /** Keys in key order. `end` undefined = single key, null = unbounded. */
  private keysIn(start: Buffer, end: Buffer | null | undefined): Buffer[] {
    return [...this.versions.values()]
      .map((entry) => entry.key)
      .filter((key) => inRange(key, start, end))
      .sort((a, b) => Buffer.compare(a, b));
  }

  range(start: Buffer, end: Buffer | null | undefined, revision: number, limit: number): ModelRange {
    if (revision > this.revision) throw new FutureRevisionError();
    if (revision > 0 && revision < this.compactRevision) throw new CompactedError(this.compactRevision);
    const at = revision === 0 ? this.revision : revision;
    const kvs = this.keysIn(start, end)
      .map((key) => this.latest(key, at))
      .filter((kv): kv is KeyValue => kv !== null);
    return { kvs: limit > 0 ? kvs.slice(0, limit) : kvs, more: limit > 0 && kvs.length > limit, count: kvs.length };
  }

  private write(revision: number, events: Event[], key: Buffer, kv: KeyValue | null): void {
    const id = hex(key);
    let entry = this.versions.get(id);
    if (entry === undefined) this.versions.set(id, (entry = { key, list: [] }));
    const prev = this.latest(key, this.revision);
    entry.list.push({ revision, kv });
    const prevKv = prev === null ? {} : { prevKv: prev };
    if (kv !== null) events.push({ type: 'PUT', kv, ...prevKv });
    else events.push({ type: 'DELETE', kv: { key, createRevision: 0, modRevision: revision, version: 0, value: Buffer.alloc(0), lease: 0n }, ...prevKv });
  }

  private putAt(revision: number, events: Event[], key: Buffer, value: Buffer): void {
    const prev = this.latest(key, this.revision);
    const kv: KeyValue = {
      key,
      value,
      lease: 0n,
      createRevision: prev === null ? revision : prev.createRevision,
      modRevision: revision,
      version: prev === null ? 1 : prev.version + 1,
    };
    this.write(revision, events, key, kv);
  }

  private deleteAt(revision: number, events: Event[], start: Buffer, end: Buffer | null | undefined): number {
    const keys = this.keysIn(start, end).filter((key) => this.latest(key, this.revision) !== null);
    for (const key of keys) this.write(revision, events, key, null);
    return keys.length;
  }

  private commit(events: Event[]): number {
    if (events.length > 0) {
      this.revision += 1;
      this.events.push({ revision: this.revision, events });
    }
    return this.revision;
  }

  put(key: Buffer, value: Buffer): number {
    const events: Event[] = [];
    this.putAt(this.revision + 1, events, key, value);
    return this.commit(events);
  }

  deleteRange(start: Buffer, end: Buffer | null | undefined): { revision: number; deleted: number } {
    const events: Event[] = [];
    const deleted = this.deleteAt(this.revision + 1, events, start, end);
    return { revision: this.commit(events), deleted };
  }

  /** if version(compareKey) == version: put both keys, else delete [deleteStart, deleteEnd). */
  txn(
    compareKey: Buffer,
    version: number,
    puts: [Buffer, Buffer],
    deleteStart: Buffer,
    deleteEnd: Buffer | null | undefined,
  ): { revision: number; succeeded: boolean } {
    if (puts[0].equals(puts[1])) throw new DuplicateKeyError();
    const current = this.latest(compareKey, this.revision);
    const succeeded = (current?.version ?? 0) === version;
    const events: Event[] = [];
    const revision = this.revision + 1;
    if (succeeded) for (const key of puts) this.putAt(revision, events, key, Buffer.from(`txn${revision}`));
    else this.deleteAt(revision, events, deleteStart, deleteEnd);
    return { revision: this.commit(events), succeeded };
  }

  compact(revision: number): void {
    if (revision <= this.compactRevision) throw new CompactedError(this.compactRevision);
    if (revision > this.revision) throw new FutureRevisionError();
    this.compactRevision = revision;
  }
}
