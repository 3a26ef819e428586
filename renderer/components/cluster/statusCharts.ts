// Chart series derived from the cluster store's status samples: the write rate (new revisions per
// second between consecutive ticks) and each member's applied index over time.
import type { ChartSeries } from '../common/chartSeries';
import type { StatusSample } from '../../stores/cluster';

/** Revisions created per second between each pair of consecutive samples. */
export function writeRateSeries(samples: readonly StatusSample[]): ChartSeries[] {
  const points = [];
  for (let i = 1; i < samples.length; i++) {
    const before = samples[i - 1]!;
    const after = samples[i]!;
    const seconds = (after.takenAtMs - before.takenAtMs) / 1000;
    if (seconds > 0) points.push({ t: after.takenAtMs, v: Math.max(0, after.revision - before.revision) / seconds });
  }
  return points.length === 0 ? [] : [{ name: 'writes/s', points }];
}

/** One line per member: its applied index at each sample where it answered. */
export function appliedIndexSeries(samples: readonly StatusSample[]): ChartSeries[] {
  const names = [...new Set(samples.flatMap((sample) => Object.keys(sample.applied)))].sort();
  return names.map((name) => ({
    name,
    points: samples.flatMap((sample) => {
      const value = sample.applied[name];
      return value === null || value === undefined ? [] : [{ t: sample.takenAtMs, v: value }];
    }),
  }));
}
