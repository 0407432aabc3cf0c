// Summaries of samples. The median of an even count is the mean of the two middle values.

export function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return undefined;
  const median = n % 2 === 1 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  return { min: s[0], median, max: s[n - 1], runs: n };
}

/** Median of per-round differences a[i] − b[i]: drift that hits both in one round cancels. */
export function pairedMedian(a, b) {
  return stats(a.map((x, i) => x - b[i]))?.median;
}

export const round = (x, digits = 1) => (x === undefined ? undefined : Number(x.toFixed(digits)));
export const f1 = (x) => (x === undefined || Number.isNaN(x) ? '–' : x.toFixed(1));
export const f2 = (x) => (x === undefined || Number.isNaN(x) ? '–' : x.toFixed(2));
