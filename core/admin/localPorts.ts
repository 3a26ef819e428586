// Ports for local cluster members, from a fixed range below the ephemeral one (32768–60999 on
// Linux), where outgoing connections would otherwise take a stopped member's port before it starts
// again. A port is handed out only if binding it on 127.0.0.1 works now and no local member, running
// or stopped, already owns it. It owns choosing ports; binding them is the members'.
import net from 'node:net';
import { AdminFailure } from './result.js';

/** The range local members' client and peer ports come from (inclusive). */
export const localPortMin = 12_000;
export const localPortMax = 19_999;
/** Binds tried before giving up (owned ports are skipped without one). */
const probesMax = 400;

function canBind(port: number): Promise<boolean> {
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
