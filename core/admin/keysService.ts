// The Keys page's operations over the etcd client: paged listing by prefix (server-side, with a
// cursor), reads with metadata, history by walking revisions, writes, deletes, export and import.
import { Compare, Op } from '../client/txn.js';
import { EtcdError } from '../client/etcdError.js';
import { prefixEnd } from '../client/bytes.js';
import type { EtcdClient } from '../client/etcdClient.js';
import type { KeyValue } from '../client/keyValue.js';
import { assert } from '../raft/assert.js';
import type { FolderPage, ImportResult, KeyDetail, KeyExport, KeyHistory, KeyPage, KeySummary, KeyVersion } from './api.js';
import { AdminFailure } from './result.js';

/** Keys fetched per range request while exporting. */
export const exportPageSize = 500;
/** Most keys one export may hold; beyond it the user narrows the prefix. */
export const exportKeysMax = 10_000;
/** Keys written per transaction while importing. */
export const importBatchSize = 64;
/** etcd's default limits on one transaction (--max-txn-ops, --max-request-bytes), which an atomic import must fit. */
export const txnOpsMax = 128;
export const requestBytesMax = 1.5 * 1024 * 1024;
/** Bytes counted per operation beyond its key and value (protobuf framing), for the size estimate. */
const operationOverheadBytes = 16;

function summary(kv: KeyValue): KeySummary {
  return { key: kv.keyString, version: kv.version, createRevision: kv.createRevision, modRevision: kv.modRevision, lease: kv.lease };
}

/** The key right after `key` in byte order: where the next page starts. */
function successor(key: string): string {
  return `${key}\0`;
}

/** Keys one read passes over while skipping towards a listing's page (keys only). */
export const keySkipChunkKeys = 5_000;

interface ListRange {
  /** The prefix's first key and the end of its range (`\0` for the whole key space). */
  first: string;
  end: Buffer;
}

function listRange(prefix: string): ListRange {
  return { first: prefix === '' ? '\0' : prefix, end: prefix === '' ? Buffer.from([0]) : prefixEnd(prefix) };
}

function atRevision(revision: number | undefined): { revision?: number } {
  return revision === undefined ? {} : { revision };
}

/**
 * Passes over `skip` keys from `cursor` (inclusive), reading keys only, ascending, in chunks of
 * keySkipChunkKeys at one revision: the cheap read (a page in key order costs the page). Answers
 * the cursor the page starts from, and each chunk's end with the keys passed over up to it.
 */
async function skipKeys(client: EtcdClient, range: ListRange, cursor: string | null, skip: number): Promise<{ cursor: string | null; revision: number | undefined; skipped: number; marks: { skipped: number; cursor: string }[] }> {
  let skipped = 0;
  let at = cursor;
  let revision: number | undefined;
  const marks: { skipped: number; cursor: string }[] = [];
  while (skipped < skip) {
    const limit = Math.min(keySkipChunkKeys, skip - skipped);
    const result = await client.kv.get(at ?? range.first, { rangeEnd: range.end, limit, keysOnly: true, sortOrder: 'ascend', sortTarget: 'key', ...atRevision(revision) });
    revision ??= result.header.revision;
    const last = result.kvs[result.kvs.length - 1];
    if (!last) break;
    skipped += result.kvs.length;
    at = successor(last.keyString);
    marks.push({ skipped, cursor: at });
    if (!result.more) break;
  }
  return { cursor: at, revision, skipped, marks };
}

/**
 * One page of the keys under `prefix`, from `cursor` (inclusive) or the prefix's start, after
 * passing over `skip` keys. Reads ascending by key with a limit only (what etcd and Rafter serve
 * in O(page)), plus a count of the keys before the page at the same revision, so the answer says
 * exactly where the page sits. A skip costs one keys-only read per keySkipChunkKeys and answers
 * the cursors it passed (`waypoints`), which make later jumps nearby cheap.
 */
export async function listKeys(client: EtcdClient, prefix: string, cursor: string | null, limit: number, skip = 0): Promise<KeyPage> {
  if (cursor !== null && !cursor.startsWith(prefix)) {
    throw new AdminFailure('invalid_argument', 'The cursor does not belong to this prefix; list the prefix again.');
  }
  const range = listRange(prefix);
  const passed = skip > 0 ? await skipKeys(client, range, cursor, skip) : { cursor, revision: undefined, skipped: 0, marks: [] };
  const from = passed.cursor ?? range.first;
  const result = await client.kv.get(from, { rangeEnd: range.end, limit, keysOnly: true, sortOrder: 'ascend', sortTarget: 'key', ...atRevision(passed.revision) });
  const revision = result.header.revision;
  const before = from === range.first ? 0 : (await client.kv.get(range.first, { rangeEnd: Buffer.from(from), countOnly: true, revision })).count;
  const items = result.kvs.map(summary);
  const last = items[items.length - 1];
  return {
    items,
    nextCursor: result.more && last ? successor(last.key) : null,
    remaining: result.count,
    offset: before,
    total: before + result.count,
    revision,
    waypoints: passed.marks.map((mark) => ({ index: before - (passed.skipped - mark.skipped), cursor: mark.cursor })),
  };
}

/** The folder a key falls in directly under `prefix` (its name up to and including the next `/`), or null for a key at this level. */
function folderName(key: string, prefix: string): string | null {
  const rest = key.slice(prefix.length);
  const slash = rest.indexOf('/', rest.startsWith('/') ? 1 : 0);
  return slash === -1 ? null : rest.slice(0, slash + 1);
}

/**
 * The entries directly under `prefix` by skip-scan: each step reads the first key at or after the
 * cursor (keys only, limit 1, at one revision); a key inside a sub-folder records the folder and
 * jumps past all its keys (the folder prefix's end), a key at this level is recorded and stepped
 * over. Costs one read per entry, whatever the folders hold.
 */
export async function listFolder(client: EtcdClient, prefix: string, cursor: string | null, limit: number): Promise<FolderPage> {
  if (cursor !== null && !cursor.startsWith(prefix)) {
    throw new AdminFailure('invalid_argument', 'The cursor does not belong to this folder; list the folder again.');
  }
  const end = prefix === '' ? Buffer.from([0]) : prefixEnd(prefix);
  let start: Buffer = Buffer.from(cursor ?? (prefix === '' ? '\0' : prefix));
  let revision: number | undefined;
  const page: FolderPage = { folders: [], keys: [], nextCursor: null, revision: 0 };
  for (let entries = 0; entries < limit; entries++) {
    const result = await client.kv.get(start, { rangeEnd: end, limit: 1, keysOnly: true, sortOrder: 'ascend', sortTarget: 'key', ...(revision === undefined ? {} : { revision }) });
    revision ??= result.header.revision;
    const kv = result.kvs[0];
    if (!kv) return { ...page, revision };
    const name = folderName(kv.keyString, prefix);
    if (name === null) {
      page.keys.push(summary(kv));
      start = Buffer.concat([kv.key, Buffer.from([0])]);
    } else {
      page.folders.push({ name, prefix: prefix + name });
      start = prefixEnd(prefix + name);
    }
  }
  // The next entry, if any, starts the next page.
  const next = await client.kv.get(start, { rangeEnd: end, limit: 1, keysOnly: true, countOnly: false, ...(revision === undefined ? {} : { revision }) });
  return { ...page, revision: revision ?? 0, nextCursor: next.kvs.length > 0 ? start.toString('utf8') : null };
}

/** The key's value and metadata, now or at `revision`. */
export async function getKey(client: EtcdClient, key: string, revision: number | undefined): Promise<KeyDetail> {
  const result = await client.kv.get(key, revision === undefined ? {} : { revision });
  const kv = result.kvs[0];
  if (!kv) {
    const when = revision === undefined ? '' : ` at revision ${revision}`;
    throw new AdminFailure('not_found', `The key "${key}" does not exist${when}.`);
  }
  return { ...summary(kv), value: kv.value.toString('base64'), revision: result.header.revision };
}

function version(kv: KeyValue): KeyVersion {
  return { value: kv.value.toString('base64'), modRevision: kv.modRevision, version: kv.version, lease: kv.lease };
}

function isCompacted(error: unknown): boolean {
  return error instanceof EtcdError && error.message.includes('required revision has been compacted');
}

/**
 * The key's versions since its creation, newest first: each step reads the key just before the
 * revision of the version found last, until version 1, compaction, or `limit` versions.
 */
export async function keyHistory(client: EtcdClient, key: string, limit: number): Promise<KeyHistory> {
  const current = await client.kv.getOne(key);
  if (!current) throw new AdminFailure('not_found', `The key "${key}" does not exist, so it has no history to show.`);
  const versions: KeyVersion[] = [version(current)];
  let oldest = current;
  while (oldest.version > 1 && versions.length < limit) {
    let previous: KeyValue | null;
    try {
      previous = await client.kv.getOne(key, { revision: oldest.modRevision - 1 });
    } catch (error) {
      if (isCompacted(error)) return { key, versions, truncatedByCompaction: true, truncatedByLimit: false };
      throw error;
    }
    assert(previous !== null, 'a key with version > 1 existed before its last modification');
    assert(previous.version === oldest.version - 1, 'versions of one key incarnation decrease by one');
    versions.push(version(previous));
    oldest = previous;
  }
  return { key, versions, truncatedByCompaction: false, truncatedByLimit: oldest.version > 1 };
}

export async function putKey(client: EtcdClient, key: string, valueBase64: string, leaseId: string | undefined) {
  const value = Buffer.from(valueBase64, 'base64');
  const result = await client.kv.put(key, value, leaseId === undefined ? {} : { lease: leaseId });
  return { revision: result.header.revision };
}

export async function deleteKeys(client: EtcdClient, key: string, asPrefix: boolean) {
  if (asPrefix) assert(key !== '', 'deleting by an empty prefix is refused before this point');
  const result = await client.kv.delete(key, asPrefix ? { prefix: true } : {});
  return { deleted: result.deleted, revision: result.header.revision };
}

/** Every key under `prefix` with its value, at one revision; refuses more than exportKeysMax keys. */
export async function exportKeys(client: EtcdClient, prefix: string): Promise<KeyExport> {
  const keys: { key: string; value: string }[] = [];
  const range = prefix === '' ? { fromKey: true } : { rangeEnd: prefixEnd(prefix) };
  let start = prefix === '' ? '\0' : prefix;
  let revision: number | undefined;
  for (;;) {
    const result = await client.kv.get(start, {
      ...range,
      limit: exportPageSize,
      ...(revision === undefined ? {} : { revision }),
    });
    if (revision === undefined && result.count > exportKeysMax) {
      throw new AdminFailure('resource_exhausted', `"${prefix}" holds ${result.count} keys; export at most ${exportKeysMax} at a time by narrowing the prefix.`);
    }
    revision ??= result.header.revision;
    for (const kv of result.kvs) keys.push({ key: kv.keyString, value: kv.value.toString('base64') });
    const last = result.kvs[result.kvs.length - 1];
    if (!result.more || !last) break;
    start = successor(last.keyString);
  }
  return { format: 'rafter-keys/1', prefix, revision: revision ?? 0, keys };
}

function refuseRepeatedKeys(document: KeyExport): void {
  const keys = new Set(document.keys.map((entry) => entry.key));
  if (keys.size !== document.keys.length) {
    throw new AdminFailure('invalid_argument', 'The document lists a key more than once; each key may appear once.');
  }
}

/**
 * Writes an export document's keys in batches, one revision per batch: not atomic, a failure
 * midway leaves the batches before it written. Without `overwrite`, existing keys are kept and
 * counted as skipped (one transaction per key, each comparing its create revision).
 */
export async function importKeys(client: EtcdClient, document: KeyExport, overwrite: boolean): Promise<ImportResult> {
  refuseRepeatedKeys(document);
  let written = 0;
  let skipped = 0;
  let transactions = 0;
  for (let start = 0; start < document.keys.length; start += overwrite ? importBatchSize : 1) {
    if (overwrite) {
      const batch = document.keys.slice(start, start + importBatchSize);
      await client.kv.txn().then(...batch.map((entry) => Op.put(entry.key, Buffer.from(entry.value, 'base64')))).commit();
      written += batch.length;
      transactions++;
      continue;
    }
    const entry = document.keys[start]!;
    const result = await client.kv
      .txn()
      .if(Compare.createRevision(entry.key, '=', 0))
      .then(Op.put(entry.key, Buffer.from(entry.value, 'base64')))
      .commit();
    transactions++;
    if (result.succeeded) written++;
    else skipped++;
  }
  return { written, skipped, revision: null, transactions };
}

/**
 * Writes every key of the document in one transaction, at one revision, or nothing. Refuses a
 * document beyond etcd's default transaction limits. Without `overwrite`, keys that exist are
 * skipped: the transaction writes the others only if none of them appeared meanwhile.
 */
export async function importKeysAtomically(client: EtcdClient, document: KeyExport, overwrite: boolean): Promise<ImportResult> {
  refuseRepeatedKeys(document);
  const bytes = document.keys.reduce((sum, entry) => sum + Buffer.byteLength(entry.key) * (overwrite ? 1 : 2) + Math.ceil((entry.value.length * 3) / 4) + operationOverheadBytes, 0);
  if (document.keys.length > txnOpsMax || bytes > requestBytesMax) {
    throw new AdminFailure(
      'failed_precondition',
      `An atomic import writes every key in one transaction, which etcd limits to ${txnOpsMax} keys and 1.5 MiB; this document has ${document.keys.length} keys (about ${(bytes / 1024 / 1024).toFixed(1)} MiB). Import it in batches instead, or split it.`,
    );
  }
  const existing = new Set<string>();
  if (!overwrite) {
    for (const entry of document.keys) if ((await client.kv.get(entry.key, { countOnly: true })).count > 0) existing.add(entry.key);
  }
  const writes = document.keys.filter((entry) => !existing.has(entry.key));
  if (writes.length === 0) return { written: 0, skipped: existing.size, revision: null, transactions: 0 };
  const txn = client.kv.txn();
  const guarded = overwrite ? txn : txn.if(...writes.map((entry) => Compare.createRevision(entry.key, '=', 0)));
  const result = await guarded.then(...writes.map((entry) => Op.put(entry.key, Buffer.from(entry.value, 'base64')))).commit();
  if (!result.succeeded) {
    throw new AdminFailure('failed_precondition', 'Some keys of the document were created by someone else during the import; nothing was written. Import again.');
  }
  return { written: writes.length, skipped: existing.size, revision: result.header.revision, transactions: 1 };
}
