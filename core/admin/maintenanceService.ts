// Snapshots and maintenance over the etcd client: saving a snapshot with progress events,
// checking a snapshot file's SHA-256 trailer, compaction, defragmentation of every member, alarms.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { EtcdClient } from '../client/etcdClient.js';
import type { AlarmInfo, DefragmentResult, SnapshotFileStatus, SnapshotSaved } from './api.js';
import type { EventHub } from './eventHub.js';
import { AdminFailure } from './result.js';
import { translateClientError } from './clientErrors.js';

/** Length of the SHA-256 trailer etcd appends to a snapshot stream. */
export const snapshotDigestBytes = 32;
/** Smallest byte step between two progress events of one snapshot transfer. */
export const progressStepBytes = 256 * 1024;

/** A path the service may write a new file to: absolute, in an existing directory, not yet a file. */
async function checkNewFilePath(filePath: string): Promise<void> {
  if (!path.isAbsolute(filePath)) throw new AdminFailure('invalid_argument', 'Give the snapshot file as an absolute path.');
  const directory = await stat(path.dirname(filePath)).catch(() => null);
  if (!directory?.isDirectory()) throw new AdminFailure('not_found', `The folder ${path.dirname(filePath)} does not exist.`);
  const existing = await stat(filePath).catch(() => null);
  if (existing) throw new AdminFailure('already_exists', `${filePath} already exists; choose a new file name.`);
}

export async function saveSnapshot(
  client: EtcdClient,
  hub: EventHub,
  filePath: string,
  operationId: string,
): Promise<SnapshotSaved> {
  await checkNewFilePath(filePath);
  let reported = 0;
  const result = await client.maintenance.snapshot(filePath, {
    timeoutMs: 30 * 60_000,
    onProgress: (doneBytes, totalBytes) => {
      if (doneBytes - reported < progressStepBytes && doneBytes < totalBytes) return;
      reported = doneBytes;
      hub.publish({ kind: 'progress', operationId, doneBytes, totalBytes, finished: false });
    },
  });
  hub.publish({ kind: 'progress', operationId, doneBytes: result.bytes, totalBytes: result.bytes, finished: true });
  return { path: filePath, bytes: result.bytes, sha256: result.sha256 };
}

/** Whether the file ends with the SHA-256 of everything before it, as etcd's snapshot stream does. */
export async function snapshotStatus(filePath: string): Promise<SnapshotFileStatus> {
  if (!path.isAbsolute(filePath)) throw new AdminFailure('invalid_argument', 'Give the snapshot file as an absolute path.');
  const info = await stat(filePath).catch(() => null);
  if (!info?.isFile()) throw new AdminFailure('not_found', `${filePath} is not a file.`);
  if (info.size < snapshotDigestBytes) return { path: filePath, bytes: info.size, checksumValid: false, contents: null, contentsError: null };
  const digest = createHash('sha256');
  const bodyBytes = info.size - snapshotDigestBytes;
  if (bodyBytes > 0) {
    for await (const chunk of createReadStream(filePath, { start: 0, end: bodyBytes - 1 })) digest.update(chunk as Buffer);
  }
  const trailer: Buffer[] = [];
  for await (const chunk of createReadStream(filePath, { start: bodyBytes })) trailer.push(chunk as Buffer);
  const checksumValid = digest.digest().equals(Buffer.concat(trailer));
  return { path: filePath, bytes: info.size, checksumValid, contents: null, contentsError: null };
}

/** Defragments each member in turn (one at a time: defragmentation blocks the member). */
export async function defragmentAll(client: EtcdClient): Promise<DefragmentResult[]> {
  const { members } = await client.cluster.memberList();
  const results: DefragmentResult[] = [];
  for (const member of members) {
    const endpoint = member.clientUrls[0];
    if (endpoint === undefined) {
      results.push({ endpoint: member.name || member.id, ok: false, error: 'The member has not started yet.' });
      continue;
    }
    try {
      await client.maintenance.defragment({ endpoint });
      results.push({ endpoint, ok: true, error: null });
    } catch (error) {
      results.push({ endpoint, ok: false, error: translateClientError(error)?.message ?? String(error) });
    }
  }
  return results;
}

export async function listAlarms(client: EtcdClient): Promise<AlarmInfo[]> {
  const alarms = await client.maintenance.alarmList();
  return alarms.flatMap((alarm) => (alarm.alarm === 'NOSPACE' || alarm.alarm === 'CORRUPT' ? [{ memberId: alarm.memberId, alarm: alarm.alarm }] : []));
}
