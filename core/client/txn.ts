// Transactions: typed guards (`Compare`), operations (`Op`) and a small builder that commits one
// TxnRequest. Wire conversion of the single operations is in kvRequests.ts.
import type {
  Compare as WireCompare,
  CompareResult,
  RequestOp,
  ResponseOp,
  TxnRequest,
  TxnResponse,
} from '../api/proto/messages.js';
import { assert } from '../raft/assert.js';
import { toBuffer, toIdString } from './bytes.js';
import type { Bytes } from './bytes.js';
import { toHeader } from './header.js';
import type { ResponseHeader } from './header.js';
import {
  deleteRequest,
  putRequest,
  rangeRequest,
  selectorRangeEnd,
  toDeleteResult,
  toGetResult,
  toPutResult,
} from './kvRequests.js';
import type {
  DeleteOptions,
  DeleteResult,
  GetOptions,
  GetResult,
  PutOptions,
  PutResult,
  RangeSelector,
} from './kvRequests.js';

/** A comparison operator of a transaction guard. */
export type CompareOperator = '=' | '!=' | '>' | '<';

const operators: Record<CompareOperator, CompareResult> = {
  '=': 'EQUAL',
  '!=': 'NOT_EQUAL',
  '>': 'GREATER',
  '<': 'LESS',
};

function guard(key: Bytes, selector: RangeSelector, operator: CompareOperator): WireCompare {
  const compare: WireCompare = { key: toBuffer(key), result: operators[operator], target: 'VERSION' };
  const rangeEnd = selectorRangeEnd(key, selector);
  if (rangeEnd !== undefined) compare.range_end = rangeEnd;
  return compare;
}

/**
 * Guards of a transaction. With a range selector the guard must hold for every key in the range.
 * A missing key has version, createRevision and modRevision 0.
 */
export const Compare = {
  version(key: Bytes, operator: CompareOperator, version: number, range: RangeSelector = {}): WireCompare {
    return { ...guard(key, range, operator), target: 'VERSION', version };
  },
  createRevision(key: Bytes, operator: CompareOperator, revision: number, range: RangeSelector = {}): WireCompare {
    return { ...guard(key, range, operator), target: 'CREATE', create_revision: revision };
  },
  modRevision(key: Bytes, operator: CompareOperator, revision: number, range: RangeSelector = {}): WireCompare {
    return { ...guard(key, range, operator), target: 'MOD', mod_revision: revision };
  },
  value(key: Bytes, operator: CompareOperator, value: Bytes, range: RangeSelector = {}): WireCompare {
    return { ...guard(key, range, operator), target: 'VALUE', value: toBuffer(value) };
  },
  lease(key: Bytes, operator: CompareOperator, lease: string | bigint | number, range: RangeSelector = {}): WireCompare {
    return { ...guard(key, range, operator), target: 'LEASE', lease: toIdString(lease) };
  },
};

/** Operations of a transaction branch. */
export const Op = {
  get(key: Bytes, options: GetOptions = {}): RequestOp {
    return { request_range: rangeRequest(key, options) };
  },
  put(key: Bytes, value: Bytes, options: PutOptions = {}): RequestOp {
    return { request_put: putRequest(key, value, options) };
  },
  delete(key: Bytes, options: DeleteOptions = {}): RequestOp {
    return { request_delete_range: deleteRequest(key, options) };
  },
  /** A nested transaction (etcd 3.3+); it may not write a key the outer one writes. */
  txn(request: TxnRequest): RequestOp {
    return { request_txn: request };
  },
};

/** The result of one operation in the branch that ran, in request order. */
export type TxnOpResult =
  | { readonly type: 'get'; readonly result: GetResult }
  | { readonly type: 'put'; readonly result: PutResult }
  | { readonly type: 'delete'; readonly result: DeleteResult }
  | { readonly type: 'txn'; readonly result: TxnResult };

export interface TxnResult {
  readonly header: ResponseHeader;
  /** True when every guard held and the success branch ran. */
  readonly succeeded: boolean;
  readonly results: TxnOpResult[];
}

function toOpResult(wire: ResponseOp): TxnOpResult {
  switch (wire.response) {
    case 'response_range':
      return { type: 'get', result: toGetResult(wire.response_range!) };
    case 'response_put':
      return { type: 'put', result: toPutResult(wire.response_put!) };
    case 'response_delete_range':
      return { type: 'delete', result: toDeleteResult(wire.response_delete_range!) };
    case 'response_txn':
      return { type: 'txn', result: toTxnResult(wire.response_txn!) };
  }
}

export function toTxnResult(wire: TxnResponse): TxnResult {
  return { header: toHeader(wire.header), succeeded: wire.succeeded, results: wire.responses.map(toOpResult) };
}

/** Limit on the operations of one transaction branch (etcd's default --max-txn-ops). */
export const txnOpsMax = 128;

/**
 * Collects guards and branches, then commits them as one transaction:
 * `kv.txn().if(Compare.version('k', '=', 0)).then(Op.put('k', 'v')).else(Op.get('k')).commit()`.
 */
export class TxnBuilder {
  private readonly compares: WireCompare[] = [];
  private readonly success: RequestOp[] = [];
  private readonly failure: RequestOp[] = [];

  constructor(private readonly run: (request: TxnRequest) => Promise<TxnResult>) {}

  if(...compares: WireCompare[]): this {
    this.compares.push(...compares);
    return this;
  }

  then(...ops: RequestOp[]): this {
    this.success.push(...ops);
    assert(this.success.length <= txnOpsMax, `a transaction branch holds at most ${txnOpsMax} ops`);
    return this;
  }

  else(...ops: RequestOp[]): this {
    this.failure.push(...ops);
    assert(this.failure.length <= txnOpsMax, `a transaction branch holds at most ${txnOpsMax} ops`);
    return this;
  }

  /** The wire request this builder describes. */
  request(): TxnRequest {
    return { compare: [...this.compares], success: [...this.success], failure: [...this.failure] };
  }

  commit(): Promise<TxnResult> {
    return this.run(this.request());
  }
}
