// The Maintenance service: member status, alarms, defragmentation, hashes, leader transfer and
// snapshots streamed to a file (with progress and an integrity check of etcd's SHA-256 trailer).
// Calls about one member accept `endpoint` to choose it.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type {
  AlarmAction,
  AlarmResponse,
  AlarmType,
  HashKVResponse,
  HashResponse,
  HeaderResponse,
  SnapshotResponse,
  StatusResponse,
} from '../api/proto/adminMessages.js';
import { toIdString, toSafeNumber } from './bytes.js';
import type { CallOptions, Connection } from './connection.js';
import { SnapshotIntegrityError, toEtcdError } from './etcdError.js';
import { toHeader } from './header.js';
import type { ResponseHeader } from './header.js';
import type { MemberId } from './clusterClient.js';

/** Length of the SHA-256 digest etcd appends to a snapshot stream. */
export const snapshotDigestBytes = 32;

export interface MemberStatus {
  readonly header: ResponseHeader;
  /** etcd version of the member, e.g. "3.4.23". */
  readonly version: string;
  /** Backend database size in bytes (allocated, and logically in use). */
  readonly dbSize: number;
  readonly dbSizeInUse: number;
  /** Member id of the leader as this member sees it; '0' when it knows none. */
  readonly leader: string;
  readonly raftIndex: number;
  readonly raftTerm: number;
  readonly raftAppliedIndex: number;
  /** Alarm and health errors. */
  readonly errors: string[];
  readonly isLearner: boolean;
  /** Configured backend quota in bytes; 0 from servers that do not report it (before etcd 3.6). */
  readonly dbSizeQuota: number;
}

export interface Alarm {
  /** Member id (decimal string). */
  readonly memberId: string;
  readonly alarm: AlarmType;
}

export interface HashKvResult {
  readonly header: ResponseHeader;
  readonly hash: number;
  readonly compactRevision: number;
  /** Revision the hash covers (etcd 3.5.6+; 0 from older servers). */
  readonly hashRevision: number;
}

export interface SnapshotOptions extends CallOptions {
  /** Called after each chunk with the bytes written so far and the expected total. */
  readonly onProgress?: (bytesWritten: number, bytesTotal: number) => void;
}

export interface SnapshotResult {
  /** Bytes written to the file, including etcd's 32-byte SHA-256 trailer. */
  readonly bytes: number;
  /** The trailing SHA-256, hex; it matched the data. */
  readonly sha256: string;
}

/** Maintenance calls. Errors are EtcdError with etcd's code and message. */
export class MaintenanceClient {
  constructor(private readonly connection: Connection) {}

  /** Status of the member at `endpoint` (or the current one). */
  async status(options: CallOptions = {}): Promise<MemberStatus> {
    const wire = await this.connection.unary<StatusResponse>('etcdserverpb.Maintenance', 'Status', {}, {
      ...options,
      idempotent: true,
    });
    return {
      header: toHeader(wire.header),
      version: wire.version,
      dbSize: toSafeNumber(wire.dbSize),
      dbSizeInUse: toSafeNumber(wire.dbSizeInUse),
      leader: wire.leader,
      raftIndex: toSafeNumber(wire.raftIndex),
      raftTerm: toSafeNumber(wire.raftTerm),
      raftAppliedIndex: toSafeNumber(wire.raftAppliedIndex),
      errors: wire.errors,
      isLearner: wire.isLearner,
      dbSizeQuota: toSafeNumber(wire.dbSizeQuota ?? '0'),
    };
  }

  /** Gets, activates or deactivates alarms; memberId '0' (default) means every member. */
  async alarm(
    action: AlarmAction,
    options: { memberId?: MemberId; alarm?: AlarmType } & CallOptions = {},
  ): Promise<Alarm[]> {
    const request = {
      action,
      memberID: options.memberId === undefined ? '0' : toIdString(options.memberId),
      alarm: options.alarm ?? 'NONE',
    };
    const wire = await this.connection.unary<AlarmResponse>('etcdserverpb.Maintenance', 'Alarm', request, {
      ...options,
      idempotent: action === 'GET',
    });
    return wire.alarms.map((alarm) => ({ memberId: alarm.memberID, alarm: alarm.alarm }));
  }

  /** Active alarms of every member. */
  alarmList(options: CallOptions = {}): Promise<Alarm[]> {
    return this.alarm('GET', options);
  }

  /** Deactivates an alarm (after freeing space, for NOSPACE). */
  alarmDisarm(alarm: Alarm, options: CallOptions = {}): Promise<Alarm[]> {
    return this.alarm('DEACTIVATE', { ...options, memberId: alarm.memberId, alarm: alarm.alarm });
  }

  /** Defragments the backend of the member at `endpoint` (or the current one). */
  async defragment(options: CallOptions = {}): Promise<ResponseHeader> {
    const wire = await this.connection.unary<HeaderResponse>('etcdserverpb.Maintenance', 'Defragment', {}, {
      timeoutMs: 120_000,
      ...options,
      idempotent: true,
    });
    return toHeader(wire.header);
  }

  /** Hash of the member's whole backend (testing aid; use hashKV to compare members). */
  async hash(options: CallOptions = {}): Promise<{ header: ResponseHeader; hash: number }> {
    const wire = await this.connection.unary<HashResponse>('etcdserverpb.Maintenance', 'Hash', {}, {
      ...options,
      idempotent: true,
    });
    return { header: toHeader(wire.header), hash: wire.hash };
  }

  /** Hash of the MVCC keys up to `revision` (0: newest); equal on members in sync. */
  async hashKV(revision = 0, options: CallOptions = {}): Promise<HashKvResult> {
    const wire = await this.connection.unary<HashKVResponse>('etcdserverpb.Maintenance', 'HashKV', { revision }, {
      ...options,
      idempotent: true,
    });
    return {
      header: toHeader(wire.header),
      hash: wire.hash,
      compactRevision: toSafeNumber(wire.compact_revision),
      hashRevision: toSafeNumber(wire.hash_revision),
    };
  }

  /**
   * Transfers leadership to member `targetId`. Must reach the leader: pass its endpoint; other
   * members answer "etcdserver: not leader".
   */
  async moveLeader(targetId: MemberId, options: CallOptions = {}): Promise<ResponseHeader> {
    const wire = await this.connection.unary<HeaderResponse>(
      'etcdserverpb.Maintenance',
      'MoveLeader',
      { targetID: toIdString(targetId) },
      { ...options, idempotent: false },
    );
    return toHeader(wire.header);
  }

  /**
   * Streams a snapshot of the member's backend into `filePath` (written to `filePath.part`, then
   * renamed). Verifies etcd's trailing SHA-256; throws SnapshotIntegrityError on a mismatch.
   */
  async snapshot(filePath: string, options: SnapshotOptions = {}): Promise<SnapshotResult> {
    const partPath = `${filePath}.part`;
    const { call, endpoint } = await this.connection.serverStream('etcdserverpb.Maintenance', 'Snapshot', {}, options);
    const file = await fs.promises.open(partPath, 'w');
    const digest = createHash('sha256');
    let tail = Buffer.alloc(0);
    let written = 0;
    try {
      for await (const message of call as AsyncIterable<SnapshotResponse>) {
        const blob = message.blob;
        await file.write(blob);
        written += blob.length;
        const window = Buffer.concat([tail, blob]);
        const hashable = Math.max(window.length - snapshotDigestBytes, 0);
        digest.update(window.subarray(0, hashable));
        tail = window.subarray(hashable);
        options.onProgress?.(written, written + toSafeNumber(message.remaining_bytes));
      }
      await file.sync();
    } catch (error) {
      await file.close();
      await fs.promises.rm(partPath, { force: true });
      throw toEtcdError(error, 'etcdserverpb.Maintenance/Snapshot', endpoint);
    }
    await file.close();
    const expected = digest.digest();
    if (tail.length !== snapshotDigestBytes || !expected.equals(tail)) {
      await fs.promises.rm(partPath, { force: true });
      throw new SnapshotIntegrityError(`snapshot from ${endpoint} failed its SHA-256 check (${written} bytes)`);
    }
    await fs.promises.rename(partPath, filePath);
    return { bytes: written, sha256: tail.toString('hex') };
  }
}
