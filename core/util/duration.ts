// Go's time.ParseDuration for the units etcd's flags and options use (h, m, s, ms), e.g. "1h30m",
// "100ms", "1.5s".

const unitMs: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };

/** The duration `text` names, in milliseconds; null when it is not a duration in those units. */
export function durationMs(text: string): number | null {
  if (text === '') return null;
  let total = 0;
  let rest = text;
  while (rest !== '') {
    const match = /^(\d+(?:\.\d+)?)(ms|h|m|s)/.exec(rest);
    if (!match) return null;
    total += Number(match[1]) * unitMs[match[2]!]!;
    rest = rest.slice(match[0].length);
  }
  return total;
}
