// A real etcd for tests: starts 1 or 3 members of the system `etcd` on 127.0.0.1 with free ports,
// data in a temporary directory, optional TLS on the client port (with client-certificate auth),
// waits until every member is healthy by polling it with the Rafter client (bounded), and stops
// and removes everything afterwards. Members can be stopped, restarted and joined one by one.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EtcdClient } from '../../core/client/etcdClient.js';
import type { EtcdClientOptions } from '../../core/client/etcdClient.js';
import type { TlsOptions } from '../../core/client/credentials.js';
import { isRunning, pollUntil, spawnMember, stopProcess } from './memberProcess.js';
import { freePorts } from './ports.js';
import type { TestCertificates } from './tls.js';

/** Health polls per member before start fails (each waits up to healthPollTimeoutMs). */
export const healthPollsMax = 300;
export const healthPollTimeoutMs = 500;
/** Pause between two health polls of a member that answered but is not ready. */
export const healthPollPauseMs = 50;
/** Time a member gets to exit after SIGTERM before it is killed. */
export const stopTimeoutMs = 5_000;
/** Lines of a member's log kept for error messages. */
export const logLinesMax = 60;

export interface EtcdTlsSettings {
  readonly certificates: TestCertificates;
  /** Require clients to present a certificate signed by the CA. */
  readonly clientCertAuth?: boolean;
}

export interface EtcdClusterOptions {
  /** Number of members started together; default 1. */
  readonly members?: 1 | 3;
  readonly tls?: EtcdTlsSettings;
  /** More etcd flags for every member. */
  readonly extraArgs?: readonly string[];
}

/** One etcd process and its addresses. */
export interface EtcdMember {
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
  /** `http(s)://127.0.0.1:port`. */
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  process: ChildProcess | undefined;
  readonly log: string[];
  /** The --initial-cluster and --initial-cluster-state it was first started with. */
  readonly initialCluster: string;
  readonly initialState: 'new' | 'existing';
}

/** A running etcd cluster for one test file. Call stop() in afterAll/afterEach. */
export class EtcdTestCluster {
  private readonly clients: EtcdClient[] = [];
  /** Members whose process could not be started at all (e.g. no etcd binary). */
  private readonly spawnErrors = new Map<EtcdMember, Error>();

  private constructor(
    readonly baseDir: string,
    readonly members: EtcdMember[],
    private readonly options: EtcdClusterOptions,
  ) {}

  /** Starts the members and waits until each is healthy and the cluster has a leader. */
  static async start(options: EtcdClusterOptions = {}): Promise<EtcdTestCluster> {
    const count = options.members ?? 1;
    const baseDir = await fs.mkdtemp(path.join(os.tmpdir(), 'rafter-etcd-'));
    const ports = await freePorts(count * 2);
    const scheme = options.tls ? 'https' : 'http';
    const names = Array.from({ length: count }, (_, index) => `m${index + 1}`);
    const initialCluster = names.map((name, index) => `${name}=http://127.0.0.1:${ports[index * 2 + 1]!}`).join(',');
    const members = names.map((name, index): EtcdMember => {
      const clientPort = ports[index * 2]!;
      const peerPort = ports[index * 2 + 1]!;
      return {
        name,
        clientPort,
        peerPort,
        clientUrl: `${scheme}://127.0.0.1:${clientPort}`,
        peerUrl: `http://127.0.0.1:${peerPort}`,
        dataDir: path.join(baseDir, name),
        process: undefined,
        log: [],
        initialCluster,
        initialState: 'new',
      };
    });
    const cluster = new EtcdTestCluster(baseDir, members, options);
    try {
      for (const member of members) cluster.spawn(member);
      await Promise.all(members.map((member) => cluster.waitHealthy(member)));
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** Client URLs of the members, in order. */
  get endpoints(): string[] {
    return this.members.map((member) => member.clientUrl);
  }

  /** TLS options matching the cluster (CA and, if required, the client certificate). */
  tlsOptions(): TlsOptions | undefined {
    const tls = this.options.tls;
    if (!tls) return undefined;
    const { certificates } = tls;
    return tls.clientCertAuth
      ? { caFile: certificates.caFile, certFile: certificates.clientCertFile, keyFile: certificates.clientKeyFile }
      : { caFile: certificates.caFile };
  }

  /** Client options for the given members (default all) with the cluster's TLS settings. */
  clientOptions(members: readonly EtcdMember[] = this.members): EtcdClientOptions {
    const tls = this.tlsOptions();
    const endpoints = members.map((member) => member.clientUrl);
    return tls ? { endpoints, tls } : { endpoints };
  }

  /** A client of this cluster, closed by stop(). */
  client(overrides: Partial<EtcdClientOptions> = {}): EtcdClient {
    const client = new EtcdClient({ ...this.clientOptions(), ...overrides });
    this.clients.push(client);
    return client;
  }

  /** Stops one member (SIGTERM, then SIGKILL after stopTimeoutMs); its data stays. */
  async stopMember(member: EtcdMember): Promise<void> {
    const child = member.process;
    member.process = undefined;
    await stopProcess(child, 'SIGTERM', stopTimeoutMs);
  }

  /** Starts a stopped member again on its data directory (with `extraArgs` for this start only) and waits until it is healthy. */
  async startMember(member: EtcdMember, extraArgs: readonly string[] = []): Promise<void> {
    this.spawn(member, extraArgs);
    await this.waitHealthy(member);
  }

  /**
   * Starts a member that joins the running cluster. Add it first with MemberAdd (as a voter or a
   * learner) using `peerUrl` from reserveMember(); then call this to run its process.
   */
  async startJoiningMember(member: EtcdMember): Promise<void> {
    this.members.push(member);
    this.spawn(member);
    await this.waitHealthy(member);
  }

  /** Addresses for a member not yet in the cluster (see startJoiningMember). */
  async reserveMember(name: string): Promise<EtcdMember> {
    const [clientPort, peerPort] = await freePorts(2);
    const scheme = this.options.tls ? 'https' : 'http';
    const peerUrl = `http://127.0.0.1:${peerPort!}`;
    const initialCluster = [...this.members.map((member) => `${member.name}=${member.peerUrl}`), `${name}=${peerUrl}`].join(',');
    return {
      name,
      clientPort: clientPort!,
      peerPort: peerPort!,
      clientUrl: `${scheme}://127.0.0.1:${clientPort!}`,
      peerUrl,
      dataDir: path.join(this.baseDir, name),
      process: undefined,
      log: [],
      initialCluster,
      initialState: 'existing',
    };
  }

  /** Closes the clients made by client(), stops every member and removes the data. */
  async stop(): Promise<void> {
    for (const client of this.clients.splice(0)) client.close();
    await Promise.all(this.members.map((member) => this.stopMember(member)));
    await fs.rm(this.baseDir, { recursive: true, force: true });
  }

  private args(member: EtcdMember, extraArgs: readonly string[]): string[] {
    const args = [
      `--name=${member.name}`,
      `--data-dir=${member.dataDir}`,
      `--listen-client-urls=${member.clientUrl}`,
      `--advertise-client-urls=${member.clientUrl}`,
      `--listen-peer-urls=${member.peerUrl}`,
      `--initial-advertise-peer-urls=${member.peerUrl}`,
      `--initial-cluster=${member.initialCluster}`,
      `--initial-cluster-state=${member.initialState}`,
      '--initial-cluster-token=rafter-test',
      '--heartbeat-interval=50',
      '--election-timeout=500',
      '--logger=zap',
      '--log-outputs=stderr',
      '--log-level=warn',
    ];
    const tls = this.options.tls;
    if (tls) {
      args.push(`--cert-file=${tls.certificates.serverCertFile}`, `--key-file=${tls.certificates.serverKeyFile}`);
      // etcd 3.4 requires client certificates as soon as it is given a trusted CA file.
      if (tls.clientCertAuth) args.push(`--trusted-ca-file=${tls.certificates.caFile}`, '--client-cert-auth');
    }
    return [...args, ...(this.options.extraArgs ?? []), ...extraArgs];
  }

  private spawn(member: EtcdMember, extraArgs: readonly string[] = []): void {
    this.spawnErrors.delete(member);
    member.process = spawnMember({
      command: 'etcd',
      args: this.args(member, extraArgs),
      log: member.log,
      logLinesMax,
      onClose: (_code, _signal, error) => {
        if (!error) return;
        member.log.push(`spawn failed: ${error.message}`);
        this.spawnErrors.set(member, error);
      },
    });
  }

  /** Polls the member until it reports a leader and serves a read (linearizable unless a learner). */
  private async waitHealthy(member: EtcdMember): Promise<void> {
    const client = new EtcdClient({ ...this.clientOptions([member]), callTimeoutMs: healthPollTimeoutMs });
    try {
      await pollUntil(
        async () => {
          const spawnError = this.spawnErrors.get(member);
          if (spawnError) throw new Error(`etcd member ${member.name} could not start: ${spawnError.message}`);
          if (!isRunning(member.process)) throw new Error(`etcd member ${member.name} exited during start:\n${member.log.join('\n')}`);
          try {
            const status = await client.maintenance.status();
            if (status.leader === '0') return false;
            // A learner serves only serializable reads.
            await client.kv.get('health', { serializable: status.isLearner });
            return true;
          } catch {
            return false; // Not listening or not ready yet: poll again.
          }
        },
        {
          pollsMax: healthPollsMax,
          pauseMs: healthPollPauseMs,
          failure: () => new Error(`etcd member ${member.name} not healthy after ${healthPollsMax} polls:\n${member.log.join('\n')}`),
        },
      );
    } finally {
      client.close();
    }
  }
}
