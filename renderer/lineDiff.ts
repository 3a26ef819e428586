// A line diff for comparing two versions of a key (longest common subsequence). Bounded: beyond
// `diffLinesMax` lines per side the diff falls back to "everything removed, everything added".

/** Largest side the LCS table is built for (the table is quadratic). */
export const diffLinesMax = 2_000;

export interface DiffLine {
  kind: 'same' | 'added' | 'removed';
  text: string;
}

/** The lines of `before` and `after`, each marked as kept, removed or added. */
export function lineDiff(before: string, after: string): DiffLine[] {
  const left = before.split('\n');
  const right = after.split('\n');
  if (left.length > diffLinesMax || right.length > diffLinesMax) {
    return [
      ...left.map((text) => ({ kind: 'removed' as const, text })),
      ...right.map((text) => ({ kind: 'added' as const, text })),
    ];
  }
  const width = right.length + 1;
  const table = new Uint32Array((left.length + 1) * width);
  for (let i = left.length - 1; i >= 0; i--) {
    for (let j = right.length - 1; j >= 0; j--) {
      table[i * width + j] =
        left[i] === right[j]
          ? table[(i + 1) * width + j + 1]! + 1
          : Math.max(table[(i + 1) * width + j]!, table[i * width + j + 1]!);
    }
  }
  const lines: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length && j < right.length) {
    if (left[i] === right[j]) {
      lines.push({ kind: 'same', text: left[i]! });
      i++;
      j++;
    } else if (table[(i + 1) * width + j]! >= table[i * width + j + 1]!) {
      lines.push({ kind: 'removed', text: left[i++]! });
    } else {
      lines.push({ kind: 'added', text: right[j++]! });
    }
  }
  while (i < left.length) lines.push({ kind: 'removed', text: left[i++]! });
  while (j < right.length) lines.push({ kind: 'added', text: right[j++]! });
  return lines;
}
