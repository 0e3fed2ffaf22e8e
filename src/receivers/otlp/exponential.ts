// Exponential histogram buckets: downscaling and subtraction (for cumulative → delta) and the
// conversion to the explicit-bucket form of the signal model (bounds base^i, base = 2^(2^-scale)).

/** Bucket i (absolute index offset + k) counts values in (base^i, base^(i+1)] (magnitudes for negatives). */
export interface ExpBuckets {
  readonly offset: number;
  readonly counts: readonly number[];
}

export const EMPTY_BUCKETS: ExpBuckets = { offset: 0, counts: [] };

/** Re-express buckets at a scale `by` steps coarser: index i → i >> by (floor), exact. */
export function downscale(b: ExpBuckets, by: number): ExpBuckets {
  if (by <= 0 || b.counts.length === 0) return b;
  const first = b.offset >> by;
  const last = (b.offset + b.counts.length - 1) >> by;
  const counts = new Array<number>(last - first + 1).fill(0);
  for (let k = 0; k < b.counts.length; k++) {
    const i = (b.offset + k) >> by;
    counts[i - first] = (counts[i - first] ?? 0) + (b.counts[k] ?? 0);
  }
  return { offset: first, counts };
}

/** cur − prev per absolute index; undefined when any bucket would go negative (a reset). */
export function subtractBuckets(cur: ExpBuckets, prev: ExpBuckets): ExpBuckets | undefined {
  for (let k = 0; k < prev.counts.length; k++) {
    const p = prev.counts[k] ?? 0;
    if (p === 0) continue;
    const j = prev.offset + k - cur.offset;
    if (j < 0 || j >= cur.counts.length) return undefined;
  }
  const counts = cur.counts.slice();
  for (let k = 0; k < prev.counts.length; k++) {
    const j = prev.offset + k - cur.offset;
    if (j < 0 || j >= counts.length) continue;
    const d = (counts[j] ?? 0) - (prev.counts[k] ?? 0);
    if (d < 0) return undefined;
    counts[j] = d;
  }
  return { offset: cur.offset, counts };
}

export interface ExplicitBuckets {
  readonly bounds: number[];
  readonly bucketCounts: number[];
}

/**
 * Explicit upper bounds, ascending: negative buckets (most negative first, upper bound −base^i),
 * then the zero bucket (upper bound zeroThreshold), then positive buckets (upper bound base^(i+1)),
 * then an empty +Inf bucket. Buckets whose bound overflows a double fold into the neighbouring one.
 */
export function expToExplicit(
  scale: number,
  zeroThreshold: number,
  zeroCount: number,
  positive: ExpBuckets,
  negative: ExpBuckets,
): ExplicitBuckets {
  const factor = 2 ** -scale;
  const bounds: number[] = [];
  const bucketCounts: number[] = [];
  let carry = 0; // counts of buckets below the lowest representable bound
  let overflow = 0;
  const push = (upper: number, n: number): void => {
    if (upper === Number.NEGATIVE_INFINITY) {
      carry += n;
      return;
    }
    if (upper === Number.POSITIVE_INFINITY || Number.isNaN(upper)) {
      overflow += n + carry;
      carry = 0;
      return;
    }
    const last = bounds.length - 1;
    if (last >= 0 && upper <= (bounds[last] as number)) {
      bucketCounts[last] = (bucketCounts[last] ?? 0) + n + carry;
    } else {
      bounds.push(upper);
      bucketCounts.push(n + carry);
    }
    carry = 0;
  };
  for (let k = negative.counts.length - 1; k >= 0; k--) {
    push(-(2 ** ((negative.offset + k) * factor)), negative.counts[k] ?? 0);
  }
  push(zeroThreshold, zeroCount);
  for (let k = 0; k < positive.counts.length; k++) {
    push(2 ** ((positive.offset + k + 1) * factor), positive.counts[k] ?? 0);
  }
  bucketCounts.push(overflow + carry);
  return { bounds, bucketCounts };
}
