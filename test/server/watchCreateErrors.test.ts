// Watch create requests etcd treats specially: an empty key (etcd reads it as "\x00", the smallest
// key), a range whose end sorts before its key, a negative start revision. A member answers each
// as a real etcd 3.4 does and keeps serving: an empty key once made the member throw inside the
// stream handler and exit, so one hostile watch stopped it.
import { Client, credentials, Metadata } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceDefinition } from '../../core/api/proto/load.js';
import { EtcdTestCluster } from '../support/etcd.js';
import { RafterCluster } from '../support/rafterCluster.js';

/** Bound on waiting for a stream's first answer. */
const answerTimeoutMs = 5_000;
const watch = serviceDefinition('etcdserverpb.Watch')['Watch']!;

let etcd: EtcdTestCluster;
let rafter: RafterCluster;

beforeAll(async () => {
  [etcd, rafter] = await Promise.all([EtcdTestCluster.start({ members: 1 }), RafterCluster.start({ members: 1 })]);
}, 120_000);

afterAll(async () => {
  await rafter?.stop();
  await etcd?.stop();
});

interface Answer {
  readonly created: boolean;
  readonly canceled: boolean;
  readonly watchId: string;
  readonly cancelReason: string;
}

/** Opens a watch stream on `endpoint`, sends `request` and returns the first answer. */
function firstAnswer(endpoint: string, request: object): Promise<Answer> {
  const raw = new Client(endpoint, credentials.createInsecure());
  return new Promise<Answer>((resolve, reject) => {
    const stream = raw.makeBidiStreamRequest(watch.path, watch.requestSerialize, watch.responseDeserialize, new Metadata(), { deadline: Date.now() + answerTimeoutMs });
    stream.on('data', (response: { created: boolean; canceled: boolean; watch_id: string; cancel_reason: string }) => {
      resolve({ created: response.created, canceled: response.canceled, watchId: response.watch_id, cancelReason: response.cancel_reason });
      stream.cancel();
    });
    stream.on('error', (error: Error) => reject(error));
    stream.write(request);
  }).finally(() => raw.close());
}

const endpointOf = (url: string): string => url.replace(/^https?:\/\//, '');

describe('watch create requests etcd treats specially', () => {
  const cases: [string, object][] = [
    ['an empty key', { create_request: { key: Buffer.alloc(0) } }],
    ['an empty key with range end "\\0" (every key)', { create_request: { key: Buffer.alloc(0), range_end: Buffer.from([0]) } }],
    ['a range end before the key', { create_request: { key: Buffer.from('b'), range_end: Buffer.from('a') } }],
    ['a negative start revision', { create_request: { key: Buffer.from('a'), start_revision: '-5' } }],
  ];
  for (const [name, request] of cases) {
    it(`answers ${name} as etcd 3.4 does, and keeps serving`, async () => {
      const expected = await firstAnswer(endpointOf(etcd.endpoints[0]!), request);
      const actual = await firstAnswer(rafter.endpoints[0]!, request);
      expect(actual).toEqual(expected);
      expect((await fetch(`${rafter.members[0]!.clientUrl}/health`)).status).toBe(200);
    });
  }
});
