// Ports for local cluster members, from a fixed range below the ephemeral one (32768–60999 on
// Linux), where outgoing connections would otherwise take a stopped member's port before it starts
// again, and below the range the tests' own clusters use (test/support/ports.ts: 20000–32000), so a
// test's etcd never takes a local member's port while it restarts. A port is handed out only if
// binding it on 127.0.0.1 works now and nothing the console knows of owns it: no local member,
// running or stopped, and no saved connection to a loopback endpoint. Probing starts at a random
// place, so consoles (or test processes) allocating at once do not walk the same ports in the same
// order, as a scan from the bottom would. It owns choosing ports; binding them is the members'.
import net from 'node:net';
import { AdminFailure } from './result.js';

/** The range local members' client and peer ports come from (inclusive). */
export const localPortMin = 12_000;
export const localPortMax = 19_999;
/** Binds tried before giving up (owned ports are skipped without one). */
const probesMax = 400;

/** Whether binding `port` on 127.0.0.1 works now (the probe is closed again at once). */
export function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * `count` distinct free ports from the range, none in `taken`. Probing starts at a random place
 * in the range so that consoles on one machine (different users) rarely probe the same ports.
 */
export async function localPorts(count: number, taken: ReadonlySet<number>): Promise<number[]> {
  const span = localPortMax - localPortMin + 1;
  const start = Math.floor(Math.random() * span);
  const chosen: number[] = [];
  let probes = 0;
  for (let offset = 0; offset < span && probes < probesMax && chosen.length < count; offset++) {
    const port = localPortMin + ((start + offset) % span);
    if (taken.has(port)) continue;
    probes++;
    if (await canBind(port)) chosen.push(port);
  }
  if (chosen.length < count) throw new AdminFailure('resource_exhausted', `No free loopback ports between ${localPortMin} and ${localPortMax}.`);
  return chosen;
}

/** Hosts that name this machine's loopback interface in an endpoint. */
const loopbackHost = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/i;

/** The ports of the loopback endpoints among `endpoints` (`host:port` or `http(s)://host:port`). */
export function loopbackPorts(endpoints: readonly string[]): number[] {
  const ports: number[] = [];
  for (const endpoint of endpoints) {
    const match = /^(?:https?:\/\/)?(.+):(\d+)\/?$/.exec(endpoint);
    if (match && loopbackHost.test(match[1]!)) ports.push(Number(match[2]));
  }
  return ports;
}
