// An SSH tunnel to a cluster behind a bastion: one SSH connection (ssh2) and, per cluster endpoint
// as the bastion sees it, a listener on a free loopback port whose connections are forwarded
// through the bastion (direct-tcpip). gRPC and TLS run unchanged over the forwarded bytes; the
// etcd client keeps the endpoint's own name for TLS. The host key is pinned: the first connection
// learns its SHA-256 fingerprint (the registry saves it), a later one with another key is refused.
// A dropped SSH connection is made again on the next forwarded connection; the listeners stay,
// so clients reconnect on the same ports. What to save and when to open is the registry's.
import { createHash } from 'node:crypto';
import net from 'node:net';
import { Client } from 'ssh2';
import type { ConnectConfig } from 'ssh2';
import type { SshConfig } from './api.js';
import { AdminFailure } from './result.js';

/** Deadline of the SSH handshake and authentication. */
export const sshReadyTimeoutMs = 8_000;
/** Most endpoints one tunnel forwards (a connection's endpoints plus its members' client URLs). */
export const forwardsMax = 32;
/** Interval of SSH keepalives, which also detect a dead bastion. */
export const sshKeepaliveIntervalMs = 10_000;

/** A host key fingerprint as OpenSSH prints it: `SHA256:` and unpadded base64. */
export function hostKeyFingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** `host:port` of an endpoint (with or without scheme), split. */
export function endpointAddress(endpoint: string): { host: string; port: number } {
  const bare = endpoint.replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '');
  const colon = bare.lastIndexOf(':');
  return { host: bare.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(bare.slice(colon + 1)) };
}

function bastionName(config: SshConfig): string {
  return `${config.username}@${config.host}:${config.port}`;
}

/** The error ssh2 gave, as a sentence naming the bastion. */
function explain(config: SshConfig, error: Error & { level?: string }): AdminFailure {
  const where = `The SSH host ${bastionName(config)}`;
  const text = error.message;
  if (error.level === 'client-authentication' || /authentication methods failed/i.test(text)) {
    return new AdminFailure('permission_denied', `${where} refused the login: wrong password or key, or the user may not log in.`);
  }
  if (/passphrase/i.test(text) || /Cannot parse privateKey/i.test(text) || /Malformed|Unsupported key format/i.test(text)) {
    return new AdminFailure('invalid_argument', `The SSH private key could not be read (${text.replace(/^Cannot parse privateKey: /, '')}); check the key and its passphrase.`);
  }
  if (/ECONNREFUSED/.test(text)) return new AdminFailure('connection_failed', `Nothing accepts connections at the SSH host ${bastionName(config)} (connection refused).`);
  if (/ENOTFOUND|EAI_AGAIN/.test(text)) return new AdminFailure('connection_failed', `The name of the SSH host ${config.host} does not resolve.`);
  if (/Connection lost before handshake/i.test(text)) return new AdminFailure('connection_failed', `${where} closed the connection before the SSH handshake (is it an SSH server, and does it accept connections from here?).`);
  if (/Timed out while waiting for handshake/i.test(text)) return new AdminFailure('connection_failed', `${where} did not complete the SSH handshake within ${sshReadyTimeoutMs / 1000} s.`);
  return new AdminFailure('connection_failed', `SSH to ${bastionName(config)} failed: ${text}.`);
}

export class SshTunnel {
  private client: Client | null = null;
  private connecting: Promise<Client> | null = null;
  private readonly forwards = new Map<string, { server: net.Server; address: string }>();
  private readonly sockets = new Set<net.Socket>();
  private closed = false;
  /** Why the last attempt to connect failed, for callers explaining a failed forward. */
  lastError: unknown = null;
  /** The fingerprint the bastion presented on the last successful connection. */
  fingerprint: string | null;

  /**
   * `config.hostKeySha256`: the fingerprint to insist on; absent on a first connection, when the
   * key presented is learned and reported to `onLearned`.
   */
  constructor(
    private readonly config: SshConfig,
    private readonly onLearned: (fingerprint: string) => void = () => undefined,
  ) {
    this.fingerprint = config.hostKeySha256 ?? null;
  }

  /** Connects to the bastion (if not connected) and resolves when logged in. */
  async connect(): Promise<void> {
    await this.ssh();
  }

  /**
   * The loopback address (`127.0.0.1:port`) forwarding to `endpoint` as the bastion sees it,
   * opening a listener for it on first use.
   */
  async forward(endpoint: string): Promise<string> {
    const key = `${endpointAddress(endpoint).host}:${endpointAddress(endpoint).port}`;
    const known = this.forwards.get(key);
    if (known) return known.address;
    if (this.forwards.size >= forwardsMax) throw new AdminFailure('resource_exhausted', `One SSH tunnel forwards at most ${forwardsMax} endpoints.`);
    const target = endpointAddress(endpoint);
    const server = net.createServer((socket) => this.accept(socket, target));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    this.forwards.set(key, { server, address });
    return address;
  }

  /** The loopback address forwarding to `endpoint`, if one is open. */
  localAddress(endpoint: string): string | undefined {
    const { host, port } = endpointAddress(endpoint);
    return this.forwards.get(`${host}:${port}`)?.address;
  }

  close(): void {
    this.closed = true;
    for (const { server } of this.forwards.values()) server.close();
    this.forwards.clear();
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.client?.end();
    this.client = null;
  }

  private accept(socket: net.Socket, target: { host: string; port: number }): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    this.forwardSocket(socket, target, true);
  }

  /** Pipes `socket` through a direct-tcpip channel; a connection found dead is dropped and made again once. */
  private forwardSocket(socket: net.Socket, target: { host: string; port: number }, retry: boolean): void {
    this.ssh().then(
      (client) => {
        const failed = (): void => {
          if (this.client === client) this.drop(client);
          if (retry && !socket.destroyed) this.forwardSocket(socket, target, false);
          else socket.destroy();
        };
        try {
          client.forwardOut('127.0.0.1', socket.remotePort ?? 0, target.host, target.port, (error, stream) => {
            if (error) {
              // The bastion refused this one channel (nothing listens there): the SSH connection is fine.
              if ((error as Error & { reason?: number }).reason !== undefined) socket.destroy();
              else failed();
              return;
            }
            stream.on('error', () => socket.destroy());
            socket.pipe(stream).pipe(socket);
            socket.once('close', () => stream.destroy());
            stream.once('close', () => socket.destroy());
          });
        } catch {
          failed();
        }
      },
      (error: unknown) => {
        this.lastError = error;
        socket.destroy();
      },
    );
  }

  private drop(client: Client): void {
    if (this.client === client) this.client = null;
    client.end();
  }

  /** The logged-in SSH client, connecting (again, after a drop) when there is none. */
  private ssh(): Promise<Client> {
    if (this.closed) return Promise.reject(new AdminFailure('unavailable', 'The SSH tunnel was closed with its connection.'));
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= this.open().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private open(): Promise<Client> {
    const client = new Client();
    const config = this.config;
    let refused: AdminFailure | null = null;
    const options: ConnectConfig = {
      host: config.host,
      port: config.port,
      username: config.username,
      readyTimeout: sshReadyTimeoutMs,
      keepaliveInterval: sshKeepaliveIntervalMs,
      keepaliveCountMax: 3,
      hostVerifier: (key: Buffer) => {
        const presented = hostKeyFingerprint(key);
        if (this.fingerprint !== null && presented !== this.fingerprint) {
          refused = new AdminFailure(
            'failed_precondition',
            `The SSH host ${config.host}:${config.port} presented host key ${presented}, not the pinned ${this.fingerprint}. It may have been reinstalled, or someone is in the way; if the change is expected, clear the pinned key in the connection's settings.`,
          );
          return false;
        }
        return true;
      },
      ...(config.password === undefined ? {} : { password: config.password }),
      ...(config.privateKeyPem === undefined ? {} : { privateKey: config.privateKeyPem }),
      ...(config.passphrase === undefined ? {} : { passphrase: config.passphrase }),
    };
    return new Promise<Client>((resolve, reject) => {
      let settled = false;
      client.once('ready', () => {
        settled = true;
        this.client = client;
        this.lastError = null;
        // ssh2 hands the verified key to hostVerifier only; remember what was accepted.
        resolve(client);
      });
      client.on('error', (error: Error & { level?: string }) => {
        if (settled) return;
        settled = true;
        client.end();
        reject(refused ?? explain(config, error));
      });
      client.on('close', () => {
        if (this.client === client) this.client = null;
        if (!settled) {
          settled = true;
          reject(refused ?? new AdminFailure('connection_failed', `The SSH host ${bastionName(config)} closed the connection.`));
        }
      });
      const verify = options.hostVerifier as (key: Buffer) => boolean;
      options.hostVerifier = (key: Buffer) => {
        const accepted = verify(key);
        if (accepted && this.fingerprint === null) {
          this.fingerprint = hostKeyFingerprint(key);
          this.onLearned(this.fingerprint);
        }
        return accepted;
      };
      try {
        client.connect(options);
      } catch (error) {
        settled = true;
        reject(explain(config, error as Error));
      }
    });
  }
}
