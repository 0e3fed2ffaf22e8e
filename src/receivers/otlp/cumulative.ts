// Cumulative → delta conversion per series, with reset detection and bounded state.
//
// The first point of a stream follows the OTel data model as the collector's cumulativetodelta
// processor reads it (`initial_value`). A stream is a series (metric name + resource + scope +
// attributes, see seriesKey) and its start time: a point with the start time of the stream's
// earlier points continues it; a newer start time is a reset (restarted process) or a new series,
// so a new stream whose first point is judged like any first point:
// - auto (default): its cumulative value is emitted whole only when its start time is known and at
//   or after `startedAt` (the receiver's start: a stream that began later was seen whole); otherwise
//   it only sets the baseline, so a receiver restart never replays a long-running process's history
//   as one giant delta. Unlike the collector, a start time equal to the point's own is not read as
//   unknown: OTel JS SDKs stamp whole milliseconds, so a stream first recorded in the millisecond
//   of its export (a short job's final flush) has start = time and real counts.
// - keep: always emitted whole (the in-process bridge sees its SDK's streams from their start).
// - drop: never emitted; the first point is the baseline.
// Later points: the difference from the previous point; a value/bucket going down without a new
// start time is a reset, emitted as the new cumulative value (never negative). A point from an
// older start time, or not newer than the last point, is stale: dropped. Non-monotonic sums take
// signed differences (an up-down counter may go down). Histogram min/max are lifetime values in a
// cumulative stream: the delta keeps max only when it grew (then it is exactly the interval's max)
// and min only when it shrank.
// State is an LRU map keyed by a hash of the series identity, holding compact drafts (no attributes):
// series unseen for `ttlMs` expire, and at most `maxSeries` series and `maxBytes` bytes are kept.
// Persistence (baseline-store.ts) reads changed baselines in compact form and restores them at start.
import { createHash } from "node:crypto";
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
  readonly bytes: number;
}

/** How the first point of a stream is read (the collector's cumulativetodelta `initial_value`). */
export type InitialValue = "auto" | "keep" | "drop";

export interface CumulativeOptions {
  readonly ttlMs: number;
  readonly maxSeries: number;
  /** Most bytes of baselines kept (estimated: key, numbers, buckets); least recently seen dropped first. */
  readonly maxBytes?: number;
  readonly initialValue: InitialValue;
  /** When the receiver started (ms): `auto` emits first points of streams that started since. */
  readonly startedAt: number;
}

/** The key a series' baseline is kept under: a fixed-size hash of its identity (43 characters). */
export function seriesHash(identity: string): string {
  return createHash("sha256").update(identity).digest("base64url");
}

const SERIES_HASH = /^[A-Za-z0-9_-]{43}$/;

export class CumulativeToDelta {
  private readonly series = new Map<string, Entry>();
  private readonly options: CumulativeOptions;
  private totalBytes = 0;
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

  /** Estimated bytes of the baselines kept. */
  get bytes(): number {
    return this.totalBytes;
  }

  /** Drops series not seen since `now - ttl`; oldest first thanks to the Map's insertion order. */
  expire(now: number): void {
    const cutoff = now - this.options.ttlMs;
    for (const [key, entry] of this.series) {
      if (entry.seen >= cutoff) break;
      this.forget(key, entry);
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
    return entry && { draft: entry.draft, seen: entry.seen };
  }

  /** Every baseline, least recently seen first. */
  *baselines(): IterableIterator<[string, StoredBaseline]> {
    for (const [key, entry] of this.series) yield [key, { draft: entry.draft, seen: entry.seen }];
  }

  /** Put back baselines saved before a restart (least recently seen first); live series win. */
  restore(saved: Iterable<[string, StoredBaseline]>): number {
    let restored = 0;
    for (const [key, { draft, seen }] of saved) {
      // Keys of an older layout (the whole identity as text) would never match again.
      if (this.series.has(key) || !SERIES_HASH.test(key)) continue;
      this.insert(key, compact(draft), seen, false);
      restored++;
    }
    return restored;
  }

  /** The delta for a cumulative draft, or undefined when the point only sets a baseline or is stale. */
  convert<D extends CumulativeDraft>(key: string, draft: D, now: number): D | undefined {
    const prev = this.series.get(key);
    const d = draft as CumulativeDraft;
    if (!prev || prev.draft.type !== d.type) {
      this.remember(key, d, now);
      return this.initial(draft);
    }
    const p = prev.draft;
    const start = d.base.startTime;
    const prevStart = p.base.startTime;
    if (start !== undefined && prevStart !== undefined && start !== prevStart) {
      if (start < prevStart) return undefined; // late point from before a restart
      this.remember(key, d, now);
      return this.initial(draft); // a new stream: restarted, counting since its start
    }
    if (d.base.time <= p.base.time) return undefined;
    this.remember(key, d, now);
    const delta = difference(d, p);
    if (delta === undefined) return draft; // went down: a reset without a new startTime
    return delta as D;
  }

  /** The first point of a stream: emitted whole, or only its baseline (see the header). */
  private initial<D extends CumulativeDraft>(draft: D): D | undefined {
    const { initialValue, startedAt } = this.options;
    if (initialValue === "keep") return draft;
    if (initialValue === "drop") return undefined;
    const start = draft.base.startTime;
    return start !== undefined && start >= startedAt ? draft : undefined;
  }

  private remember(key: string, draft: CumulativeDraft, now: number): void {
    const prev = this.series.get(key);
    if (prev) this.forget(key, prev, false);
    this.insert(key, compact(draft), now, true);
  }

  private insert(key: string, draft: CumulativeDraft, seen: number, track: boolean): void {
    const bytes = estimateBytes(key, draft);
    this.series.set(key, { draft, seen, bytes });
    this.totalBytes += bytes;
    if (track) this.changed?.add(key);
    const maxBytes = this.options.maxBytes ?? Number.POSITIVE_INFINITY;
    while (
      this.series.size > this.options.maxSeries ||
      (this.totalBytes > maxBytes && this.series.size > 1)
    ) {
      const [oldestKey, oldest] = this.series.entries().next().value as [string, Entry];
      this.forget(oldestKey, oldest);
    }
  }

  private forget(key: string, entry: Entry, track = true): void {
    this.series.delete(key);
    this.totalBytes -= entry.bytes;
    if (track) this.changed?.add(key);
  }
}

/** Rough heap bytes of one baseline: map entry and key, the draft's numbers and bucket arrays. */
function estimateBytes(key: string, draft: CumulativeDraft): number {
  let numbers = 8;
  if (draft.type === "histogram") numbers += draft.bounds.length + draft.bucketCounts.length;
  if (draft.type === "exponential") numbers += draft.positive.counts.length + draft.negative.counts.length;
  return 160 + key.length * 2 + numbers * 8;
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
