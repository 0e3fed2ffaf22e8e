// Cumulative → delta conversion per series, with reset detection and bounded state.
//
// Rules (per series = metric name + resource + scope + attributes, see seriesKey):
// - First sight (no baseline): the point becomes the baseline. Its whole cumulative value is emitted
//   as a delta only when its startTime is known and ≥ `firstSightSince` (about when this receiver
//   started: what the series counted is recent); otherwise nothing is emitted, so a receiver restart
//   never replays a long-running process's history as one giant delta.
// - Reset: a newer startTime (restarted process), or a value/bucket going down without a startTime
//   change → the delta is the new cumulative value (counting from the restart), never negative.
// - A point from an older startTime, or not newer than the last point, is stale: dropped.
// - Non-monotonic sums take signed differences (an up-down counter may go down).
// - Histogram min/max are lifetime values in a cumulative stream: the delta keeps max only when it
//   grew (then it is exactly the interval's max) and min only when it shrank.
// State is an LRU map: series unseen for `ttlMs` expire, and at most `maxSeries` are kept.
import { downscale, type ExpBuckets, subtractBuckets } from "./exponential.ts";
import type { MetricDraft } from "./metric-drafts.ts";

type SumDraft = Extract<MetricDraft, { type: "sum" }>;
type HistDraft = Extract<MetricDraft, { type: "histogram" }>;
type ExpDraft = Extract<MetricDraft, { type: "exponential" }>;
type CumulativeDraft = SumDraft | HistDraft | ExpDraft;

interface Entry {
  readonly draft: CumulativeDraft;
  seen: number;
}

export interface CumulativeOptions {
  readonly ttlMs: number;
  readonly maxSeries: number;
  readonly firstSightSince: number;
}

export class CumulativeToDelta {
  private readonly series = new Map<string, Entry>();
  private readonly options: CumulativeOptions;

  constructor(options: CumulativeOptions) {
    this.options = options;
  }

  get size(): number {
    return this.series.size;
  }

  /** Drops series not seen since `now - ttl`; oldest first thanks to the Map's insertion order. */
  expire(now: number): void {
    const cutoff = now - this.options.ttlMs;
    for (const [key, entry] of this.series) {
      if (entry.seen >= cutoff) break;
      this.series.delete(key);
    }
  }

  /** The delta for a cumulative draft, or undefined when the point only sets a baseline or is stale. */
  convert<D extends CumulativeDraft>(key: string, draft: D, now: number): D | undefined {
    const prev = this.series.get(key);
    const d = draft as CumulativeDraft;
    if (!prev || prev.draft.type !== d.type) {
      this.remember(key, d, now);
      const start = d.base.startTime;
      return start !== undefined && start >= this.options.firstSightSince ? draft : undefined;
    }
    const p = prev.draft;
    const start = d.base.startTime;
    const prevStart = p.base.startTime;
    if (start !== undefined && prevStart !== undefined && start !== prevStart) {
      if (start < prevStart) return undefined; // late point from before a restart
      this.remember(key, d, now);
      return draft; // restarted: counts since the new start
    }
    if (d.base.time <= p.base.time) return undefined;
    this.remember(key, d, now);
    const delta = difference(d, p);
    if (delta === undefined) return draft; // went down: a reset without a new startTime
    return delta as D;
  }

  private remember(key: string, draft: CumulativeDraft, now: number): void {
    this.series.delete(key);
    this.series.set(key, { draft, seen: now });
    if (this.series.size > this.options.maxSeries) {
      const oldest = this.series.keys().next();
      if (!oldest.done) this.series.delete(oldest.value);
    }
  }
}

/** cur − prev as a delta draft over (prev.time, cur.time]; undefined when it would be a reset. */
function difference(cur: CumulativeDraft, prev: CumulativeDraft): CumulativeDraft | undefined {
  const base = { ...cur.base, startTime: prev.base.time };
  if (cur.type === "sum" && prev.type === "sum") {
    const value = cur.value - prev.value;
    if (cur.monotonic && value < 0) return undefined;
    return { ...cur, base, value };
  }
  if (cur.type === "histogram" && prev.type === "histogram") {
    if (!sameBounds(cur.bounds, prev.bounds)) return undefined;
    const count = cur.count - prev.count;
    if (count < 0) return undefined;
    const bucketCounts: number[] = [];
    for (let i = 0; i < cur.bucketCounts.length; i++) {
      const c = (cur.bucketCounts[i] ?? 0) - (prev.bucketCounts[i] ?? 0);
      if (c < 0) return undefined;
      bucketCounts.push(c);
    }
    return { ...cur, base, count, bucketCounts, ...intervalStats(cur, prev) };
  }
  if (cur.type === "exponential" && prev.type === "exponential") {
    if (cur.scale > prev.scale || cur.zeroThreshold !== prev.zeroThreshold) return undefined;
    const by = prev.scale - cur.scale;
    const positive = subtract(cur.positive, prev.positive, by);
    const negative = subtract(cur.negative, prev.negative, by);
    const count = cur.count - prev.count;
    const zeroCount = cur.zeroCount - prev.zeroCount;
    if (!positive || !negative || count < 0 || zeroCount < 0) return undefined;
    return { ...cur, base, count, zeroCount, positive, negative, ...intervalStats(cur, prev) };
  }
  return undefined;
}

function subtract(cur: ExpBuckets, prev: ExpBuckets, by: number): ExpBuckets | undefined {
  return subtractBuckets(cur, downscale(prev, by));
}

function intervalStats(
  cur: { sum?: number; min?: number; max?: number },
  prev: { sum?: number; min?: number; max?: number },
): { sum?: number; min?: number; max?: number } {
  return {
    sum: cur.sum !== undefined && prev.sum !== undefined ? cur.sum - prev.sum : undefined,
    min: cur.min !== undefined && (prev.min === undefined || cur.min < prev.min) ? cur.min : undefined,
    max: cur.max !== undefined && (prev.max === undefined || cur.max > prev.max) ? cur.max : undefined,
  };
}

function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
