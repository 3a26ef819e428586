// Local members' ports come from a fixed range below the ephemeral one (and below the tests' own
// range), are free to bind, and are never a port another local member (running or stopped) or a
// saved loopback connection owns.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { localPortMax, localPortMin, localPorts, loopbackPorts } from '../../core/admin/localPorts.js';

function listen(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

describe('local member ports', () => {
  it('hands out distinct free ports in the range, skipping owned and busy ones', async () => {
    // Leave only a handful of candidates: every port but ten is owned by some member.
    const candidates = [localPortMin + 11, localPortMin + 222, localPortMin + 3333, localPortMin + 4444, localPortMin + 5555, localPortMin + 6666, localPortMin + 7000, localPortMin + 7100, localPortMin + 7200, localPortMin + 7300];
    const taken = new Set<number>();
    for (let port = localPortMin; port <= localPortMax; port++) if (!candidates.includes(port)) taken.add(port);
    const busy = await listen(candidates[0]!);
    try {
      const ports = await localPorts(4, taken);
      expect(new Set(ports).size).toBe(4);
      for (const port of ports) {
        expect(candidates).toContain(port);
        expect(port).not.toBe(candidates[0]);
      }
    } finally {
      busy.close();
    }
  });

  it('says so when the range has no free port left', async () => {
    const taken = new Set<number>();
    for (let port = localPortMin; port <= localPortMax; port++) taken.add(port);
    await expect(localPorts(1, taken)).rejects.toThrow(`No free loopback ports between ${localPortMin} and ${localPortMax}.`);
  });

  it('stays below the ephemeral range and the range the tests’ own clusters use', () => {
    expect(localPortMin).toBeGreaterThan(1023);
    expect(localPortMax).toBeLessThan(20_000);
  });

  it('reads the ports saved connections name on this machine, in every endpoint form', () => {
    const endpoints = ['127.0.0.1:12379', 'http://localhost:13000/', 'https://[::1]:14000', '127.1.2.3:15000', '10.0.0.1:16000', 'etcd.example:17000', 'http://192.168.1.2:18000'];
    expect(loopbackPorts(endpoints)).toEqual([12379, 13000, 14000, 15000]);
  });
});
