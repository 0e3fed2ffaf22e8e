// Quantiles from merged explicit-bucket histogram counts (Prometheus-style linear interpolation).

/** Observed extremes, asked for only when the quantile needs them (they may cost a scan). */
export interface Extremes {
  recentMax(): number;
  recentMin(): number;
}

const NO_EXTREMES: Extremes = { recentMax: () => Number.NaN, recentMin: () => Number.NaN };

/**
 * q in (0,1). `bounds` are ascending upper bounds; `counts` has bounds.length + 1 entries (+Inf last).
 * When the quantile falls in the +Inf bucket, the observed maximum is the only honest answer
 * (else the last bound). Returns NaN without data.
 */
export function histogramQuantile(
  q: number,
  bounds: readonly number[],
  counts: ArrayLike<number>,
  extremes: Extremes = NO_EXTREMES,
): number {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i] as number;
  if (!(total > 0)) return Number.NaN;
  const rank = q * total;
  let cumulative = 0;
  for (let i = 0; i < bounds.length; i++) {
    const c = counts[i] as number;
    if (cumulative + c >= rank && c > 0) {
      const upper = bounds[i] as number;
      // First bucket: interpolate from the observed min when known, else from 0 (or the bound if <= 0).
      let lower = i === 0 ? Math.min(upper, 0) : (bounds[i - 1] as number);
      if (i === 0) {
        const observedMin = extremes.recentMin();
        if (Number.isFinite(observedMin) && observedMin < upper) lower = observedMin;
      }
      const estimate = lower + ((upper - lower) * (rank - cumulative)) / c;
      // Interpolation can land past everything observed (95 s in a 90–120 s bucket reads 118.5 s).
      const observedMax = extremes.recentMax();
      return Number.isFinite(observedMax) && estimate > observedMax ? observedMax : estimate;
    }
    cumulative += c;
  }
  const overflowMax = extremes.recentMax();
  if (Number.isFinite(overflowMax)) return overflowMax;
  return bounds.length > 0 ? (bounds[bounds.length - 1] as number) : Number.NaN;
}

/** Quantile of an aggregation name like "p95" or "p99.9"; undefined when not a quantile. */
export function quantileOf(aggregation: string): number | undefined {
  const m = /^p(\d{1,2}(?:\.\d+)?)$/.exec(aggregation);
  return m ? Number(m[1]) / 100 : undefined;
}
