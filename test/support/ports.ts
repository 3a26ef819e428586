// Free loopback ports for tests. Ports come from below the ephemeral range (32768–60999), which
// outgoing connections take from, and each test process starts from its own offset so parallel
// workers rarely probe the same port. Every candidate is checked by binding it.
import net from 'node:net';

const portLow = 20_000;
const portHigh = 32_000;
let cursor = portLow + ((process.pid * 97) % (portHigh - portLow));

function canBind(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Returns `count` distinct ports on 127.0.0.1 that were free a moment ago. */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const ports: number[] = [];
  for (let tries = 0; ports.length < count; tries++) {
    if (tries > 2_000) throw new Error(`no free port found in ${portLow}-${portHigh}`);
    cursor = cursor + 1 >= portHigh ? portLow : cursor + 1;
    // The candidate is read before the await: concurrent callers move the cursor meanwhile.
    const candidate = cursor;
    if (await canBind(candidate, host)) ports.push(candidate);
  }
  return ports;
}
