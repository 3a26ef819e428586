// `--advertise-client-url`, `--resolver-prefix`, `--resolver-ttl`: the proxy registers its address
// under `<prefix>/<address>` (inside the namespace, if any) with a lease of the TTL it keeps
// alive, in etcd's format ({"Op":0,"Addr":…,"Metadata":"{\"name\":\"<host>\"}"}), so proxies
// sharing a prefix find each other; MemberList through a proxy then lists the registered proxies,
// as etcd's grpc-proxy answers it. A lost lease (expired while the cluster was unreachable) is
// replaced by registering again.
import os from 'node:os';
import type * as admin from '../api/proto/adminMessages.js';
import type { LeaseKeepAlive } from '../client/leaseKeepAlive.js';
import type { Namespace } from './namespace.js';
import type { ProxyDirectory } from './proxyServices.js';
import type { CallContext, Upstream } from './upstream.js';

/** Pause before registering again after a failure. */
export const registerRetryMs = 1_000;
/** Registered proxies listed at most. */
export const registeredProxiesMax = 1_000;

export interface RegistrationOptions {
  /** host:port clients reach the proxy at; empty: MemberList is forwarded to the cluster. */
  readonly advertiseClientUrl: string;
  /** Empty: the proxy does not register and lists only itself. */
  readonly resolverPrefix: string;
  readonly resolverTtlSeconds: number;
}

interface Update {
  readonly Op: number;
  readonly Addr: string;
  readonly Metadata?: string;
}

export class Registration implements ProxyDirectory {
  private keepAlive: LeaseKeepAlive | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly hostname = os.hostname();

  constructor(
    private readonly upstream: Upstream,
    private readonly namespace: Namespace | undefined,
    private readonly options: RegistrationOptions,
    private readonly log: (message: string) => void,
  ) {}

  private get key(): Buffer {
    const key = Buffer.from(`${this.options.resolverPrefix}/${this.options.advertiseClientUrl}`);
    return this.namespace ? this.namespace.key(key) : key;
  }

  /** Starts registering (and keeps at it until stop()); a no-op without a resolver prefix. */
  start(): void {
    if (this.options.resolverPrefix === '' || this.options.advertiseClientUrl === '') return;
    void this.register();
  }

  private async register(): Promise<void> {
    if (this.stopped) return;
    try {
      const client = this.upstream.client;
      const lease = await client.lease.grant(this.options.resolverTtlSeconds);
      const update: Update = { Op: 0, Addr: this.options.advertiseClientUrl, Metadata: JSON.stringify({ name: this.hostname }) };
      await client.kv.put(this.key, JSON.stringify(update), { lease: lease.id });
      if (this.stopped) {
        await client.lease.revoke(lease.id).catch(() => undefined);
        return;
      }
      this.log(`registered ${JSON.stringify(this.options.advertiseClientUrl)} with ${lease.ttl}-second lease`);
      const keepAlive = client.lease.keepAlive(lease.id);
      this.keepAlive = keepAlive;
      void (async () => {
        try {
          for await (const renewal of keepAlive) void renewal;
        } catch (error) {
          this.log(`registration lease lost (${error instanceof Error ? error.message : String(error)}); registering again`);
        }
        if (this.keepAlive === keepAlive && !this.stopped) this.retry();
      })();
    } catch (error) {
      this.log(`registering failed (${error instanceof Error ? error.message : String(error)}); retrying`);
      this.retry();
    }
  }

  private retry(): void {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.register(), registerRetryMs);
  }

  /** The proxies MemberList answers with, or null to forward MemberList to the cluster. */
  async members(context: CallContext): Promise<admin.Member[] | null> {
    const advertised = this.options.advertiseClientUrl;
    if (advertised === '') return null;
    const self: admin.Member[] = [{ ID: '0', name: this.hostname, peerURLs: [], clientURLs: [advertised], isLearner: false }];
    if (this.options.resolverPrefix === '') return self;
    const prefix = Buffer.from(`${this.options.resolverPrefix}/`);
    const range = this.namespace ? this.namespace.key(prefix) : prefix;
    const end = Buffer.from(range);
    end[end.length - 1]! += 1;
    const response = await this.upstream.unary<{ kvs: { value: Buffer }[] }>(
      'etcdserverpb.KV', 'Range', { key: range, range_end: end, limit: registeredProxiesMax, serializable: true }, context, true,
    );
    const members: admin.Member[] = [];
    for (const kv of response.kvs) {
      try {
        const update = JSON.parse(kv.value.toString('utf8')) as Update;
        const metadata = update.Metadata ? (JSON.parse(update.Metadata) as { name?: string }) : {};
        members.push({ ID: '0', name: metadata.name ?? '', peerURLs: [], clientURLs: [update.Addr], isLearner: false });
      } catch {
        // Not a registration: skipped, as etcd's resolver skips updates it cannot decode.
      }
    }
    return members.length > 0 ? members : self;
  }

  /** Stops renewing and deletes the registration (best effort). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const keepAlive = this.keepAlive;
    this.keepAlive = undefined;
    keepAlive?.close();
    if (keepAlive) await this.upstream.client.lease.revoke(keepAlive.id, { timeoutMs: 1_000 }).catch(() => undefined);
  }
}
