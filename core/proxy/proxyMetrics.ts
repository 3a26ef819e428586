// The proxy's own counters, on its /metrics in Prometheus text format, with the names etcd's
// grpc-proxy uses where it has one (etcd_grpc_proxy_*), and the latest response header seen from
// the cluster (stamped on answers the proxy makes itself).
import type * as pb from '../api/proto/messages.js';

export class ProxyMetrics {
  cacheHits = 0;
  cacheMisses = 0;
  cacheKeys = 0;
  /** Client watches currently served. */
  watchers = 0;
  /** Upstream watches those share. */
  upstreamWatchers = 0;
  /** Events delivered to a client watch from an upstream watch another client watch shares. */
  eventsCoalesced = 0;
  /** Keep-alive requests answered by a renewal already in flight for the same lease. */
  keepAlivesCoalesced = 0;
  /** Keep-alive requests sent upstream. */
  keepAlivesForwarded = 0;
  /** Forwarded unary calls that failed because no endpoint answered. */
  upstreamUnavailable = 0;
  /** The header of the newest response from the cluster. Invariant: its revision only grows. */
  latestHeader: pb.ResponseHeader = { cluster_id: '0', member_id: '0', revision: '0', raft_term: '0' };

  /** Records a response header from the cluster. */
  observe(header: pb.ResponseHeader | null | undefined): void {
    if (header && Number(header.revision) >= Number(this.latestHeader.revision)) this.latestHeader = header;
  }

  render(upstream: { readonly endpoint: string; readonly healthy: boolean | null }): string {
    const lines: string[] = [];
    const metric = (name: string, help: string, type: 'counter' | 'gauge', value: number, labels = ''): void => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name}${labels} ${value}`);
    };
    metric('etcd_grpc_proxy_cache_hits_total', 'Total number of cache hits', 'gauge', this.cacheHits);
    metric('etcd_grpc_proxy_cache_misses_total', 'Total number of cache misses', 'gauge', this.cacheMisses);
    metric('etcd_grpc_proxy_cache_keys_total', 'Total number of keys/ranges cached', 'gauge', this.cacheKeys);
    metric('etcd_grpc_proxy_events_coalescing_total', 'Total number of events coalescing', 'counter', this.eventsCoalesced);
    metric('etcd_grpc_proxy_watchers_coalescing_total', 'Total number of current watchers coalescing', 'gauge', Math.max(0, this.watchers - this.upstreamWatchers));
    metric('rafter_proxy_watchers', 'Client watches served by the proxy', 'gauge', this.watchers);
    metric('rafter_proxy_upstream_watchers', 'Watches the proxy holds on the cluster', 'gauge', this.upstreamWatchers);
    metric('rafter_proxy_keepalives_coalesced_total', 'Keep-alive requests answered by a renewal already in flight', 'counter', this.keepAlivesCoalesced);
    metric('rafter_proxy_keepalives_forwarded_total', 'Keep-alive requests sent to the cluster', 'counter', this.keepAlivesForwarded);
    metric('rafter_proxy_upstream_unavailable_total', 'Forwarded calls no endpoint answered', 'counter', this.upstreamUnavailable);
    const healthy = upstream.healthy === null ? -1 : upstream.healthy ? 1 : 0;
    metric('rafter_proxy_upstream_healthy', 'Last upstream health check: 1 healthy, 0 not, -1 not checked yet', 'gauge', healthy, `{endpoint="${upstream.endpoint}"}`);
    return `${lines.join('\n')}\n`;
  }
}
