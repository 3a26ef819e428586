// Small display helpers shared by pages.

export function formatBytes(bytes: number | null): string {
  if (bytes === null) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** A count with the thousands grouped as the user's locale groups them (100,000; 100 000). */
export function formatCount(count: number): string {
  return count.toLocaleString();
}

export function formatTime(ms: number): string {
  return new Date(ms).toLocaleTimeString();
}

export function orDash(value: number | string | null): string {
  return value === null ? '—' : String(value);
}
