import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PeerTransport } from '../../core/transport/peerTransport.js';
import { FrameDecoder, FrameError, frameHeader } from '../../core/transport/frames.js';

interface Received {
  from: string;
  text: string;
}

const open: PeerTransport[] = [];

function waitFor(check: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const poll = (): void => {
      if (check()) resolve();
      else setImmediate(poll);
    };
    poll();
  });
}

async function member(id: string, clusterId = 'c1', snapshots: Buffer[] = []): Promise<{ transport: PeerTransport; received: Received[]; port: number; unreachable: string[] }> {
  const received: Received[] = [];
  const unreachable: string[] = [];
  const transport = new PeerTransport({
    clusterId,
    memberId: id,
    onMessage: (from, payload) => received.push({ from, text: payload.toString('utf8') }),
    onSnapshot: async (_from, header, body) => {
      const parts: Buffer[] = [header];
      for await (const chunk of body) parts.push(chunk);
      if (header.toString() === 'refuse') throw new Error('snapshot too old');
      snapshots.push(Buffer.concat(parts));
    },
    onUnreachable: (peer) => unreachable.push(peer),
    log: { warn: () => undefined },
  });
  open.push(transport);
  const port = await transport.listen('127.0.0.1', 0);
  return { transport, received, port, unreachable };
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

describe('frame decoder', () => {
  it('reassembles frames split at every byte boundary', () => {
    const payloads = ['a', '', 'hello world', 'x'.repeat(300)];
    const stream = Buffer.concat(payloads.flatMap((p) => [frameHeader(Buffer.byteLength(p)), Buffer.from(p)]));
    for (let cut = 0; cut <= stream.length; cut++) {
      const decoder = new FrameDecoder(1024);
      const frames = [...decoder.push(stream.subarray(0, cut)), ...decoder.push(stream.subarray(cut))];
      expect(frames.map((f) => f.toString())).toEqual(payloads);
    }
  });

  it('refuses a frame over the limit', () => {
    expect(() => new FrameDecoder(10).push(frameHeader(11))).toThrow(FrameError);
  });

  it('holds each frame to its own limit when given one per frame', () => {
    const decoder = new FrameDecoder((frame) => (frame === 0 ? 4 : 100));
    const frames = decoder.push(Buffer.concat([frameHeader(4), Buffer.from('helo'), frameHeader(50), Buffer.alloc(50, 1)]));
    expect(frames.map((f) => f.length)).toEqual([4, 50]);
    expect(() => new FrameDecoder((frame) => (frame === 0 ? 4 : 100)).push(frameHeader(5))).toThrow(/frame of 5 bytes exceeds the limit of 4/);
  });
});

describe('peer transport', () => {
  it('delivers messages between members in order', async () => {
    const a = await member('a');
    const b = await member('b');
    a.transport.setPeer('b', [`http://127.0.0.1:${b.port}`]);
    b.transport.setPeer('a', [`http://127.0.0.1:${a.port}`]);
    for (let i = 0; i < 500; i++) a.transport.send('b', Buffer.from(`m${i}`));
    b.transport.send('a', Buffer.from('back'));
    await waitFor(() => b.received.length === 500 && a.received.length === 1);
    expect(b.received.map((r) => r.text)).toEqual(Array.from({ length: 500 }, (_, i) => `m${i}`));
    expect(b.received.every((r) => r.from === 'a')).toBe(true);
    expect(a.received).toEqual([{ from: 'b', text: 'back' }]);
  });

  it('drops a connection whose first frame claims more than a handshake, before reading it', async () => {
    const warnings: string[] = [];
    const b = new PeerTransport({
      clusterId: 'c1', memberId: 'b', onMessage: () => undefined, onSnapshot: () => Promise.resolve(),
      log: { warn: (message) => warnings.push(message) },
    });
    open.push(b);
    const port = await b.listen('127.0.0.1', 0);
    const socket = net.connect({ host: '127.0.0.1', port });
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => undefined);
    // 100 MiB announced, 64 KiB sent: a member that waited for the frame would keep the socket open.
    socket.write(Buffer.concat([frameHeader(100 * 1024 * 1024), Buffer.alloc(64 * 1024)]));
    await closed;
    expect(warnings).toEqual(['dropping a peer connection: frame of 104857600 bytes exceeds the limit of 4096']);
  });

  it('refuses a peer from another cluster', async () => {
    const a = await member('a', 'cluster-one');
    const b = await member('b', 'cluster-two');
    const warnings: string[] = [];
    const probe = new PeerTransport({
      clusterId: 'cluster-one', memberId: 'a', onMessage: () => undefined, onSnapshot: () => Promise.resolve(),
      log: { warn: (message) => warnings.push(message) },
    });
    open.push(probe);
    probe.setPeer('b', [`http://127.0.0.1:${b.port}`]);
    probe.send('b', Buffer.from('hello'));
    await waitFor(() => warnings.length > 0);
    expect(warnings[0]).toContain('cluster id mismatch');
    expect(b.received).toEqual([]);
    expect(a.received).toEqual([]);
  });

  it('drops messages to and from a partitioned peer and delivers again after healing', async () => {
    const a = await member('a');
    const b = await member('b');
    a.transport.setPeer('b', [`http://127.0.0.1:${b.port}`]);
    b.transport.setPeer('a', [`http://127.0.0.1:${a.port}`]);
    a.transport.setFaults({ dropTo: ['b'], dropFrom: ['b'], delayMs: 0 });
    a.transport.send('b', Buffer.from('lost-out'));
    b.transport.send('a', Buffer.from('lost-in'));
    await waitFor(() => a.transport.stats.messagesDroppedIncoming === 1);
    expect(a.transport.stats.messagesDroppedOutgoing).toBe(1);
    a.transport.heal();
    // A marker sent after the lost messages proves that they were dropped, not delayed.
    b.transport.send('a', Buffer.from('marker-in'));
    a.transport.send('b', Buffer.from('marker-out'));
    await waitFor(() => a.received.length >= 1 && b.received.length >= 1);
    expect(b.received.map((r) => r.text)).toEqual(['marker-out']);
    expect(a.received.map((r) => r.text)).toEqual(['marker-in']);
  });

  it('reports an unreachable peer and reconnects once it is back', async () => {
    const a = await member('a');
    const b = await member('b');
    const bPort = b.port;
    a.transport.setPeer('b', [`http://127.0.0.1:${bPort}`]);
    await b.transport.close();
    a.transport.send('b', Buffer.from('into the void'));
    await waitFor(() => a.unreachable.includes('b'));
    const received: string[] = [];
    const again = new PeerTransport({ clusterId: 'c1', memberId: 'b', onMessage: (_f, p) => received.push(p.toString()), onSnapshot: () => Promise.resolve() });
    open.push(again);
    await again.listen('127.0.0.1', bPort);
    await waitFor(() => {
      a.transport.send('b', Buffer.from('retry'));
      return received.length > 0;
    });
    expect(received[0]).toBe('retry');
  });

  it('streams a snapshot on its own connection and reports the receiver verdict', async () => {
    const snapshots: Buffer[] = [];
    const a = await member('a');
    const b = await member('b', 'c1', snapshots);
    a.transport.setPeer('b', [`http://127.0.0.1:${b.port}`]);
    const big = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    function body(): AsyncIterable<Uint8Array> {
      return (async function* chunks() {
        yield await Promise.resolve(Buffer.from('start:'));
        yield big;
      })();
    }
    await a.transport.sendSnapshot('b', Buffer.from('meta|'), body());
    expect(snapshots).toHaveLength(1);
    expect(snapshots[0]!.length).toBe(5 + 6 + big.length);
    expect(snapshots[0]!.subarray(0, 11).toString()).toBe('meta|start:');
    await expect(a.transport.sendSnapshot('b', Buffer.from('refuse'), body())).rejects.toThrow('snapshot too old');
  });

  it('ends a snapshot stream the receiver refuses before reading its body, with the reason', async () => {
    const a = await member('a');
    const b = new PeerTransport({
      clusterId: 'c1', memberId: 'b', onMessage: () => undefined,
      onSnapshot: () => Promise.reject(new Error('no room for it')),
      log: { warn: () => undefined },
    });
    open.push(b);
    const port = await b.listen('127.0.0.1', 0);
    a.transport.setPeer('b', [`http://127.0.0.1:${port}`]);
    const chunk = Buffer.alloc(1024 * 1024, 3);
    let sent = 0;
    // 256 MiB offered, far beyond what the receiver and the kernel buffer: the sender must stop
    // on the refusal rather than wait forever for the receiver to read.
    async function* body(): AsyncIterable<Uint8Array> {
      for (; sent < 256; sent++) yield await Promise.resolve(chunk);
    }
    await expect(a.transport.sendSnapshot('b', Buffer.from('meta'), body())).rejects.toThrow('peer b refused the snapshot: no room for it');
    expect(sent).toBeLessThan(256);
  });
});
