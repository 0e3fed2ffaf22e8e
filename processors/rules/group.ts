// Per-group state of a rule: its windows plus the alert state machine fields. One plain object
// per group, so a later StateStore can persist it.
import type { Alert, HistogramPoint } from "../../src/signal.ts";
import { histogramQuantile } from "./quantile.ts";
import type { Reading, RuleSpec } from "./spec.ts";
import { RingWindow } from "./window.ts";

export type AlertPhase = "inactive" | "pending" | "firing";

export class SeriesGroup {
  readonly labels: Readonly<Record<string, string>>;
  readonly fingerprint: string;
  /** group_by values, in order (the GroupIndex path). */
  readonly path: readonly string[];
  /** Metric/spans rules (not needed for `last`). */
  main: RingWindow | undefined;
  num: RingWindow | undefined;
  den: RingWindow | undefined;
  lastValue = Number.NaN;
  /** Arrival time (scheduler ms) of the last selected signal. */
  lastAt = Number.NEGATIVE_INFINITY;
  phase: AlertPhase = "inactive";
  pendingSince = 0;
  firingSince = 0;
  lastBreachAt = 0;
  /**
   * Restored firing after a restart and not yet judged by fresh data: when its data last came
   * before the restart (ms, from its record); undefined for every live group.
   */
  restoredFrom: number | undefined;
  /** When the group's firing record was last written (ms). */
  savedAt = Number.NEGATIVE_INFINITY;
  /** While firing: the alert as last built (what its record keeps). */
  firingAlert: Alert | undefined;
  /** Reused on every evaluation (no allocation per point); copy what must outlive it. */
  readonly reading: Reading = {
    value: Number.NaN,
    baseline: undefined,
    increase: undefined,
    expected: undefined,
    breach: false,
  };
  /** The judge's own state for this series (the anomaly rule's learned model); unused by the others. */
  model: unknown;
  evaluated = false;
  /** In the engine's list of ratio groups to judge at the end of the current burst. */
  ratioQueued = false;

  constructor(
    spec: RuleSpec,
    path: readonly string[],
    labels: Readonly<Record<string, string>>,
    fingerprint: string,
  ) {
    this.path = path;
    this.labels = labels;
    this.fingerprint = fingerprint;
    const shape = { windowMs: spec.windowMs, baselineMs: spec.baselineMs, resolution: spec.resolution };
    if (spec.selection.shape === "ratio") {
      const tracking = { count: false, minMax: false, histogram: false };
      // Numerator and denominator in one allocation.
      const each = RingWindow.doublesFor(shape, tracking);
      const storage = new ArrayBuffer(each * 2 * 8);
      this.num = new RingWindow(shape, tracking, storage, 0);
      this.den = new RingWindow(shape, tracking, storage, each);
    } else if (spec.aggregation !== "last") {
      const q = spec.quantile !== undefined;
      this.main = new RingWindow(shape, {
        count: true,
        minMax: q || spec.aggregation === "min" || spec.aggregation === "max",
        histogram: q,
      });
    }
  }

  addValue(now: number, value: number): void {
    this.lastAt = now;
    this.lastValue = value;
    this.main?.add(now, value);
  }

  addHistogram(now: number, p: HistogramPoint): void {
    this.lastAt = now;
    if (p.count > 0 && p.sum !== undefined) this.lastValue = p.sum / p.count;
    const w = this.main;
    if (!w) return;
    // A point without extremes makes the window's extremes unknown (±Infinity), not smaller.
    const max = p.max ?? Number.POSITIVE_INFINITY;
    const min = p.min ?? Number.NEGATIVE_INFINITY;
    w.add(now, p.sum ?? 0, p.count, min, max);
    w.addBuckets(now, p.bounds, p.bucketCounts);
  }

  addRatio(now: number, bits: number, value: number): void {
    this.lastAt = now;
    if (bits & 1) this.num?.add(now, value);
    if (bits & 2) this.den?.add(now, value);
  }

  advance(now: number): void {
    this.main?.advance(now);
    this.num?.advance(now);
    this.den?.advance(now);
  }

  bytes(): number {
    return 200 + (this.main?.bytes() ?? 0) + (this.num?.bytes() ?? 0) + (this.den?.bytes() ?? 0);
  }
}

/** Unscaled current value of the group's window, NaN when the window lacks data. */
function currentRaw(spec: RuleSpec, g: SeriesGroup): number {
  const agg = spec.aggregation;
  if (agg === "last") return g.lastValue;
  if (agg === "ratio") {
    const den = g.den?.recentSum ?? 0;
    if (!(den > 0) || den < spec.minSamples) return Number.NaN;
    return recentNumerator(g) / den;
  }
  const w = g.main;
  if (!w || w.recentCount <= 0 || w.recentCount < spec.minSamples) return Number.NaN;
  switch (agg) {
    case "sum":
      return w.recentSum;
    case "count":
      return w.recentCount;
    case "rate":
      return w.recentSum / (spec.windowMs / 1000);
    case "avg":
      return w.recentSum / w.recentCount;
    case "max":
      return finiteOrNaN(w.recentMax());
    case "min":
      return finiteOrNaN(w.recentMin());
    default: {
      const bounds = w.histogramBounds;
      if (spec.quantile === undefined || !bounds || !w.recentHist) return Number.NaN;
      return histogramQuantile(spec.quantile, bounds, w.recentHist, w);
    }
  }
}

/**
 * The ratio's numerator over the span its denominator covers: numerator data from before the
 * denominator's first data (a denominator series whose first cumulative point only set a
 * baseline, or that started exporting later) has nothing to be divided by. A numerator that
 * starts later counts as zero before (a counter series appears with its first increment).
 */
function recentNumerator(g: SeriesGroup): number {
  const num = g.num;
  if (!num) return 0;
  const numFirst = num.firstDataSlot;
  const denFirst = g.den?.firstDataSlot;
  if (numFirst === undefined || denFirst === undefined || numFirst >= denFirst) return num.recentSum;
  return num.recentSumFrom(denFirst);
}

/**
 * Whether the window holds a whole window of data (a young or returning series' first minutes read
 * low for rate/sum/count); a ratio needs both its parts covered.
 */
export function windowCovered(g: SeriesGroup): boolean {
  if (g.main) return g.main.recentCovered();
  if (g.num && g.den) return g.num.recentCovered() && g.den.recentCovered();
  return true;
}

/**
 * Unscaled baseline comparable with currentRaw (same aggregation, normalised to the window length).
 * No baseline (NaN) until it is covered by data on every side: a young series' baseline of a few
 * exports, or a numerator series that started an export after its denominator, is no baseline.
 */
export function baselineRaw(spec: RuleSpec, g: SeriesGroup): number {
  if (spec.aggregation === "ratio") {
    if (!g.num?.baselineCovered() || !g.den?.baselineCovered()) return Number.NaN;
    const den = g.den.baseSum;
    if (!(den > 0) || den < spec.minSamples) return Number.NaN;
    return g.num.baseSum / den;
  }
  const w = g.main;
  if (!w?.baselineCovered() || w.baseCount < spec.minSamples) return Number.NaN;
  const covered = w.baselineCoveredSeconds();
  const perWindow = spec.windowMs / 1000 / covered;
  switch (spec.aggregation) {
    case "rate":
      return w.baseSum / covered;
    case "sum":
      return w.baseSum * perWindow;
    case "count":
      return w.baseCount * perWindow;
    case "avg":
      return w.baseCount > 0 ? w.baseSum / w.baseCount : Number.NaN;
    default:
      return Number.NaN;
  }
}

/**
 * Evaluate the group at `now` into its reused `reading`: the engine's value, the judge's verdict.
 * `observe` false: a query (breaches()), from which a learning judge must not learn.
 */
export function readGroup(spec: RuleSpec, g: SeriesGroup, now: number, observe = true): Reading {
  g.advance(now);
  g.evaluated = true;
  const r = g.reading;
  r.baseline = undefined;
  r.increase = undefined;
  r.expected = undefined;
  r.breach = false;
  const raw = currentRaw(spec, g);
  r.value = raw * spec.scale;
  if (Number.isNaN(raw)) return r;
  spec.judge.judge(spec, g, r, raw, now, observe);
  return r;
}

/**
 * readGroup for `last` threshold rules (no window to slide, no baseline): the hot case of
 * gauges, kept small so it inlines into the point handler.
 */
export function readLast(spec: RuleSpec, g: SeriesGroup, now: number): Reading {
  if (spec.type !== "threshold") return readGroup(spec, g, now);
  g.evaluated = true;
  const r = g.reading;
  r.baseline = undefined;
  r.increase = undefined;
  r.expected = undefined;
  r.value = g.lastValue * spec.scale;
  r.breach = spec.comparison === "below" ? r.value < spec.threshold : r.value > spec.threshold;
  return r;
}

/** An unknown extreme (a histogram point without min/max) is no reading, not an infinite one. */
function finiteOrNaN(value: number): number {
  return Number.isFinite(value) ? value : Number.NaN;
}
