// The saved connections and their etcd clients. A client is created on first use and closed when
// its connection is removed or the service closes. Secrets (password, client key) stay here and
// never appear in a ConnectionSummary. Optionally persisted to a JSON file (mode 0600), without
// passwords; a password is kept across restarts only when the user asked and the host provides a
// secret store (secretFile.ts), otherwise it must be entered again after a restart. A connection
// through an SSH host gets a tunnel (sshTunnel.ts), opened by `ready` before its client is used
// and closed with it; the SSH secrets are kept like the password, the learned host key is saved.
import { randomUUID } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { EtcdClient } from '../client/etcdClient.js';
import type { EtcdClientOptions } from '../client/etcdClient.js';
import type { ConnectionConfig, ConnectionProbe, ConnectionSummary, EditableConnection, SshConfig } from './api.js';
import type { InspectionAccess } from './raftInspection.js';
import { AdminFailure } from './result.js';
import type { SecretFile } from './secretFile.js';
import { SshTunnel } from './sshTunnel.js';

/** Most saved connections. */
export const connectionsMax = 100;
/** Deadline of calls made to test a connection. */
export const probeTimeoutMs = 3_000;
/** Deadline of the console's ordinary calls. */
export const consoleCallTimeoutMs = 10_000;

interface Entry {
  id: string;
  config: ConnectionConfig;
  client: EtcdClient | null;
  /** The SSH tunnel of a connection through an SSH host, once opened. */
  tunnel: SshTunnel | null;
  /** True once the tunnel forwards the configured endpoints. */
  forwarded: boolean;
  /** True once it also forwards every member's client URL (from the member list). */
  membersForwarded: boolean;
}

/** The SSH login's secrets, the fields of SshConfig that never reach the settings file. */
type SshSecrets = Pick<SshConfig, 'password' | 'privateKeyPem' | 'passphrase'>;

function sshSecretsOf(ssh: SshConfig | undefined): SshSecrets | null {
  if (!ssh) return null;
  const secrets: SshSecrets = {};
  if (ssh.password !== undefined) secrets.password = ssh.password;
  if (ssh.privateKeyPem !== undefined) secrets.privateKeyPem = ssh.privateKeyPem;
  if (ssh.passphrase !== undefined) secrets.passphrase = ssh.passphrase;
  return Object.keys(secrets).length > 0 ? secrets : null;
}

function withoutSshSecrets(ssh: SshConfig): SshConfig {
  const { password: _password, privateKeyPem: _key, passphrase: _passphrase, ...kept } = ssh;
  return kept;
}

/** Where a connection's SSH secrets are kept in the secret file. */
function sshSecretId(connectionId: string): string {
  return `${connectionId}/ssh`;
}

function sameSshHost(a: SshConfig | undefined, b: SshConfig | undefined): boolean {
  return a !== undefined && b !== undefined && a.host === b.host && a.port === b.port && a.username === b.username;
}

/** The client options for a connection config. */
export function clientOptions(config: ConnectionConfig, callTimeoutMs: number, dialer?: SshTunnel): EtcdClientOptions {
  const tls = config.tls
    ? {
        insecureSkipVerify: config.tls.skipVerify,
        ...(config.tls.caPem === undefined ? {} : { caPem: config.tls.caPem }),
        ...(config.tls.certPem === undefined ? {} : { certPem: config.tls.certPem }),
        ...(config.tls.keyPem === undefined ? {} : { keyPem: config.tls.keyPem }),
      }
    : undefined;
  const auth = config.username === undefined ? undefined : { username: config.username, password: config.password ?? '' };
  return { endpoints: config.endpoints, callTimeoutMs, ...(tls ? { tls } : {}), ...(auth ? { auth } : {}), ...(dialer ? { dialer } : {}) };
}

function summary(entry: Entry, secrets: SecretFile | null): ConnectionSummary {
  const { config } = entry;
  return {
    id: entry.id,
    name: config.name,
    endpoints: [...config.endpoints],
    tlsEnabled: config.tls !== undefined,
    skipVerify: config.tls?.skipVerify ?? false,
    username: config.username ?? null,
    hasPassword: config.password !== undefined,
    passwordSaved: config.password !== undefined && secrets?.get(entry.id) !== undefined,
    ...(config.ssh ? { ssh: { host: config.ssh.host, port: config.ssh.port, username: config.ssh.username, hostKeySha256: config.ssh.hostKeySha256 ?? null } } : {}),
  };
}

/**
 * Connects with `config` once (through its SSH host, if any, whose host key it reports), reads the
 * cluster's identity, and disconnects.
 */
export async function probeConnection(config: ConnectionConfig): Promise<ConnectionProbe> {
  const tunnel = config.ssh ? new SshTunnel(config.ssh) : null;
  try {
    if (tunnel) {
      await tunnel.connect();
      for (const endpoint of config.endpoints) await tunnel.forward(endpoint);
    }
    const probe = await probeThrough(config, tunnel);
    return tunnel?.fingerprint ? { ...probe, sshHostKeySha256: tunnel.fingerprint } : probe;
  } finally {
    tunnel?.close();
  }
}

async function probeThrough(config: ConnectionConfig, tunnel: SshTunnel | null): Promise<ConnectionProbe> {
  const client = new EtcdClient(clientOptions(config, probeTimeoutMs, tunnel ?? undefined));
  try {
    const status = await client.maintenance.status();
    const members = await client.cluster.memberList();
    return {
      version: status.version,
      clusterId: status.header.clusterId,
      leaderId: status.leader,
      memberCount: members.members.length,
      revision: status.header.revision,
      endpoint: client.currentEndpoint,
    };
  } finally {
    client.close();
  }
}

export class ConnectionRegistry {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly stateFile: string | null = null,
    private readonly secrets: SecretFile | null = null,
  ) {}

  /** Whether a password can be kept across restarts here. */
  get canSavePasswords(): boolean {
    return this.secrets !== null;
  }

  /** Loads saved connections from the state file, if there is one. */
  async load(): Promise<void> {
    if (this.stateFile === null) return;
    const text = await readFile(this.stateFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw error;
    });
    if (text === null) return;
    await this.secrets?.load();
    const saved = JSON.parse(text) as { id: string; config: ConnectionConfig }[];
    for (const { id, config } of saved.slice(0, connectionsMax)) {
      const password = this.secrets?.get(id);
      const next: ConnectionConfig = password === undefined ? config : { ...config, password };
      const sshSecrets = this.secrets?.get(sshSecretId(id));
      if (next.ssh && sshSecrets !== undefined) next.ssh = { ...next.ssh, ...(JSON.parse(sshSecrets) as SshSecrets) };
      this.entries.set(id, { id, config: next, client: null, tunnel: null, forwarded: false, membersForwarded: false });
    }
  }

  list(): ConnectionSummary[] {
    return [...this.entries.values()].map((entry) => summary(entry, this.secrets));
  }

  async add(config: ConnectionConfig): Promise<ConnectionSummary> {
    if (this.entries.size >= connectionsMax) {
      throw new AdminFailure('resource_exhausted', `At most ${connectionsMax} connections can be saved.`);
    }
    if ([...this.entries.values()].some((entry) => entry.config.name === config.name)) {
      throw new AdminFailure('already_exists', `A connection named "${config.name}" already exists.`);
    }
    const entry: Entry = { id: randomUUID(), config, client: null, tunnel: null, forwarded: false, membersForwarded: false };
    this.entries.set(entry.id, entry);
    await this.save();
    if (config.rememberPassword && config.password !== undefined) await this.secrets?.set(entry.id, config.password);
    await this.saveSshSecrets(entry);
    return summary(entry, this.secrets);
  }

  /**
   * The id of the saved connection `connectionId`, or of the one named like `config`, adding
   * `config` when neither exists (a local cluster coming back after a restart).
   */
  async ensure(connectionId: string, config: ConnectionConfig): Promise<string> {
    if (this.entries.has(connectionId)) return connectionId;
    const named = [...this.entries.values()].find((entry) => entry.config.name === config.name);
    return named ? named.id : (await this.add(config)).id;
  }

  /** `config` with the password and client key it leaves out taken from the saved connection. */
  withSecretsOf(connectionId: string, config: ConnectionConfig): ConnectionConfig {
    const saved = this.entry(connectionId).config;
    const next: ConnectionConfig = { ...config };
    if (next.password === undefined && next.username !== undefined && saved.password !== undefined) next.password = saved.password;
    if (next.tls && next.tls.keyPem === undefined && saved.tls?.keyPem !== undefined) next.tls = { ...next.tls, keyPem: saved.tls.keyPem };
    if (next.ssh && sshSecretsOf(next.ssh) === null && sameSshHost(next.ssh, saved.ssh)) next.ssh = { ...next.ssh, ...sshSecretsOf(saved.ssh) };
    return next;
  }

  /** A connection's settings without its secrets (the edit form's starting point). */
  editable(connectionId: string): EditableConnection {
    const { config } = this.entry(connectionId);
    const { password: _password, rememberPassword: _remember, ...kept } = config;
    const shown: ConnectionConfig = { ...kept };
    if (config.tls) {
      const { keyPem: _keyPem, ...tls } = config.tls;
      shown.tls = tls;
    }
    if (config.ssh) shown.ssh = withoutSshSecrets(config.ssh);
    return {
      config: shown,
      hasPassword: config.password !== undefined,
      hasClientKey: config.tls?.keyPem !== undefined,
      hasSshPassword: config.ssh?.password !== undefined,
      hasSshKey: config.ssh?.privateKeyPem !== undefined,
    };
  }

  /** Replaces a connection's settings, keeping its saved secrets where asked; its client is made again. */
  async update(connectionId: string, config: ConnectionConfig, keep: { password: boolean; clientKey: boolean; sshSecrets?: boolean }): Promise<ConnectionSummary> {
    const entry = this.entry(connectionId);
    if ([...this.entries.values()].some((other) => other !== entry && other.config.name === config.name)) {
      throw new AdminFailure('already_exists', `A connection named "${config.name}" already exists.`);
    }
    const previous = entry.config;
    let next: ConnectionConfig = { ...config };
    if (next.password === undefined && keep.password && previous.password !== undefined && next.username !== undefined) next.password = previous.password;
    if (next.tls && next.tls.keyPem === undefined && keep.clientKey && previous.tls?.keyPem !== undefined) next = { ...next, tls: { ...next.tls, keyPem: previous.tls.keyPem } };
    if (next.ssh && keep.sshSecrets === true && sshSecretsOf(next.ssh) === null && sameSshHost(next.ssh, previous.ssh)) next = { ...next, ssh: { ...next.ssh, ...sshSecretsOf(previous.ssh) } };
    entry.config = next;
    this.disconnect(entry);
    await this.save();
    await this.saveSshSecrets(entry);
    if (next.password === undefined) await this.secrets?.set(connectionId, null);
    else if (config.password !== undefined) await this.secrets?.set(connectionId, config.rememberPassword ? config.password : null);
    return summary(entry, this.secrets);
  }

  /**
   * Points a saved connection at other endpoints (a local cluster that gained or lost a member);
   * its client is closed and made again on next use.
   */
  async setEndpoints(connectionId: string, endpoints: string[]): Promise<void> {
    const entry = this.entry(connectionId);
    entry.config = { ...entry.config, endpoints: [...endpoints] };
    this.disconnect(entry);
    await this.save();
  }

  async remove(connectionId: string): Promise<void> {
    const entry = this.entry(connectionId);
    this.disconnect(entry);
    this.entries.delete(connectionId);
    await this.save();
    await this.secrets?.set(connectionId, null);
    await this.secrets?.set(sshSecretId(connectionId), null);
  }

  /** Throws not_found when the connection does not exist. */
  check(connectionId: string): void {
    this.entry(connectionId);
  }

  /**
   * Opens what the connection needs before `client` may be used: for one through an SSH host,
   * logs in (again, after a drop: a changed host key, a wrong password or key fail here in words)
   * and forwards the endpoints and, once, every member's client URL as the bastion sees it.
   */
  async ready(connectionId: string): Promise<void> {
    const entry = this.entry(connectionId);
    const ssh = entry.config.ssh;
    if (!ssh) return;
    entry.tunnel ??= new SshTunnel(ssh, (fingerprint) => void this.pin(entry, fingerprint));
    const tunnel = entry.tunnel;
    await tunnel.connect();
    if (!entry.forwarded) {
      for (const endpoint of entry.config.endpoints) await tunnel.forward(endpoint);
      entry.forwarded = true;
    }
    if (entry.membersForwarded) return;
    // Best effort: a cluster that does not answer now fails the call itself, and this is tried again.
    const members = await this.client(connectionId).cluster.memberList().then(
      (list) => list.members,
      () => null,
    );
    if (members === null) return;
    for (const url of members.flatMap((member) => member.clientUrls)) await tunnel.forward(url);
    entry.membersForwarded = true;
  }

  /**
   * For a connection through an SSH host whose call failed to connect: the SSH failure behind it
   * (the host unreachable, the login or host key refused now), or null when SSH is fine.
   */
  async sshFailure(connectionId: string): Promise<AdminFailure | null> {
    const tunnel = this.entries.get(connectionId)?.tunnel;
    if (!tunnel) return null;
    try {
      await tunnel.connect();
      return null;
    } catch (error) {
      return error instanceof AdminFailure ? error : null;
    }
  }

  /** The client of a saved connection, created on first use; one through an SSH host needs `ready` first. */
  client(connectionId: string): EtcdClient {
    const entry = this.entry(connectionId);
    if (entry.config.ssh && !entry.forwarded) {
      throw new AdminFailure('unavailable', `The SSH tunnel through ${entry.config.ssh.host} is not open yet; try again.`);
    }
    entry.client ??= new EtcdClient(clientOptions(entry.config, consoleCallTimeoutMs, entry.tunnel ?? undefined));
    return entry.client;
  }

  /** A saved connection's whole settings, secrets included: for the service's own clients, never for the renderer. */
  config(connectionId: string): ConnectionConfig {
    return this.entry(connectionId).config;
  }

  /** The TLS settings of a saved connection (for calls outside the etcd client). */
  tls(connectionId: string): ConnectionConfig['tls'] {
    return this.entry(connectionId).config.tls;
  }

  /** How the raft inspection calls reach a connection's members: its TLS, and its SSH tunnel's forwards. */
  inspectionAccess(connectionId: string): InspectionAccess {
    const entry = this.entry(connectionId);
    const tunnel = entry.tunnel;
    return { tls: entry.config.tls, dial: tunnel ? (hostPort) => tunnel.localAddress(hostPort) : undefined };
  }

  /** The TLS settings of a connection, or null when it has none or no longer exists. */
  tlsOrNull(connectionId: string): ConnectionConfig['tls'] | null {
    return this.entries.get(connectionId)?.config.tls ?? null;
  }

  close(): void {
    for (const entry of this.entries.values()) this.disconnect(entry);
  }

  /** Closes the connection's client and SSH tunnel; both are made again on next use. */
  private disconnect(entry: Entry): void {
    entry.client?.close();
    entry.client = null;
    entry.tunnel?.close();
    entry.tunnel = null;
    entry.forwarded = false;
    entry.membersForwarded = false;
  }

  /** Saves the host key the first SSH connection learned: later connections insist on it. */
  private async pin(entry: Entry, fingerprint: string): Promise<void> {
    if (!entry.config.ssh || entry.config.ssh.hostKeySha256 !== undefined || this.entries.get(entry.id) !== entry) return;
    entry.config = { ...entry.config, ssh: { ...entry.config.ssh, hostKeySha256: fingerprint } };
    await this.save();
  }

  /** Keeps the SSH secrets in the secret file when the user asked to remember secrets; forgets them otherwise. */
  private async saveSshSecrets(entry: Entry): Promise<void> {
    const secrets = sshSecretsOf(entry.config.ssh);
    await this.secrets?.set(sshSecretId(entry.id), secrets !== null && entry.config.rememberPassword === true ? JSON.stringify(secrets) : null);
  }

  private entry(connectionId: string): Entry {
    const entry = this.entries.get(connectionId);
    if (!entry) throw new AdminFailure('not_found', 'That connection no longer exists; pick another on the Connections page.');
    return entry;
  }

  private async save(): Promise<void> {
    if (this.stateFile === null) return;
    const saved = [...this.entries.values()].map(({ id, config }) => {
      const { password: _password, rememberPassword: _remember, ...kept } = config;
      return { id, config: kept.ssh ? { ...kept, ssh: withoutSshSecrets(kept.ssh) } : kept };
    });
    const temporary = `${this.stateFile}.tmp`;
    await writeFile(temporary, JSON.stringify(saved, null, 2), { mode: 0o600 });
    await rename(temporary, this.stateFile);
  }
}
