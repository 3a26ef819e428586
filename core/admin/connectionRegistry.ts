// The saved connections and their etcd clients. A client is created on first use and closed when
// its connection is removed or the service closes. Secrets (password, client key) stay here and
// never appear in a ConnectionSummary. Optionally persisted to a JSON file (mode 0600), without
// passwords; a password is kept across restarts only when the user asked and the host provides a
// secret store (secretFile.ts), otherwise it must be entered again after a restart.
import { randomUUID } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { EtcdClient } from '../client/etcdClient.js';
import type { EtcdClientOptions } from '../client/etcdClient.js';
import type { ConnectionConfig, ConnectionProbe, ConnectionSummary, EditableConnection } from './api.js';
import { AdminFailure } from './result.js';
import type { SecretFile } from './secretFile.js';

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
}

/** The client options for a connection config. */
export function clientOptions(config: ConnectionConfig, callTimeoutMs: number): EtcdClientOptions {
  const tls = config.tls
    ? {
        insecureSkipVerify: config.tls.skipVerify,
        ...(config.tls.caPem === undefined ? {} : { caPem: config.tls.caPem }),
        ...(config.tls.certPem === undefined ? {} : { certPem: config.tls.certPem }),
        ...(config.tls.keyPem === undefined ? {} : { keyPem: config.tls.keyPem }),
      }
    : undefined;
  const auth = config.username === undefined ? undefined : { username: config.username, password: config.password ?? '' };
  return { endpoints: config.endpoints, callTimeoutMs, ...(tls ? { tls } : {}), ...(auth ? { auth } : {}) };
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
  };
}

/** Connects with `config` once, reads the cluster's identity, and disconnects. */
export async function probeConnection(config: ConnectionConfig): Promise<ConnectionProbe> {
  const client = new EtcdClient(clientOptions(config, probeTimeoutMs));
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
      this.entries.set(id, { id, config: password === undefined ? config : { ...config, password }, client: null });
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
    const entry: Entry = { id: randomUUID(), config, client: null };
    this.entries.set(entry.id, entry);
    await this.save();
    if (config.rememberPassword && config.password !== undefined) await this.secrets?.set(entry.id, config.password);
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
    return { config: shown, hasPassword: config.password !== undefined, hasClientKey: config.tls?.keyPem !== undefined };
  }

  /** Replaces a connection's settings, keeping its saved secrets where asked; its client is made again. */
  async update(connectionId: string, config: ConnectionConfig, keep: { password: boolean; clientKey: boolean }): Promise<ConnectionSummary> {
    const entry = this.entry(connectionId);
    if ([...this.entries.values()].some((other) => other !== entry && other.config.name === config.name)) {
      throw new AdminFailure('already_exists', `A connection named "${config.name}" already exists.`);
    }
    const previous = entry.config;
    let next: ConnectionConfig = { ...config };
    if (next.password === undefined && keep.password && previous.password !== undefined && next.username !== undefined) next.password = previous.password;
    if (next.tls && next.tls.keyPem === undefined && keep.clientKey && previous.tls?.keyPem !== undefined) next = { ...next, tls: { ...next.tls, keyPem: previous.tls.keyPem } };
    entry.config = next;
    entry.client?.close();
    entry.client = null;
    await this.save();
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
    entry.client?.close();
    entry.client = null;
    await this.save();
  }

  async remove(connectionId: string): Promise<void> {
    const entry = this.entry(connectionId);
    entry.client?.close();
    this.entries.delete(connectionId);
    await this.save();
    await this.secrets?.set(connectionId, null);
  }

  /** The client of a saved connection, created on first use. */
  client(connectionId: string): EtcdClient {
    const entry = this.entry(connectionId);
    entry.client ??= new EtcdClient(clientOptions(entry.config, consoleCallTimeoutMs));
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

  /** The TLS settings of a connection, or null when it has none or no longer exists. */
  tlsOrNull(connectionId: string): ConnectionConfig['tls'] | null {
    return this.entries.get(connectionId)?.config.tls ?? null;
  }

  close(): void {
    for (const entry of this.entries.values()) {
      entry.client?.close();
      entry.client = null;
    }
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
      return { id, config: kept };
    });
    const temporary = `${this.stateFile}.tmp`;
    await writeFile(temporary, JSON.stringify(saved, null, 2), { mode: 0o600 });
    await rename(temporary, this.stateFile);
  }
}
