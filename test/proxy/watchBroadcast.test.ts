// A watch batch encoded once and given each watch's id afterwards (core/proxy/watchBroadcast.ts)
// decodes as the response encoded for that watch alone.
import { describe, expect, it } from 'vitest';
import { methodDefinition } from '../../core/api/proto/load.js';
import type * as pb from '../../core/api/proto/messages.js';
import { encodedWatchResponse } from '../../core/proxy/watchBroadcast.js';

describe('encodedWatchResponse', () => {
  it('decodes as the response encoded with the watch id, for ids of every varint length', () => {
    const method = methodDefinition('etcdserverpb.Watch', 'Watch');
    const header = { cluster_id: '1', member_id: '2', revision: '7', raft_term: '3' };
    const kv = { key: Buffer.from('k'), value: Buffer.from('v'), create_revision: '7', mod_revision: '7', version: '1', lease: '0' };
    const batch = method.responseSerialize({ header, events: [{ type: 'PUT', kv }] });
    for (const id of [0, 1, 127, 128, 300, 16_383, 16_384, 2 ** 40]) {
      const decoded = method.responseDeserialize(encodedWatchResponse(batch, id)) as pb.WatchResponse;
      const expected = method.responseDeserialize(method.responseSerialize({ header, watch_id: String(id), events: [{ type: 'PUT', kv }] }));
      expect(decoded, String(id)).toEqual(expected);
    }
  });
});
