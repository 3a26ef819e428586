// `--namespace`: a prefix put in front of every key a client names and taken off every key the
// cluster returns, so clients of the proxy see the namespace as the whole key space. Ranges keep
// their meaning inside it: a from-key range (end "\0") ends at the end of the namespace, as in
// etcd's clientv3/namespace. The proxy's handlers call these on wire messages; empty namespaces
// are never passed here.
import { InvalidRequestError } from '../api/grpcStatus.js';
import type * as pb from '../api/proto/messages.js';

const emptyKeyMessage = 'etcdserver: key is not provided';

type Bytes = Uint8Array;
type WireKv = pb.KeyValue;
type WireOp = Record<string, unknown>;

export class Namespace {
  readonly prefix: Buffer;

  /** A string prefix is taken as UTF-8 (as the command line gives it). */
  constructor(prefix: string | Uint8Array) {
    this.prefix = typeof prefix === 'string' ? Buffer.from(prefix, 'utf8') : Buffer.from(prefix);
  }

  key(key: Bytes): Buffer {
    return Buffer.concat([this.prefix, key]);
  }

  /**
   * The key and range end inside the namespace: an end of "\0" (everything from the key on)
   * becomes the first key after the namespace; no end stays no end.
   */
  range(key: Bytes, end: Bytes | undefined | null): { key: Buffer; rangeEnd: Buffer | undefined } {
    const prefixed = this.key(key);
    if (!end || end.length === 0) return { key: prefixed, rangeEnd: undefined };
    if (end.length === 1 && end[0] === 0) return { key: prefixed, rangeEnd: this.end() };
    return { key: prefixed, rangeEnd: this.key(end) };
  }

  /** The first key after every key of the namespace ("\0" when the prefix is all 0xff). */
  private end(): Buffer {
    const end = Buffer.from(this.prefix);
    for (let i = end.length - 1; i >= 0; i--) {
      if (end[i]! < 0xff) {
        end[i]! += 1;
        return end.subarray(0, i + 1);
      }
    }
    return Buffer.from([0]);
  }

  /** The key without the prefix; keys outside the namespace are returned unchanged. */
  strip(key: Bytes): Buffer {
    const buffer = Buffer.from(key);
    return buffer.subarray(0, this.prefix.length).equals(this.prefix) ? buffer.subarray(this.prefix.length) : buffer;
  }

  /** True when `key` lies in the namespace. */
  contains(key: Bytes): boolean {
    return Buffer.from(key).subarray(0, this.prefix.length).equals(this.prefix);
  }

  stripKv<T extends WireKv | null | undefined>(kv: T): T {
    if (!kv) return kv;
    return { ...kv, key: this.strip(kv.key) };
  }

  /** A range-like request (Range, DeleteRange, Compare) with its key and end moved in; empty keys refused. */
  rangeRequest<T extends { key: Bytes; range_end?: Bytes | null | undefined }>(request: T): T {
    const end = request.range_end;
    if (request.key.length === 0 && (!end || end.length === 0)) throw new InvalidRequestError(emptyKeyMessage);
    const moved = this.range(request.key, end);
    return { ...request, key: moved.key, range_end: moved.rangeEnd ?? Buffer.alloc(0) };
  }

  putRequest<T extends { key: Bytes }>(request: T): T {
    if (request.key.length === 0) throw new InvalidRequestError(emptyKeyMessage);
    return { ...request, key: this.key(request.key) };
  }

  txnRequest(request: pb.TxnRequest): pb.TxnRequest {
    return {
      compare: (request.compare ?? []).map((compare) => this.compareRequest(compare)),
      success: (request.success ?? []).map((op) => this.requestOp(op as WireOp) as pb.RequestOp),
      failure: (request.failure ?? []).map((op) => this.requestOp(op as WireOp) as pb.RequestOp),
    };
  }

  private compareRequest(compare: pb.Compare): pb.Compare {
    if (compare.key.length === 0 && !(compare.range_end && compare.range_end.length > 0)) throw new InvalidRequestError(emptyKeyMessage);
    const moved = this.range(compare.key, compare.range_end);
    return { ...compare, key: moved.key, range_end: moved.rangeEnd ?? Buffer.alloc(0) };
  }

  private requestOp(op: WireOp): WireOp {
    const out: WireOp = {};
    if (op['request_range']) out['request_range'] = this.rangeRequest(op['request_range'] as pb.RangeRequest);
    else if (op['request_put']) out['request_put'] = this.putRequest(op['request_put'] as pb.PutRequest);
    else if (op['request_delete_range']) out['request_delete_range'] = this.rangeRequest(op['request_delete_range'] as pb.DeleteRangeRequest);
    else if (op['request_txn']) out['request_txn'] = this.txnRequest(op['request_txn']);
    return out;
  }

  rangeResponse(response: pb.RangeResponse): pb.RangeResponse {
    return { ...response, kvs: response.kvs.map((kv) => this.stripKv(kv)) };
  }

  putResponse(response: pb.PutResponse): pb.PutResponse {
    return { ...response, prev_kv: this.stripKv(response.prev_kv) };
  }

  deleteRangeResponse(response: pb.DeleteRangeResponse): pb.DeleteRangeResponse {
    return { ...response, prev_kvs: response.prev_kvs.map((kv) => this.stripKv(kv)) };
  }

  txnResponse(response: pb.TxnResponse): pb.TxnResponse {
    return {
      ...response,
      responses: response.responses.map((op) => {
        const out: pb.ResponseOp = { response: op.response };
        if (op.response_range) out.response_range = this.rangeResponse(op.response_range);
        if (op.response_put) out.response_put = this.putResponse(op.response_put);
        if (op.response_delete_range) out.response_delete_range = this.deleteRangeResponse(op.response_delete_range);
        if (op.response_txn) out.response_txn = this.txnResponse(op.response_txn);
        return out;
      }),
    };
  }

  event(event: pb.Event): pb.Event {
    return { ...event, kv: this.stripKv(event.kv), prev_kv: this.stripKv(event.prev_kv) };
  }

  /** Keys attached to a lease, as a client of the namespace sees them: only its own. */
  leaseKeys(keys: readonly Bytes[]): Buffer[] {
    return keys.filter((key) => this.contains(key)).map((key) => this.strip(key));
  }
}
