// The data a LineChart draws: named series of values over time.

export interface ChartPoint {
  /** Milliseconds since the epoch. */
  readonly t: number;
  readonly v: number;
}

export interface ChartSeries {
  readonly name: string;
  readonly points: readonly ChartPoint[];
}
