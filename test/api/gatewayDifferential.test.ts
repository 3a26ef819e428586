// The JSON gateway against etcd 3.4's: one corpus of gateway requests — every route, good and bad
// bodies, 64-bit numbers as JSON numbers and as strings, streams — sent in the same order to a
// fresh real etcd and to a fresh Rafter member. Status codes and bodies must match exactly once
// the values that legitimately differ between two clusters are masked (ids, terms, ports, sizes,
// timings). A remaining difference must be listed below with the words that document it in
// docs/compatibility.md, or the test fails. Streams are also checked for how they end: a keepalive
// body gets its answers and the end; a watch keeps delivering events after its body ended.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { EtcdTestCluster } from '../support/etcd.js';
import { RafterCluster } from '../support/rafterCluster.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Longest any single exchange may take; a stream that should end but does not fails the step. */
const exchangeTimeoutMs = 10_000;

const b64 = (text: string): string => Buffer.from(text).toString('base64');
/** Lease ids above 2^53, which a double cannot hold (…930 would read as …184). */
const leaseA = '3499193843988444930';
const leaseB = '9007199254740993';
const leaseLock = '7205759403792794881';

interface Exchange {
  /** Unique; names the step in reports and in `knownDifferences`. */
  readonly id: string;
  readonly path: string;
  /** A raw body, or an object sent as JSON. */
  readonly body?: string | object;
  /** A body made from the answers so far on the same side (instead of `body`). */
  readonly bodyFrom?: (answers: ReadonlyMap<string, Answer>) => string;
  readonly method?: string;
  /** Dotted paths (`*` for every array element, `result.` inside stream lines) masked on both sides. */
  readonly mask?: readonly string[];
  /** Top-level lists compared as sets (sorted on both sides). */
  readonly unordered?: readonly string[];
}

interface StreamExchange extends Exchange {
  /** Lines to read before the stream is closed by the client. */
  readonly lines: number;
  /** Requests sent once the first line arrived (the request body has ended by then). */
  readonly then?: readonly Exchange[];
}

type Step = Exchange | StreamExchange;

const headerKeys = ['cluster_id', 'member_id', 'raft_term'];

/** The leader key the campaign step won, with its numbers as JSON numbers or strings, or a stale revision. */
function campaignLeader(answers: ReadonlyMap<string, Answer>, form: 'number' | 'string' | 'stale'): string {
  const leader = (answers.get('campaign')?.lines[0] as { leader?: { name: string; key: string; rev: string; lease: string } } | undefined)?.leader;
  if (!leader) return '{}';
  const rev = form === 'stale' ? '1' : leader.rev;
  const number = (text: string): string => (form === 'string' ? `"${text}"` : text);
  return `{"name":"${leader.name}","key":"${leader.key}","rev":${number(rev)},"lease":${number(leader.lease)}}`;
}

const corpus: Step[] = [
  // KV
  { id: 'put', path: '/v3/kv/put', body: { key: b64('/a'), value: b64('1') } },
  { id: 'put empty value with prev_kv', path: '/v3/kv/put', body: { key: b64('/a'), value: '', prev_kv: true } },
  { id: 'put camel names', path: '/v3/kv/put', body: { key: b64('/b'), value: b64('2'), prevKv: true } },
  { id: 'put second key', path: '/v3/kv/put', body: { key: b64('/c/d'), value: b64('3') } },
  { id: 'range one', path: '/v3/kv/range', body: { key: b64('/a') } },
  { id: 'range missing', path: '/v3/kv/range', body: { key: b64('/missing') } },
  { id: 'range prefix limit', path: '/v3/kv/range', body: { key: b64('/'), range_end: b64('0'), limit: 1 } },
  { id: 'range prefix limit string', path: '/v3/kv/range', body: { key: b64('/'), range_end: b64('0'), limit: '2' } },
  { id: 'range count only', path: '/v3/kv/range', body: { key: b64('/'), rangeEnd: b64('0'), countOnly: true } },
  { id: 'range keys only sorted', path: '/v3/kv/range', body: { key: b64('/'), range_end: b64('0'), keys_only: true, sort_order: 'DESCEND', sort_target: 'MOD' } },
  { id: 'range enum numbers', path: '/v3/kv/range', body: { key: b64('/'), range_end: b64('0'), sort_order: 1, sort_target: 0 } },
  { id: 'range revision number', path: '/v3/kv/range', body: { key: b64('/a'), revision: 2 } },
  { id: 'range revision string', path: '/v3/kv/range', body: { key: b64('/a'), revision: '3' } },
  { id: 'range future revision', path: '/v3/kv/range', body: { key: b64('/a'), revision: 100 } },
  { id: 'range nulls', path: '/v3/kv/range', body: { key: b64('/a'), revision: null, range_end: null } },
  { id: 'range byte array key', path: '/v3/kv/range', body: { key: [47, 97] } },
  { id: 'range trailing text ignored', path: '/v3/kv/range', body: `{"key":"${b64('/a')}"} and more` },
  { id: 'range duplicate key last wins', path: '/v3/kv/range', body: `{"key":"${b64('/a')}","key":"${b64('/b')}"}` },
  { id: 'range camel wins over proto name', path: '/v3/kv/range', body: { key: b64('/a'), range_end: b64('/b'), rangeEnd: b64('0') } },
  { id: 'deleterange missing', path: '/v3/kv/deleterange', body: { key: b64('/missing') } },
  { id: 'deleterange prev_kv', path: '/v3/kv/deleterange', body: { key: b64('/b'), prev_kv: true } },
  {
    id: 'txn success', path: '/v3/kv/txn', body: {
      compare: [{ key: b64('/a'), target: 'VALUE', result: 'EQUAL', value: '' }, { key: b64('/a'), target: 'VERSION', result: 'GREATER', version: '1' }],
      success: [{ request_put: { key: b64('/t'), value: b64('yes') } }, { request_range: { key: b64('/a') } }, { request_delete_range: { key: b64('/missing') } }],
      failure: [{ request_put: { key: b64('/t'), value: b64('no') } }],
    },
  },
  {
    id: 'txn failure', path: '/v3/kv/txn', body: {
      compare: [{ key: b64('/a'), target: 'MOD', result: 'GREATER', mod_revision: 100 }],
      success: [{ request_put: { key: b64('/t'), value: b64('yes') } }],
      failure: [{ request_range: { key: b64('/t') } }, { request_txn: { success: [{ request_range: { key: b64('/missing') } }] } }],
    },
  },
  { id: 'txn empty', path: '/v3/kv/txn', body: {} },
  { id: 'txn compare create', path: '/v3/kv/txn', body: { compare: [{ key: b64('/c/d'), target: 'CREATE', result: 'LESS', create_revision: 9007199254740993 }] } },
  // Leases: ids above 2^53 as JSON numbers and as strings.
  { id: 'lease grant big id number', path: '/v3/lease/grant', body: `{"ID":${leaseA},"TTL":600}` },
  { id: 'lease grant big id string', path: '/v3/lease/grant', body: { ID: leaseB, TTL: '600' } },
  { id: 'lease grant existing id', path: '/v3/lease/grant', body: `{"ID":${leaseA},"TTL":60}` },
  { id: 'lease grant negative ttl', path: '/v3/lease/grant', body: { ID: '77', TTL: -5 } },
  { id: 'lease revoke short lease', path: '/v3/lease/revoke', body: { ID: 77 } },
  { id: 'lease grant lock lease', path: '/v3/lease/grant', body: { ID: leaseLock, TTL: 600 } },
  { id: 'put with big lease number', path: '/v3/kv/put', body: `{"key":"${b64('/leased')}","value":"${b64('v')}","lease":${leaseA}}` },
  { id: 'range leased', path: '/v3/kv/range', body: { key: b64('/leased') } },
  { id: 'put with missing lease', path: '/v3/kv/put', body: { key: b64('/leased'), value: b64('v'), lease: 1234 } },
  { id: 'lease timetolive keys', path: '/v3/lease/timetolive', body: `{"ID":${leaseA},"keys":true}`, mask: ['TTL'] },
  { id: 'lease timetolive old path', path: '/v3/kv/lease/timetolive', body: { ID: leaseB }, mask: ['TTL'] },
  { id: 'lease timetolive missing', path: '/v3/lease/timetolive', body: { ID: 1234 } },
  // etcd lists leases by expiry time; the list is compared as a set.
  { id: 'lease leases', path: '/v3/lease/leases', body: {}, unordered: ['leases'] },
  { id: 'lease leases old path', path: '/v3/kv/lease/leases', unordered: ['leases'] },
  { id: 'lease keepalive one number', path: '/v3/lease/keepalive', body: `{"ID":${leaseA}}` },
  { id: 'lease keepalive two', path: '/v3/lease/keepalive', body: `{"ID":"${leaseB}"}\n{"ID":1234}` },
  { id: 'lease keepalive empty', path: '/v3/lease/keepalive', body: '' },
  { id: 'lease keepalive bad body', path: '/v3/lease/keepalive', body: '{"ID":"x"}' },
  { id: 'lease keepalive truncated', path: '/v3/lease/keepalive', body: '{"ID":1' },
  { id: 'lease revoke big number', path: '/v3/lease/revoke', body: `{"ID":${leaseB}}` },
  { id: 'lease revoke old path missing', path: '/v3/kv/lease/revoke', body: { ID: '1234' } },
  { id: 'lease revoke leased key', path: '/v3/lease/revoke', body: `{"ID":${leaseA}}` },
  { id: 'range after revoke', path: '/v3/kv/range', body: { key: b64('/leased') } },
  // Watch streams: the request body ends at once; events must keep coming after it.
  {
    id: 'watch events after body end', path: '/v3/watch', body: { create_request: { key: b64('/w'), prev_kv: true } }, lines: 3,
    then: [
      { id: 'watch put', path: '/v3/kv/put', body: { key: b64('/w'), value: b64('1') } },
      { id: 'watch delete', path: '/v3/kv/deleterange', body: { key: b64('/w') } },
    ],
  },
  {
    id: 'watch prefix with filters', path: '/v3/watch', body: { create_request: { key: b64('/w'), range_end: b64('/x'), filters: ['NODELETE'], start_revision: '2' } }, lines: 2,
  },
  { id: 'watch garbage after first request', path: '/v3/watch', body: `{"create_request":{"key":"${b64('/w')}","start_revision":3}} garbage`, lines: 2 },
  {
    id: 'watch create then cancel in one body', path: '/v3/watch', lines: 2,
    body: `{"create_request":{"key":"${b64('/w')}"}}\n{"cancel_request":{"watch_id":"0"}}`,
  },
  {
    id: 'watch two creates and a progress request', path: '/v3/watch', lines: 3,
    body: `{"create_request":{"key":"${b64('/w')}"}}{"createRequest":{"key":"${b64('/v')}","watchId":7}}{"progress_request":{}}`,
  },
  { id: 'watch empty create request', path: '/v3/watch', body: { create_request: {} }, lines: 1 },
  { id: 'watch bad range', path: '/v3/watch', body: { create_request: { key: b64('/z'), range_end: b64('/a') } }, lines: 1 },
  { id: 'watch bad first request', path: '/v3/watch', body: { create_request: { key: 12 } } },
  { id: 'watch truncated first request', path: '/v3/watch', body: '{"create_request":' },
  // Cluster and maintenance.
  { id: 'member list', path: '/v3/cluster/member/list', body: {}, mask: ['members.*.ID', 'members.*.peerURLs', 'members.*.clientURLs'] },
  // A learner that never starts: it does not count towards the quorum, and is removed again.
  {
    id: 'member add learner', path: '/v3/cluster/member/add', body: { peerURLs: ['http://127.0.0.1:1'], isLearner: true },
    mask: ['member.ID', 'members.*.ID', 'members.*.peerURLs', 'members.*.clientURLs'], unordered: ['members'],
  },
  {
    id: 'member remove learner', path: '/v3/cluster/member/remove',
    bodyFrom: (answers) => `{"ID":${/"member":\{"ID":"(\d+)"/.exec(answers.get('member add learner')?.raw ?? '')?.[1] ?? 0}}`,
    mask: ['members.*.ID', 'members.*.peerURLs', 'members.*.clientURLs'],
  },
  { id: 'member remove missing', path: '/v3/cluster/member/remove', body: `{"ID":18446744073709551615}` },
  { id: 'member remove negative', path: '/v3/cluster/member/remove', body: { ID: -1 } },
  { id: 'member update missing', path: '/v3/cluster/member/update', body: { ID: '1', peerURLs: ['http://127.0.0.1:1'] } },
  { id: 'member promote missing', path: '/v3/cluster/member/promote', body: { ID: 1 } },
  { id: 'member add bad urls', path: '/v3/cluster/member/add', body: { peerURLs: ['not a url'] } },
  { id: 'member add urls not a list', path: '/v3/cluster/member/add', body: { peerURLs: 'http://127.0.0.1:1' } },
  { id: 'status', path: '/v3/maintenance/status', body: {}, mask: ['version', 'dbSize', 'dbSizeInUse', 'leader', 'raftIndex', 'raftTerm', 'raftAppliedIndex'] },
  { id: 'alarm get', path: '/v3/maintenance/alarm', body: { action: 'GET' } },
  { id: 'alarm default', path: '/v3/maintenance/alarm', body: {} },
  { id: 'alarm bad action', path: '/v3/maintenance/alarm', body: { action: 'EXPLODE' } },
  { id: 'hash', path: '/v3/maintenance/hash', body: {}, mask: ['hash'] },
  { id: 'defragment', path: '/v3/maintenance/defragment', body: {} },
  { id: 'transfer leadership bad target', path: '/v3/maintenance/transfer-leadership', body: { targetID: 1 } },
  { id: 'compaction future', path: '/v3/kv/compaction', body: { revision: 100 } },
  { id: 'compaction', path: '/v3/kv/compaction', body: { revision: '3', physical: true } },
  { id: 'range compacted revision', path: '/v3/kv/range', body: { key: b64('/a'), revision: 2 } },
  { id: 'watch compacted revision', path: '/v3/watch', body: { create_request: { key: b64('/a'), start_revision: 2 } }, lines: 2 },
  // Lock and election, with leases named by the client.
  { id: 'lock', path: '/v3/lock/lock', body: `{"name":"${b64('/lock')}","lease":${leaseLock}}` },
  { id: 'unlock', path: '/v3/lock/unlock', body: { key: b64(`/lock/${BigInt(leaseLock).toString(16)}`) } },
  { id: 'unlock without key', path: '/v3/lock/unlock', body: {} },
  { id: 'lock missing lease', path: '/v3/lock/lock', body: { name: b64('/lock'), lease: 1234 } },
  // Without a lease the server grants one of 60 s (its id differs between the two).
  { id: 'lock without lease', path: '/v3/lock/lock', body: { name: b64('/lock-session') }, mask: ['key'] },
  { id: 'campaign without lease', path: '/v3/election/campaign', body: { name: b64('/e-session'), value: b64('v') }, mask: ['leader.key', 'leader.lease'] },
  { id: 'campaign missing lease', path: '/v3/election/campaign', body: { name: b64('/e'), lease: '1234' } },
  { id: 'election leader none', path: '/v3/election/leader', body: { name: b64('/e') } },
  { id: 'election leader without name', path: '/v3/election/leader', body: {} },
  { id: 'campaign', path: '/v3/election/campaign', body: `{"name":"${b64('/e')}","lease":${leaseLock},"value":"${b64('one')}"}` },
  { id: 'election leader', path: '/v3/election/leader', body: { name: b64('/e') } },
  { id: 'observe', path: '/v3/election/observe', body: { name: b64('/e') }, lines: 1 },
  { id: 'proclaim', path: '/v3/election/proclaim', bodyFrom: (answers) => `{"leader":${campaignLeader(answers, 'number')},"value":"${b64('two')}"}` },
  { id: 'proclaim stale leader', path: '/v3/election/proclaim', bodyFrom: (answers) => `{"leader":${campaignLeader(answers, 'stale')},"value":"${b64('x')}"}` },
  { id: 'proclaim without leader', path: '/v3/election/proclaim', body: { value: b64('x') } },
  { id: 'resign', path: '/v3/election/resign', bodyFrom: (answers) => `{"leader":${campaignLeader(answers, 'string')}}` },
  // Bodies Go's decoder refuses, each with its own message.
  ...[
    '[]', 'null', '12', '"x"', '{', '{"key":', '{"key":"L2E=",}', '{"key":"L2E="', '{"key" "L2E="}', '{"key":"L2E=" "x":1}',
    '{"key":"!!!"}', '{"key":"L2E"}', '{"key":"L2E=="}', '{"key":"YWJj-_"}', '{"key":"L2\\nE="}', '{"key":12}', '{"key":true}',
    '{"key":{"a":1}}', '{"key":["L2E="]}', '{"key":[300]}', '{"key":"L2E=","limit":"ten"}', '{"key":"L2E=","limit":1.5}',
    '{"key":"L2E=","limit":"1.5"}', '{"key":"L2E=","limit":1e2}', '{"key":"L2E=","limit":true}', '{"key":"L2E=","limit":"05"}',
    '{"key":"L2E=","limit":"+5"}', '{"key":"L2E=","limit":""}', '{"key":"L2E=","limit":" 5 "}', '{"key":"L2E=","limit":-}',
    '{"key":"L2E=","limit":99999999999999999999}', '{"key":"L2E=","sort_order":"SIDEWAYS"}', '{"key":"L2E=","sort_order":true}',
    '{"key":"L2E=","sort_order":"1"}', '{"key":"L2E=","serializable":"true"}', '{"key":"L2E=","serializable":1}',
    '{"key":"L2E=","min_mod_revision":"0x10"}', '{"key":"\\u002fa"}', '{"key":"L2E=\\x"}', '{"key":"L2E=","keys_only":tru}',
    '{"key":"L2E=","limit":nul}', '{"key":"L2E=","limit":1.}', '{"key":"L2E=","limit":1e}', '{"key":"L2E=","limit":01}',
    '{"key":"L2E="}}', '\u0001', '{"key":"a\u0001"}',
  ].map((body, i): Exchange => ({ id: `bad range body ${i}: ${body}`, path: '/v3/kv/range', body })),
  { id: 'txn compare not a list', path: '/v3/kv/txn', body: { compare: { key: b64('/a') } } },
  { id: 'txn bad compare target', path: '/v3/kv/txn', body: { compare: [{ key: b64('/a'), target: 'SIZE' }] } },
  { id: 'txn bad nested bytes', path: '/v3/kv/txn', body: { success: [{ request_put: { key: 12 } }] } },
  { id: 'txn op not an object', path: '/v3/kv/txn', body: { success: ['put'] } },
  { id: 'put bad lease', path: '/v3/kv/put', body: { key: b64('/a'), lease: 'abc' } },
  { id: 'put negative lease number', path: '/v3/kv/put', body: { key: b64('/a'), lease: -1 } },
  // Paths and methods.
  { id: 'v3beta range', path: '/v3beta/kv/range', body: { key: b64('/a') } },
  { id: 'v3beta unknown', path: '/v3beta/kv/nothing', body: {} },
  { id: 'v3alpha range', path: '/v3alpha/kv/range', body: { key: b64('/a') } },
  { id: 'unknown v3 path', path: '/v3/kv/nothing', body: {} },
  { id: 'v3 trailing slash', path: '/v3/kv/range/', body: {} },
  { id: 'unknown path', path: '/nothing', body: {} },
  { id: 'GET a route', path: '/v3/kv/range', method: 'GET' },
  { id: 'PUT a route', path: '/v3/kv/put', method: 'PUT', body: {} },
  { id: 'query string ignored', path: '/v3/kv/range?revision=1', body: { key: b64('/a') } },
  // Size: a 3 MiB value is over gRPC's receive limit (1.5 MiB request limit plus 512 KiB).
  { id: 'put 3 MiB', path: '/v3/kv/put', body: { key: b64('/big'), value: Buffer.alloc(3 * 1024 * 1024, 1).toString('base64') } },
  { id: 'put just under the request limit', path: '/v3/kv/put', body: { key: b64('/big'), value: Buffer.alloc(1.5 * 1024 * 1024 - 64, 1).toString('base64') } },
  { id: 'put over the request limit', path: '/v3/kv/put', body: { key: b64('/big'), value: Buffer.alloc(1.6 * 1024 * 1024, 1).toString('base64') } },
];

/**
 * Differences kept on purpose, by step id, each with words that docs/compatibility.md must contain
 * (the row that explains it).
 */
const knownDifferences = new Map<string, string>([
  ['hash', 'hash_revision'],
]);

interface Answer {
  readonly status: number;
  /** Each non-empty line, parsed as JSON when it is JSON, masked. */
  readonly lines: unknown[];
  /** The body as received (for later steps that need a value masked in `lines`); not compared. */
  readonly raw?: string;
}

/** What is compared of an answer. */
const compared = (answer: Answer | undefined): string => JSON.stringify(answer && { status: answer.status, lines: answer.lines });

function maskPath(value: unknown, parts: readonly string[]): void {
  if (typeof value !== 'object' || value === null) return;
  const [first, ...rest] = parts;
  if (first === undefined) return;
  const container = value as Record<string, unknown>;
  const keys = first === '*' ? Object.keys(container) : [first];
  for (const key of keys) {
    if (!Object.hasOwn(container, key)) continue;
    if (rest.length === 0) container[key] = '<masked>';
    else maskPath(container[key], rest);
  }
}

function maskHeaders(value: unknown): void {
  if (typeof value !== 'object' || value === null) return;
  for (const [key, inner] of Object.entries(value)) {
    if (headerKeys.includes(key)) (value as Record<string, unknown>)[key] = '<masked>';
    else maskHeaders(inner);
  }
}

function parseLines(text: string, masks: readonly string[], unordered: readonly string[] = []): unknown[] {
  return text.split('\n').filter((line) => line.trim() !== '').map((line) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line) as unknown;
    } catch {
      return line;
    }
    maskHeaders(parsed);
    for (const mask of masks) {
      maskPath(parsed, mask.split('.'));
      maskPath(parsed, ['result', ...mask.split('.')]);
    }
    for (const key of unordered) {
      const list = (parsed as Record<string, unknown>)[key];
      if (Array.isArray(list)) list.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    }
    return parsed;
  });
}

function bodyText(step: Exchange, answers: ReadonlyMap<string, Answer>): string | undefined {
  if (step.bodyFrom) return step.bodyFrom(answers);
  if (step.body === undefined) return undefined;
  return typeof step.body === 'string' ? step.body : JSON.stringify(step.body);
}

async function send(base: string, step: Exchange, answers: ReadonlyMap<string, Answer> = new Map()): Promise<Answer> {
  const body = bodyText(step, answers);
  const response = await fetch(`${base}${step.path}`, {
    method: step.method ?? 'POST', ...(body === undefined ? {} : { body }), signal: AbortSignal.timeout(exchangeTimeoutMs),
  });
  const raw = await response.text();
  return { status: response.status, lines: parseLines(raw, step.mask ?? [], step.unordered), raw };
}

/** Opens a stream, sends `then` after its first line, and closes it after `lines` lines. */
async function sendStream(base: string, step: StreamExchange, answers: ReadonlyMap<string, Answer>): Promise<Answer> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), exchangeTimeoutMs);
  try {
    const response = await fetch(`${base}${step.path}`, { method: 'POST', body: bodyText(step, answers) ?? '', signal: controller.signal });
    const reader = response.body!.getReader();
    let text = '';
    let sent = false;
    const complete = (): string[] => text.split('\n').slice(0, -1);
    while (complete().length < step.lines) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += Buffer.from(chunk.value).toString('utf8');
      if (!sent && complete().length > 0) {
        sent = true;
        for (const action of step.then ?? []) await send(base, action);
      }
    }
    controller.abort();
    return { status: response.status, lines: parseLines(complete().slice(0, step.lines).join('\n'), step.mask ?? []) };
  } catch (error) {
    return { status: -1, lines: [`stream failed: ${String(error)}`] };
  } finally {
    clearTimeout(timer);
  }
}

async function runCorpus(base: string): Promise<Map<string, Answer>> {
  const answers = new Map<string, Answer>();
  for (const step of corpus) {
    const answer = 'lines' in step
      ? await sendStream(base, step, answers)
      : await send(base, step, answers).catch((error: unknown): Answer => ({ status: -1, lines: [String(error)] }));
    answers.set(step.id, answer);
  }
  return answers;
}

let etcd: EtcdTestCluster;
let rafter: RafterCluster;
let etcdAnswers: Map<string, Answer>;
let rafterAnswers: Map<string, Answer>;

beforeAll(async () => {
  [etcd, rafter] = await Promise.all([EtcdTestCluster.start(), RafterCluster.start({ members: 1 })]);
  [etcdAnswers, rafterAnswers] = await Promise.all([runCorpus(etcd.members[0]!.clientUrl), runCorpus(rafter.members[0]!.clientUrl)]);
}, 120_000);

afterAll(async () => {
  await Promise.all([etcd?.stop(), rafter?.stop()]);
});

describe('the JSON gateway against etcd 3.4', () => {
  it('has unique step ids', () => {
    expect(new Set(corpus.map((step) => step.id)).size).toBe(corpus.length);
  });

  it('answers every request of the corpus as etcd does, apart from the documented differences', () => {
    const differing = corpus.filter((step) => compared(etcdAnswers.get(step.id)) !== compared(rafterAnswers.get(step.id))).map((step) => step.id);
    const report = differing.filter((id) => !knownDifferences.has(id)).map((id) =>
      `--- ${id}\netcd:   ${compared(etcdAnswers.get(id))}\nrafter: ${compared(rafterAnswers.get(id))}`);
    expect(report.join('\n\n')).toBe('');
    const fixed = [...knownDifferences.keys()].filter((id) => !differing.includes(id));
    expect(fixed, 'documented differences that no longer differ').toEqual([]);
  });

  it('reaches the success path of the calls that build on earlier answers (not only errors on both sides)', () => {
    const succeeded = ['member add learner', 'member remove learner', 'lock', 'unlock', 'campaign', 'proclaim', 'resign', 'observe', 'lease keepalive one number'];
    for (const id of succeeded) expect(`${id}: ${etcdAnswers.get(id)?.status}`).toBe(`${id}: 200`);
  });

  it('documents every known difference in docs/compatibility.md', () => {
    const docs = fs.readFileSync(path.join(root, 'docs/compatibility.md'), 'utf8');
    for (const [id, words] of knownDifferences) expect(docs, `${id}: "${words}"`).toContain(words);
  });

  it('ends a keepalive response after the answer to its one request', () => {
    // send() reads each body to its end within the exchange timeout: a stream left open fails it.
    expect(rafterAnswers.get('lease keepalive one number')?.lines).toEqual([
      { result: { header: { cluster_id: '<masked>', member_id: '<masked>', revision: expect.any(String) as string, raft_term: '<masked>' }, ID: leaseA, TTL: '600' } },
    ]);
    expect(rafterAnswers.get('lease keepalive two')?.lines).toHaveLength(2);
  });

  it('keeps a watch open after its request body ended, delivering the events that follow', () => {
    const lines = rafterAnswers.get('watch events after body end')?.lines as { result: { events?: { type?: string }[] } }[];
    expect(lines.map((line) => line.result.events?.map((event) => event.type ?? 'PUT'))).toEqual([undefined, ['PUT'], ['DELETE']]);
  });
});

/** A raw gRPC Put of `valueBytes` bytes; resolves with the error code and message (or 'ok'). */
function grpcPut(endpoint: string, valueBytes: number): Promise<string> {
  const client = new Client(endpoint, credentials.createInsecure(), { 'grpc.max_send_message_length': -1 });
  const key = Buffer.from('/grpc-big');
  const value = Buffer.alloc(valueBytes, 1);
  // PutRequest: field 1 key, field 2 value (length-delimited).
  const varint = (n: number): Buffer => {
    const out: number[] = [];
    while (n > 0x7f) {
      out.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    out.push(n);
    return Buffer.from(out);
  };
  const request = Buffer.concat([Buffer.from([0x0a]), varint(key.length), key, Buffer.from([0x12]), varint(value.length), value]);
  return new Promise((resolve) => {
    client.makeUnaryRequest('/etcdserverpb.KV/Put', (b: Buffer) => b, (b: Buffer) => b, request, new Metadata(), { deadline: Date.now() + exchangeTimeoutMs }, (error: ServiceError | null) => {
      client.close();
      resolve(error ? `${error.code} ${error.details}` : 'ok');
    });
  });
}

describe('the gRPC port against etcd 3.4', () => {
  it('refuses an oversize request with gRPC-Go\'s code and words', async () => {
    const sizes = [3 * 1024 * 1024, 1.6 * 1024 * 1024];
    for (const size of sizes) {
      const etcdAnswer = await grpcPut(`127.0.0.1:${etcd.members[0]!.clientPort}`, size);
      const rafterAnswer = await grpcPut(rafter.endpoints[0]!, size);
      expect(rafterAnswer).toBe(etcdAnswer);
    }
    expect(await grpcPut(rafter.endpoints[0]!, 3 * 1024 * 1024)).toMatch(/^8 grpc: received message larger than max \(\d+ vs\. 2097152\)$/);
  });
});
