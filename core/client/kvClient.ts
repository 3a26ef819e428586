// The KV service: get (range with every option), put, delete, transactions and compaction.
import type {
  CompactionResponse,
  DeleteRangeResponse,
  PutResponse,
  RangeResponse,
  TxnRequest,
  TxnResponse,
} from '../api/proto/messages.js';
import type { Bytes } from './bytes.js';
import type { CallOptions, Connection } from './connection.js';
import { toHeader } from './header.js';
import type { ResponseHeader } from './header.js';
import {
  deleteRequest,
  putRequest,
  rangeRequest,
  toDeleteResult,
  toGetResult,
  toPutResult,
} from './kvRequests.js';
import type { DeleteOptions, DeleteResult, GetOptions, GetResult, PutOptions, PutResult } from './kvRequests.js';
import { TxnBuilder, toTxnResult } from './txn.js';
import type { TxnResult } from './txn.js';
import type { KeyValue } from './keyValue.js';

/** Key-value calls. Errors are EtcdError with etcd's code and message. */
export class KvClient {
  constructor(private readonly connection: Connection) {}

  /** Reads one key or a range; see GetOptions for the range, revision, sort and filters. */
  async get(key: Bytes, options: GetOptions & CallOptions = {}): Promise<GetResult> {
    const wire = await this.connection.unary<RangeResponse>('etcdserverpb.KV', 'Range', rangeRequest(key, options), {
      ...options,
      idempotent: true,
    });
    return toGetResult(wire);
  }

  /** The pair stored at `key`, or null when there is none. */
  async getOne(key: Bytes, options: Omit<GetOptions, 'prefix' | 'rangeEnd' | 'fromKey'> & CallOptions = {}): Promise<KeyValue | null> {
    const result = await this.get(key, options);
    return result.kvs[0] ?? null;
  }

  /** Stores `value` at `key`; the store's revision increases by one. */
  async put(key: Bytes, value: Bytes, options: PutOptions & CallOptions = {}): Promise<PutResult> {
    const wire = await this.connection.unary<PutResponse>('etcdserverpb.KV', 'Put', putRequest(key, value, options), {
      ...options,
      idempotent: false,
    });
    return toPutResult(wire);
  }

  /** Deletes one key or a range (prefix, rangeEnd, fromKey); `deleted` counts the keys removed. */
  async delete(key: Bytes, options: DeleteOptions & CallOptions = {}): Promise<DeleteResult> {
    const wire = await this.connection.unary<DeleteRangeResponse>(
      'etcdserverpb.KV',
      'DeleteRange',
      deleteRequest(key, options),
      { ...options, idempotent: false },
    );
    return toDeleteResult(wire);
  }

  /** Starts a transaction builder; `commit()` sends it. */
  txn(options: CallOptions = {}): TxnBuilder {
    return new TxnBuilder((request) => this.txnRequest(request, options));
  }

  /** Sends a transaction given as a wire request (see Compare and Op for building one). */
  async txnRequest(request: TxnRequest, options: CallOptions = {}): Promise<TxnResult> {
    const wire = await this.connection.unary<TxnResponse>('etcdserverpb.KV', 'Txn', request, {
      ...options,
      idempotent: false,
    });
    return toTxnResult(wire);
  }

  /**
   * Drops history before `revision`. With `physical`, returns only after the backend has removed
   * it. Fails with "etcdserver: mvcc: required revision has been compacted" when already compacted
   * and "etcdserver: mvcc: required revision is a future revision" beyond the current revision.
   */
  async compact(revision: number, options: { physical?: boolean } & CallOptions = {}): Promise<ResponseHeader> {
    const wire = await this.connection.unary<CompactionResponse>(
      'etcdserverpb.KV',
      'Compact',
      { revision, physical: options.physical ?? false },
      { ...options, idempotent: true },
    );
    return toHeader(wire.header);
  }
}
