// The console reads the proxy's figures from the /metrics page core/proxy renders: the names the
// proxy writes are the names the console looks for, so a renamed metric fails here, not on screen.
import { describe, expect, it } from 'vitest';
import { parseMetrics, proxyFigures } from '../../core/admin/localProxy.js';
import { ProxyMetrics } from '../../core/proxy/proxyMetrics.js';

describe('proxy figures', () => {
  it('reads the cache, watcher and keep-alive counters and the current endpoint from the proxy’s own page', () => {
    const metrics = new ProxyMetrics();
    Object.assign(metrics, { cacheHits: 30, cacheMisses: 10, cacheKeys: 7, watchers: 1_000, upstreamWatchers: 2, eventsCoalesced: 49_950, keepAlivesCoalesced: 4, keepAlivesForwarded: 9 });
    const figures = proxyFigures(metrics.render({ endpoint: '127.0.0.1:2379', healthy: true }));
    expect(figures).toEqual({
      cacheHits: 30, cacheMisses: 10, cacheKeys: 7, cacheHitRate: 0.75, clientWatchers: 1_000, upstreamWatchers: 2,
      eventsCoalesced: 49_950, keepAlivesCoalesced: 4, keepAlivesForwarded: 9, currentEndpoint: '127.0.0.1:2379',
    });
  });

  it('has no hit rate before the first cacheable read', () => {
    expect(proxyFigures(new ProxyMetrics().render({ endpoint: 'a:1', healthy: null })).cacheHitRate).toBeNull();
  });

  it('keeps labels apart from names and skips comments', () => {
    const samples = parseMetrics('# HELP x a counter\n# TYPE x counter\nx 3\ny{endpoint="h:1",code="ok"} 1.5\n\nnot a sample line at all\n');
    expect([...samples]).toEqual([
      ['x', [{ labels: '', value: 3 }]],
      ['y', [{ labels: '{endpoint="h:1",code="ok"}', value: 1.5 }]],
    ]);
  });
});
