// Watch requests with an unusual or bad answer, sent on a raw stream to real etcd 3.4 directly
// and through rafter grpc-proxy in front of it: the proxy's answers (created, canceled, ids,
// reasons, compact revision) are etcd's.
import { Client, credentials, Metadata } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceDefinition } from '../../core/api/proto/load.js';
import { EtcdClient } from '../../core/client/etcdClient.js';
import { EtcdTestCluster } from '../support/etcd.js';
import { ProxyProcess } from '../support/proxyProcess.js';

const answerTimeoutMs = 5_000;
const watch = serviceDefinition('etcdserverpb.Watch')['Watch']!;

let etcd: EtcdTestCluster;
let proxy: ProxyProcess;
let endpoint: string;

beforeAll(async () => {
  etcd = await EtcdTestCluster.start();
  endpoint = etcd.endpoints[0]!.replace(/^https?:\/\//, '');
  proxy = await ProxyProcess.start({ endpoints: [endpoint] });
  const client = new EtcdClient({ endpoints: [endpoint] });
  for (let i = 0; i < 5; i++) await client.kv.put(`/old/${i}`, 'v');
  await client.kv.compact(4);
  client.close();
}, 60_000);

afterAll(async () => {
  await proxy?.stop();
  await etcd?.stop();
});

interface WireAnswer {
  created: boolean;
  canceled: boolean;
  watch_id: string;
  cancel_reason: string;
  compact_revision: string;
  events: unknown[];
}

/** Sends `requests` on one watch stream and returns the first `count` answers, without headers. */
function answers(at: string, requests: object[], count: number): Promise<string[]> {
  const raw = new Client(at, credentials.createInsecure());
  return new Promise<string[]>((resolve, reject) => {
    const seen: string[] = [];
    const stream = raw.makeBidiStreamRequest(watch.path, watch.requestSerialize, watch.responseDeserialize, new Metadata(), { deadline: Date.now() + answerTimeoutMs });
    stream.on('data', (response: WireAnswer) => {
      const { created, canceled, watch_id: id, cancel_reason: reason, compact_revision: compact, events } = response;
      seen.push(JSON.stringify({ created, canceled, id, reason, compact, events: events.length }));
      if (seen.length === count) {
        resolve(seen);
        stream.cancel();
      }
    });
    stream.on('error', (error: Error) => reject(error));
    for (const request of requests) stream.write(request);
  }).finally(() => raw.close());
}

describe('watch answers through the proxy', () => {
  const cases: [string, object[], number][] = [
    ['an empty key', [{ create_request: { key: Buffer.alloc(0) } }], 1],
    ['a range end before the key', [{ create_request: { key: Buffer.from('b'), range_end: Buffer.from('a') } }], 1],
    ['a negative start revision', [{ create_request: { key: Buffer.from('a'), start_revision: '-5' } }], 1],
    ['a compacted start revision', [{ create_request: { key: Buffer.from('/old/'), range_end: Buffer.from('/old0'), start_revision: '2' } }], 2],
    ['a start revision in history', [{ create_request: { key: Buffer.from('/old/'), range_end: Buffer.from('/old0'), start_revision: '5' } }], 2],
    ['a chosen watch id, then the same id again', [{ create_request: { key: Buffer.from('x'), watch_id: 7 } }, { create_request: { key: Buffer.from('y'), watch_id: 7 } }], 2],
    ['a cancel of the watch', [{ create_request: { key: Buffer.from('x') } }, { cancel_request: { watch_id: 0 } }], 2],
  ];
  for (const [name, requests, count] of cases) {
    it(`answers ${name} as etcd does`, async () => {
      expect(await answers(proxy.endpoint, requests, count)).toEqual(await answers(endpoint, requests, count));
    });
  }
});
