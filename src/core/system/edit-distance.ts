/**
 * Levenshtein distance between `a` and `b`, or `most + 1` once it is sure to be more than `most`
 * (rows of the usual table): for "did you mean" hints, a name typed with a letter or two wrong.
 * `swaps`: two neighbours swapped count as one edit (optimal string alignment: `lsit` is one from
 * `list`), as the CLI's command and option names are judged. The early stop still holds: a swap
 * comes from two rows up, never less than the least of the row between.
 */
export function editDistance(a: string, b: string, most = Number.POSITIVE_INFINITY, swaps = false): number {
  if (Math.abs(a.length - b.length) > most) return most + 1;
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (swaps && i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        row[j] = Math.min(row[j]!, before[j - 2]! + 1);
    }
    if (Math.min(...row) > most) return most + 1;
    before = prev;
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The one of `names` a name typed a letter or two off means (case aside): within one edit for a
 * name of up to 4 letters, two for a longer one; the nearest, the first of equals. `swaps` as
 * editDistance's. For "did you mean" hints (a package, an installed service).
 */
export function closestName(name: string, names: Iterable<string>, swaps = false): string | undefined {
  const want = name.toLowerCase();
  const most = want.length > 4 ? 2 : 1;
  let best: { name: string; d: number } | undefined;
  for (const n of names) {
    const d = editDistance(n.toLowerCase(), want, most, swaps);
    if (d <= most && (!best || d < best.d)) best = { name: n, d };
  }
  return best?.name;
}
