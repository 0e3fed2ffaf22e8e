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
// Persistence (baseline-store.ts) reads changed baselines in compact form and restores them at start.
import { downscale, type ExpBuckets, subtractBuckets } from "./exponential.ts";
import type { MetricDraft } from "./metric-drafts.ts";

type SumDraft = Extract<MetricDraft, { type: "sum" }>;
type HistDraft = Extract<MetricDraft, { type: "histogram" }>;
type ExpDraft = Extract<MetricDraft, { type: "exponential" }>;
export type CumulativeDraft = SumDraft | HistDraft | ExpDraft;

/**
 * A remembered point as persisted: the draft without its attributes/resource (of a remembered draft
 * only `base.time` and `base.startTime` are ever read), with when the series was last seen.
 */
export interface StoredBaseline {
  readonly draft: CumulativeDraft;
  readonly seen: number;
}

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
  /** Series remembered or forgotten since the last takeChanges(); undefined while nobody persists. */
  private changed: Set<string> | undefined;

  constructor(options: CumulativeOptions) {
    this.options = options;
  }

  get size(): number {
    return this.series.size;
  }

  get ttlMs(): number {
    return this.options.ttlMs;
  }

  /** Drops series not seen since `now - ttl`; oldest first thanks to the Map's insertion order. */
  expire(now: number): void {
    const cutoff = now - this.options.ttlMs;
    for (const [key, entry] of this.series) {
      if (entry.seen >= cutoff) break;
      this.series.delete(key);
      this.changed?.add(key);
    }
  }

  /** Start recording which series change, for write-behind persistence. */
  trackChanges(): void {
    this.changed ??= new Set();
  }

  /** Keys remembered or forgotten since the previous call. */
  takeChanges(): string[] {
    if (!this.changed || this.changed.size === 0) return [];
    const keys = [...this.changed];
    this.changed.clear();
    return keys;
  }

  /** Mark keys changed again (their write failed: the next flush retries them). */
  markChanged(keys: Iterable<string>): void {
    if (!this.changed) return;
    for (const key of keys) this.changed.add(key);
  }

  /** A series' baseline in compact form, or undefined when it is not (or no longer) kept. */
  baseline(key: string): StoredBaseline | undefined {
    const entry = this.series.get(key);
    return entry && { draft: compact(entry.draft), seen: entry.seen };
  }

  /** Every baseline, least recently seen first. */
  *baselines(): IterableIterator<[string, StoredBaseline]> {
    for (const [key, entry] of this.series) yield [key, { draft: compact(entry.draft), seen: entry.seen }];
  }

  /** Put back baselines saved before a restart (least recently seen first); live series win. */
  restore(saved: Iterable<[string, StoredBaseline]>): number {
    let restored = 0;
    for (const [key, { draft, seen }] of saved) {
      if (this.series.has(key)) continue;
      this.series.set(key, { draft, seen });
      restored++;
      if (this.series.size > this.options.maxSeries) {
        const oldest = this.series.keys().next();
        if (!oldest.done) this.series.delete(oldest.value);
      }
    }
    return restored;
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
    this.changed?.add(key);
    if (this.series.size > this.options.maxSeries) {
      const oldest = this.series.keys().next();
      if (!oldest.done) {
        this.series.delete(oldest.value);
        this.changed?.add(oldest.value);
      }
    }
  }
}

/** The draft as persisted: attributes, resource and scope dropped (never read from a baseline). */
function compact(draft: CumulativeDraft): CumulativeDraft {
  const base = { time: draft.base.time, startTime: draft.base.startTime };
  return { ...draft, base } as unknown as CumulativeDraft;
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
