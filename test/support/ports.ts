// Free loopback ports for tests. Ports come from below the ephemeral range (32768–60999), which
// outgoing connections take from, and each test process starts from its own offset so parallel
// workers rarely probe the same port. Every candidate is checked by binding it.
//
// A port handed out stays claimed by this process until it exits, through a claim file that
// other test processes respect: a member killed and restarted by a test leaves its ports unbound
// in between, and another test process running at the same time must not take them then (it
// would either make the restart fail or, worse, answer in the member's place).
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const portLow = 20_000;
const portHigh = 32_000;
const claimsDir = path.join(os.tmpdir(), 'rafter-test-ports');
let cursor = portLow + ((process.pid * 97) % (portHigh - portLow));
const claimed: string[] = [];

function canBind(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Claims `port` for this process unless a live process holds it; a dead holder's claim is taken over. */
function claim(port: number): boolean {
  const file = path.join(claimsDir, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      claimed.push(file);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(fs.readFileSync(file, 'utf8'));
      if (holder === process.pid || (Number.isInteger(holder) && holder > 0 && isAlive(holder))) return false;
      fs.rmSync(file, { force: true });
    }
  }
  return false;
}

function releaseAll(): void {
  for (const file of claimed.splice(0)) fs.rmSync(file, { force: true });
}

let exitHookSet = false;

/** Returns `count` distinct ports on 127.0.0.1 that were free a moment ago, claimed for this process. */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  fs.mkdirSync(claimsDir, { recursive: true });
  if (!exitHookSet) {
    exitHookSet = true;
    process.once('exit', releaseAll);
  }
  const ports: number[] = [];
  for (let tries = 0; ports.length < count; tries++) {
    if (tries > 2_000) throw new Error(`no free port found in ${portLow}-${portHigh}`);
    cursor = cursor + 1 >= portHigh ? portLow : cursor + 1;
    // The candidate is read before the await: concurrent callers move the cursor meanwhile.
    const candidate = cursor;
    if (!claim(candidate)) continue;
    if (await canBind(candidate, host)) ports.push(candidate);
  }
  return ports;
}
