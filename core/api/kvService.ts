// etcd's KV service: Range, Put, DeleteRange, Txn, Compact. Checks what etcd checks at its API
// edge (empty keys, value/lease flags, operation counts), then calls the member.
import type { CallContext } from './handlers.js';
import type { EtcdBackend, HeaderInfo } from './backend.js';
import {
  deleteRangeRequestFromWire, deleteRangeResponseToWire, header, putRequestFromWire, putResponseToWire, rangeRequestFromWire,
  rangeResponseToWire, toNumber, txnRequestFromWire, txnResponseToWire,
} from './convert.js';
import { InvalidRequestError } from './grpcStatus.js';
import type * as pb from './proto/messages.js';
import type { PutResponse, RangeResponse, RangeSummary, RequestOp, TxnRequest } from '../mvcc/types.js';
import { rangeGoesToSink } from '../mvcc/serveRange.js';
import { frameRangeAnswer, RangeFrameWriter } from './kvResponseCodec.js';
import { methodDefinition } from './proto/load.js';
import { txnDepthMax } from '../server/internalRequest.js';

const emptyKey = 'etcdserver: key is not provided';

function checkKey(key: Uint8Array): void {
  if (key.length === 0) throw new InvalidRequestError(emptyKey);
}

function checkOp(op: RequestOp, maxTxnOps: number, depth: number): void {
  if ('requestRange' in op) checkKey(op.requestRange.key);
  else if ('requestPut' in op) checkPut(op.requestPut);
  else if ('requestDeleteRange' in op) checkKey(op.requestDeleteRange.key);
  else checkTxn(op.requestTxn, maxTxnOps, depth + 1);
}

function checkPut(put: { key: Uint8Array; value?: Uint8Array; lease?: bigint; ignoreValue?: boolean; ignoreLease?: boolean }): void {
  checkKey(put.key);
  if (put.ignoreValue && (put.value?.length ?? 0) > 0) throw new InvalidRequestError('etcdserver: value is provided');
  if (put.ignoreLease && (put.lease ?? 0n) !== 0n) throw new InvalidRequestError('etcdserver: lease is provided');
}

export function checkTxn(txn: TxnRequest, maxTxnOps: number, depth = 0): void {
  if (depth > txnDepthMax) throw new InvalidRequestError(`etcdserver: transactions nested deeper than ${txnDepthMax}`);
  const compares = txn.compare ?? [];
  const success = txn.success ?? [];
  const failure = txn.failure ?? [];
  if (compares.length > maxTxnOps || success.length > maxTxnOps || failure.length > maxTxnOps) {
    throw new InvalidRequestError('etcdserver: too many operations in txn request');
  }
  for (const c of compares) checkKey(c.key);
  for (const op of success) checkOp(op, maxTxnOps, depth);
  for (const op of failure) checkOp(op, maxTxnOps, depth);
}

/** A KV answer as the store gave it, with the header it goes out under (see kvStoreHandlers). */
export interface StoreAnswer<T> {
  readonly info: HeaderInfo;
  readonly response: T;
}

/**
 * Range and Put answering with the store's own values rather than wire objects: the fast gRPC
 * path encodes these directly (kvResponseCodec's frameRangeAnswer, framePutAnswer); every other
 * path takes kvHandlers' wire objects, made from the same answers.
 */
export function kvStoreHandlers(backend: EtcdBackend) {
  return {
    Range: async (q: pb.RangeRequest, { credentials }: CallContext): Promise<StoreAnswer<RangeResponse>> => {
      const request = rangeRequestFromWire(q);
      checkKey(request.key);
      const response = await backend.range(request, credentials);
      return { info: backend.header(), response };
    },
    Put: async (q: pb.PutRequest, { credentials }: CallContext): Promise<StoreAnswer<PutResponse>> => {
      const request = putRequestFromWire(q);
      checkPut(request);
      const response = await backend.put(request, credentials);
      return { info: backend.header(), response };
    },
  };
}

/**
 * A Range answer for the fast gRPC path: its kvs already encoded as the store read them (`writer`,
 * with the rest of the answer in `summary`), or, for a range the store cannot stream (a sort, a
 * filter, a past revision, a single key, long keys), the store's whole answer.
 */
export type RangeAnswer = StoreAnswer<RangeResponse> | StreamedRangeAnswer;

export interface StreamedRangeAnswer {
  readonly info: HeaderInfo;
  readonly summary: RangeSummary;
  readonly writer: RangeFrameWriter;
}

/** Range as the fast gRPC path serves it: kvs streamed into their frame where the store can. */
export function streamedRangeHandler(backend: EtcdBackend) {
  return async (q: pb.RangeRequest, { credentials }: CallContext): Promise<RangeAnswer> => {
    const request = rangeRequestFromWire(q);
    checkKey(request.key);
    if (backend.rangeInto === undefined || !rangeGoesToSink(request)) return { info: backend.header(), response: await backend.range(request, credentials) };
    const writer = new RangeFrameWriter(request.keysOnly === true);
    const answer = await backend.rangeInto(request, credentials, writer);
    return 'kvs' in answer ? { info: backend.header(), response: answer } : { info: backend.header(), summary: answer, writer };
  };
}

/** A RangeAnswer as one gRPC message frame (null: a value out of the hand encoder's reach). */
export function frameRangeAnswerOf(answer: RangeAnswer): Buffer | null {
  return 'writer' in answer ? answer.writer.frame(answer.info, answer.summary) : frameRangeAnswer(answer.info, answer.response);
}

/** A RangeAnswer as its wire object, for the reflective encoder. */
export function rangeAnswerToWire(answer: RangeAnswer): pb.RangeResponse {
  if (!('writer' in answer)) return rangeResponseToWire(answer.info, answer.response);
  const decoded = methodDefinition('etcdserverpb.KV', 'Range').responseDeserialize(answer.writer.body(answer.summary)) as pb.RangeResponse;
  return { ...decoded, header: header(answer.info, answer.summary.revision) };
}

export function kvHandlers(backend: EtcdBackend) {
  const store = kvStoreHandlers(backend);
  return {
    async Range(q: pb.RangeRequest, call: CallContext): Promise<pb.RangeResponse> {
      const { info, response } = await store.Range(q, call);
      return rangeResponseToWire(info, response);
    },
    async Put(q: pb.PutRequest, call: CallContext): Promise<pb.PutResponse> {
      const { info, response } = await store.Put(q, call);
      return putResponseToWire(info, response);
    },
    async DeleteRange(q: pb.DeleteRangeRequest, { credentials }: CallContext): Promise<pb.DeleteRangeResponse> {
      const request = deleteRangeRequestFromWire(q);
      checkKey(request.key);
      return deleteRangeResponseToWire(backend.header(), await backend.deleteRange(request, credentials));
    },
    async Txn(q: pb.TxnRequest, { credentials }: CallContext): Promise<pb.TxnResponse> {
      const request = txnRequestFromWire(q);
      checkTxn(request, backend.maxTxnOps);
      return txnResponseToWire(backend.header(), await backend.txn(request, credentials));
    },
    async Compact(q: pb.CompactionRequest, { credentials }: CallContext): Promise<pb.CompactionResponse> {
      const response = await backend.compact({ revision: toNumber(q.revision), physical: q.physical ?? false }, credentials);
      return { header: header(backend.header(), response.revision) };
    },
  };
}
