// The charts where a picture beats a table: the write rate and each member's applied index derived
// from status ticks, drawn by the line chart with its legend, and counts grouped by thousands.
import { afterEach, describe, expect, it } from 'vitest';
import { mount, type VueWrapper } from '@vue/test-utils';
import LineChart from '../../renderer/components/common/LineChart.vue';
import { appliedIndexSeries, writeRateSeries } from '../../renderer/components/cluster/statusCharts';
import { formatCount } from '../../renderer/format';
import type { StatusSample } from '../../renderer/stores/cluster';

let wrapper: VueWrapper | null = null;
afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
});

const samples: StatusSample[] = [
  { takenAtMs: 10_000, revision: 100, applied: { m1: 50, m2: 50, m3: 50 } },
  { takenAtMs: 12_000, revision: 300, applied: { m1: 250, m2: 250, m3: null } },
  { takenAtMs: 13_000, revision: 300, applied: { m1: 260, m2: 260, m3: 40 } },
];

describe('status charts', () => {
  it('computes the write rate as new revisions per second between ticks', () => {
    const [series] = writeRateSeries(samples);
    expect(series?.points).toEqual([{ t: 12_000, v: 100 }, { t: 13_000, v: 0 }]);
    expect(writeRateSeries(samples.slice(0, 1))).toEqual([]);
  });

  it('draws one applied-index line per member and leaves out ticks where a member did not answer', () => {
    const series = appliedIndexSeries(samples);
    expect(series.map((s) => s.name)).toEqual(['m1', 'm2', 'm3']);
    expect(series[2]?.points).toEqual([{ t: 10_000, v: 50 }, { t: 13_000, v: 40 }]);
  });

  it('renders a line per series and a legend with the latest values, grouped by thousands', () => {
    wrapper = mount(LineChart, {
      props: { label: 'Applied index', unit: 'index', series: [{ name: 'm1', points: [{ t: 1, v: 1 }, { t: 2, v: 123_456 }] }, { name: 'm2', points: [{ t: 1, v: 5 }] }] },
    });
    expect(wrapper.findAll('path[data-series]').map((p) => p.attributes('data-series'))).toEqual(['m1', 'm2']);
    const legend = wrapper.get('[data-test=line-chart-legend]').text();
    expect(legend).toContain(`m1: ${formatCount(123_456)}`);
    expect(legend).toContain('m2: 5');
    expect(wrapper.get('svg').attributes('aria-label')).toMatch(/^Applied index over the last \d+ s$/);
  });

  it('shows nothing to draw as no chart at all', () => {
    wrapper = mount(LineChart, { props: { label: 'x', unit: 'y', series: [] } });
    expect(wrapper.find('svg').exists()).toBe(false);
  });

  it('groups counts by thousands', () => {
    expect(formatCount(100_000)).toBe((100_000).toLocaleString());
    expect(formatCount(100_000)).not.toBe('100000');
  });
});
