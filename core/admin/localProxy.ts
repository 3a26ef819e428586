// A local cluster's grpc-proxy: `rafter grpc-proxy start` in front of the members, run as a child
// process like them (localProcess.ts), ready once it serves its own /metrics (its /health needs
// the cluster, which may be down while the proxy starts). Also reads what the proxy reports of
// itself — /health and /metrics — for the Cluster page. The proxy's work is core/proxy's.
import type { LocalProxyInfo, ProxyFigures, ProxyStatus } from './api.js';
import { LocalProcess } from './localProcess.js';
import type { MemberCommand } from './localProcess.js';

/** The name the proxy's log goes by (members are m1, m2, …). */
export const proxyLogName = 'proxy';
/** Deadline of one read of the proxy's /health or /metrics. */
export const proxyReadTimeoutMs = 2_000;
/** Largest /metrics answer read (the proxy's is about 3 KiB). */
export const proxyMetricsBytesMax = 256 * 1024;

export interface LocalProxySpec {
  /** `http://127.0.0.1:<port>`: the gRPC, gateway, /health and /metrics address. */
  clientUrl: string;
  /** The members' client URLs. */
  endpoints: string[];
  /** Prefix added to every key (`--namespace`); '' for none. */
  namespace: string;
}

export class LocalProxy extends LocalProcess {
  /** The saved connection through the proxy; null until the user asks for one. */
  connectionId: string | null = null;

  constructor(
    readonly spec: LocalProxySpec,
    command: MemberCommand,
    env: Readonly<Record<string, string>>,
    onLines: (lines: string[]) => void,
    onExit: () => void,
  ) {
    super(command, env, onLines, onExit);
  }

  info(): LocalProxyInfo {
    return {
      clientUrl: this.spec.clientUrl,
      endpoints: [...this.spec.endpoints],
      namespace: this.spec.namespace,
      state: this.state,
      exit: this.state === 'exited' ? this.exit : null,
      pid: this.process?.pid ?? null,
      connectionId: this.connectionId,
    };
  }

  protected override get label(): string {
    return 'The proxy';
  }

  protected override arguments(): string[] {
    const address = new URL(this.spec.clientUrl).host;
    return [
      'grpc-proxy',
      'start',
      `--endpoints=${this.spec.endpoints.map((url) => new URL(url).host).join(',')}`,
      `--listen-addr=${address}`,
      `--advertise-client-url=${address}`,
      ...(this.spec.namespace === '' ? [] : [`--namespace=${this.spec.namespace}`]),
    ];
  }

  protected override ports(): number[] {
    return [Number(new URL(this.spec.clientUrl).port)];
  }

  protected override readyUrl(): string {
    return `${this.spec.clientUrl}/metrics`;
  }

  /** The proxy as its /health and /metrics describe it now (a stopped proxy is not asked). */
  async status(): Promise<ProxyStatus> {
    const base = { clientUrl: this.spec.clientUrl, endpoints: [...this.spec.endpoints], namespace: this.spec.namespace, state: this.state };
    if (!this.process) return { ...base, healthy: false, error: `The proxy is ${this.state}.`, figures: null };
    const [health, metrics] = await Promise.all([readText(`${this.spec.clientUrl}/health`), readText(`${this.spec.clientUrl}/metrics`)]);
    const figures = metrics.ok ? proxyFigures(metrics.text) : null;
    if (health.ok) return { ...base, healthy: true, error: null, figures };
    const error = health.status === 0 ? `The proxy does not answer: ${health.text}` : 'The proxy answers, but cannot read from the cluster.';
    return { ...base, healthy: false, error, figures };
  }
}

async function readText(url: string): Promise<{ ok: boolean; status: number; text: string }> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(proxyReadTimeoutMs) });
    const text = await response.text();
    return { ok: response.ok, status: response.status, text: text.slice(0, proxyMetricsBytesMax) };
  } catch (error) {
    return { ok: false, status: 0, text: error instanceof Error ? error.message : String(error) };
  }
}

/** The samples of a Prometheus text page by metric name (labels kept apart), comments skipped. */
export function parseMetrics(text: string): Map<string, { labels: string; value: number }[]> {
  const samples = new Map<string, { labels: string; value: number }[]>();
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z_:][A-Za-z0-9_:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line.trim());
    if (!match) continue;
    const list = samples.get(match[1]!) ?? [];
    list.push({ labels: match[2] ?? '', value: Number(match[3]) });
    samples.set(match[1]!, list);
  }
  return samples;
}

/** The console's figures from the proxy's /metrics page. */
export function proxyFigures(text: string): ProxyFigures {
  const samples = parseMetrics(text);
  const value = (name: string): number => samples.get(name)?.[0]?.value ?? 0;
  const cacheHits = value('etcd_grpc_proxy_cache_hits_total');
  const cacheMisses = value('etcd_grpc_proxy_cache_misses_total');
  const endpointLabel = samples.get('rafter_proxy_upstream_healthy')?.[0]?.labels ?? '';
  return {
    cacheHits,
    cacheMisses,
    cacheKeys: value('etcd_grpc_proxy_cache_keys_total'),
    cacheHitRate: cacheHits + cacheMisses === 0 ? null : cacheHits / (cacheHits + cacheMisses),
    clientWatchers: value('rafter_proxy_watchers'),
    upstreamWatchers: value('rafter_proxy_upstream_watchers'),
    eventsCoalesced: value('etcd_grpc_proxy_events_coalescing_total'),
    keepAlivesCoalesced: value('rafter_proxy_keepalives_coalesced_total'),
    keepAlivesForwarded: value('rafter_proxy_keepalives_forwarded_total'),
    currentEndpoint: /endpoint="([^"]*)"/.exec(endpointLabel)?.[1] ?? null,
  };
}
