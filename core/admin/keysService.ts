// The Keys page's operations over the etcd client: paged listing by prefix (server-side, with a
// cursor), reads with metadata, history by walking revisions, writes, deletes, export and import.
import { Compare, Op } from '../client/txn.js';
import { EtcdError } from '../client/etcdError.js';
import { prefixEnd } from '../client/bytes.js';
import type { EtcdClient } from '../client/etcdClient.js';
import type { KeyValue } from '../client/keyValue.js';
import { assert } from '../raft/assert.js';
import type { KeyDetail, KeyExport, KeyHistory, KeyPage, KeySummary, KeyVersion } from './api.js';
import { AdminFailure } from './result.js';

/** Keys fetched per range request while exporting. */
export const exportPageSize = 500;
/** Most keys one export may hold; beyond it the user narrows the prefix. */
export const exportKeysMax = 10_000;
/** Keys written per transaction while importing. */
export const importBatchSize = 64;

function summary(kv: KeyValue): KeySummary {
  return { key: kv.keyString, version: kv.version, createRevision: kv.createRevision, modRevision: kv.modRevision, lease: kv.lease };
}

/** The key right after `key` in byte order: where the next page starts. */
function successor(key: string): string {
  return `${key}\0`;
}

/** One page of the keys under `prefix`, starting at `cursor` (inclusive) or the prefix itself. */
export async function listKeys(client: EtcdClient, prefix: string, cursor: string | null, limit: number): Promise<KeyPage> {
  if (cursor !== null && !cursor.startsWith(prefix)) {
    throw new AdminFailure('invalid_argument', 'The cursor does not belong to this prefix; list the prefix again.');
  }
  const start = cursor ?? (prefix === '' ? '\0' : prefix);
  const range = prefix === '' ? { fromKey: true } : { rangeEnd: prefixEnd(prefix) };
  const result = await client.kv.get(start, { ...range, limit, keysOnly: true, sortOrder: 'ascend', sortTarget: 'key' });
  const items = result.kvs.map(summary);
  const last = items[items.length - 1];
  return {
    items,
    nextCursor: result.more && last ? successor(last.key) : null,
    remaining: result.count,
    revision: result.header.revision,
  };
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

/** Writes an export document's keys; without `overwrite`, existing keys are kept and counted as skipped. */
export async function importKeys(client: EtcdClient, document: KeyExport, overwrite: boolean) {
  const keys = new Set(document.keys.map((entry) => entry.key));
  if (keys.size !== document.keys.length) {
    throw new AdminFailure('invalid_argument', 'The document lists a key more than once; each key may appear once.');
  }
  let written = 0;
  let skipped = 0;
  for (let start = 0; start < document.keys.length; start += overwrite ? importBatchSize : 1) {
    if (overwrite) {
      const batch = document.keys.slice(start, start + importBatchSize);
      await client.kv.txn().then(...batch.map((entry) => Op.put(entry.key, Buffer.from(entry.value, 'base64')))).commit();
      written += batch.length;
      continue;
    }
    const entry = document.keys[start]!;
    const result = await client.kv
      .txn()
      .if(Compare.createRevision(entry.key, '=', 0))
      .then(Op.put(entry.key, Buffer.from(entry.value, 'base64')))
      .commit();
    if (result.succeeded) written++;
    else skipped++;
  }
  return { written, skipped };
}
