// A real OpenSSH server for tests: `sshd -D` on 127.0.0.1 with a generated configuration, host key
// and authorized key (an unencrypted and a passphrase-protected ed25519 key), in a temporary
// directory. In front of it a TCP relay the test controls: cutting it drops every SSH connection
// (the tunnel must come back), holding it refuses new ones. Runs as whoever runs the tests (root
// in CI, which sshd needs for a login as root; it also needs /run/sshd, which the package's
// service would make and this makes when missing).
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { pollUntil, stopProcess } from './memberProcess.js';
import { freePorts } from './ports.js';

const run = promisify(execFile);
export const sshdPath = '/usr/sbin/sshd';
/** The passphrase of the protected test key. */
export const keyPassphrase = 'correct horse battery staple';
/** Time sshd gets to exit after SIGTERM. */
const stopTimeoutMs = 5_000;

/** Why sshd cannot run here, or null when it can. */
export function sshdUnavailable(): string | null {
  if (!existsSync(sshdPath)) return `${sshdPath} is missing (apt-get install openssh-server)`;
  if (process.getuid?.() !== 0) return 'sshd must run as root to log in as the test user';
  return null;
}

async function keyPair(file: string, passphrase: string): Promise<{ privateKeyPem: string; publicKey: string; fingerprint: string }> {
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', 'rafter-test', '-f', file]);
  const { stdout } = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`]);
  return { privateKeyPem: await readFile(file, 'utf8'), publicKey: await readFile(`${file}.pub`, 'utf8'), fingerprint: stdout.split(' ')[1]! };
}

export class SshServer {
  private child: ChildProcess | undefined;
  private relay: net.Server | null = null;
  private readonly relayed = new Set<net.Socket>();
  private held = false;
  /** SSH connections the relay has passed to sshd. */
  connectionsRelayed = 0;

  private constructor(
    readonly dir: string,
    /** The relay's port: where clients connect. */
    readonly port: number,
    private readonly sshdPort: number,
    readonly username: string,
    readonly key: { privateKeyPem: string; fingerprint: string },
    readonly protectedKey: { privateKeyPem: string },
    /** A key sshd does not accept. */
    readonly strangerKey: { privateKeyPem: string },
    /** Fingerprints of the two host keys: the one in use first, and the one `changeHostKey` switches to. */
    readonly hostKeys: { first: string; second: string },
  ) {}

  static async start(): Promise<SshServer> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'rafter-sshd-'));
    const [relayPort, sshdPort] = await freePorts(2);
    const key = await keyPair(path.join(dir, 'user'), '');
    const protectedKey = await keyPair(path.join(dir, 'protected'), keyPassphrase);
    const strangerKey = await keyPair(path.join(dir, 'stranger'), '');
    const first = await keyPair(path.join(dir, 'host1'), '');
    const second = await keyPair(path.join(dir, 'host2'), '');
    await writeFile(path.join(dir, 'authorized_keys'), key.publicKey + protectedKey.publicKey, { mode: 0o600 });
    const server = new SshServer(dir, relayPort!, sshdPort!, os.userInfo().username, key, protectedKey, strangerKey, { first: first.fingerprint, second: second.fingerprint });
    if (!existsSync('/run/sshd')) await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
    await server.startSshd('host1');
    await server.startRelay();
    return server;
  }

  /** Stops sshd and starts it again with the other host key (the relay stays). */
  async changeHostKey(): Promise<void> {
    await stopProcess(this.child, 'SIGTERM', stopTimeoutMs);
    await this.startSshd('host2');
  }

  /** Drops every SSH connection through the relay (sshd keeps running). */
  cut(): void {
    for (const socket of this.relayed) socket.destroy();
    this.relayed.clear();
  }

  /** While held, new connections through the relay are closed at once. */
  hold(held: boolean): void {
    this.held = held;
  }

  /** What sshd logged. */
  async logText(): Promise<string> {
    return readFile(this.logFile, 'utf8').catch(() => '');
  }

  private get logFile(): string {
    return path.join(this.dir, 'sshd.log');
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => (this.relay ? this.relay.close(() => resolve()) : resolve()));
    await stopProcess(this.child, 'SIGTERM', stopTimeoutMs);
    await rm(this.dir, { recursive: true, force: true });
  }

  private async startSshd(hostKey: string): Promise<void> {
    const config = path.join(this.dir, 'sshd_config');
    await writeFile(
      config,
      [
        `Port ${this.sshdPort}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${path.join(this.dir, hostKey)}`,
        `PidFile ${path.join(this.dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${path.join(this.dir, 'authorized_keys')}`,
        'PermitRootLogin yes',
        'PasswordAuthentication yes',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes no',
        'AllowTcpForwarding yes',
        'LogLevel VERBOSE',
        '',
      ].join('\n'),
    );
    // The log goes to a file: a pipe would stay open in the per-connection processes sshd forks.
    this.child = spawn(sshdPath, ['-D', '-E', this.logFile, '-f', config], { stdio: 'ignore' });
    await pollUntil(
      () =>
        new Promise<boolean>((resolve) => {
          const probe = net.connect(this.sshdPort, '127.0.0.1');
          probe.once('data', () => {
            probe.destroy();
            resolve(true);
          });
          probe.once('error', () => resolve(false));
        }),
      { pollsMax: 200, pauseMs: 25, failure: () => new Error(`sshd did not start on port ${this.sshdPort}; see ${this.logFile}`) },
    );
  }

  private async startRelay(): Promise<void> {
    const relay = net.createServer((socket) => {
      if (this.held) {
        socket.destroy();
        return;
      }
      this.connectionsRelayed++;
      const upstream = net.connect(this.sshdPort, '127.0.0.1');
      this.relayed.add(socket);
      for (const end of [socket, upstream]) {
        end.on('error', () => undefined);
        end.once('close', () => {
          socket.destroy();
          upstream.destroy();
          this.relayed.delete(socket);
        });
      }
      socket.pipe(upstream).pipe(socket);
    });
    await new Promise<void>((resolve) => relay.listen(this.port, '127.0.0.1', resolve));
    this.relay = relay;
  }
}
