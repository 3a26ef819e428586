// /metrics text: etcd's names with the member's figures, and the event loop's delay as a running
// member measures it (a loop held busy shows up in the maximum).
import { describe, expect, it } from 'vitest';
import { MemberMetrics, renderMetrics } from '../../core/server/metrics.js';

const snapshot = { hasLeader: true, isLeader: false, term: 7, commitIndex: 42, appliedIndex: 41, revision: 9, dbSizeBytes: 8192, dbSizeInUseBytes: 4096, watchers: 3 };

/** The value of an unlabelled metric in Prometheus text, or undefined. */
function valueOf(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('member metrics', () => {
  it("render etcd's names with the member's figures", () => {
    const metrics = new MemberMetrics();
    try {
      const text = renderMetrics(metrics, snapshot);
      expect(valueOf(text, 'etcd_server_has_leader')).toBe(1);
      expect(valueOf(text, 'etcd_server_proposals_committed_total')).toBe(42);
      expect(valueOf(text, 'etcd_debugging_mvcc_watcher_total')).toBe(3);
      expect(text).toContain('# TYPE nodejs_eventloop_lag_max_seconds gauge');
    } finally {
      metrics.close();
    }
  });

  it('report a busy event loop in the delay maximum', async () => {
    const metrics = new MemberMetrics();
    try {
      // Let the sampler's timer start, hold the loop for 60 ms, then let the timer run a few times.
      for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setTimeout(resolve, 15));
      const until = performance.now() + 60;
      while (performance.now() < until) {
        // busy
      }
      for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setTimeout(resolve, 15));
      const text = renderMetrics(metrics, snapshot);
      expect(valueOf(text, 'nodejs_eventloop_lag_max_seconds')).toBeGreaterThanOrEqual(0.04);
      expect(valueOf(text, 'nodejs_eventloop_lag_p99_seconds')).toBeGreaterThan(0);
      // The recent maximum covers this window and the last: 100 ms after the stall it is still there.
      expect(valueOf(text, 'rafter_eventloop_lag_max_recent_seconds')).toBeGreaterThanOrEqual(0.04);
    } finally {
      metrics.close();
    }
  });
});
