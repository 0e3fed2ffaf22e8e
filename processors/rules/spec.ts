// The normalised, compiled form of a rule's config that the engine runs on (times in ms).
import type { ComponentStatus } from "../../src/component.ts";
import type { Severity } from "../../src/signal.ts";
import type { Judge } from "./judge.ts";
import type { GroupKeyer } from "./matchers.ts";
import type { CompiledSelection } from "./selection.ts";

export const AGGREGATIONS = [
  "auto",
  "last",
  "avg",
  "max",
  "min",
  "sum",
  "count",
  "rate",
  "ratio",
  "p50",
  "p75",
  "p90",
  "p95",
  "p99",
] as const;
export type AggregationName = (typeof AGGREGATIONS)[number];
export type ResolvedAggregation = Exclude<AggregationName, "auto">;

export type RuleType = "threshold" | "spike" | "anomaly";

export interface RuleSpec {
  readonly type: RuleType;
  readonly rule: string;
  readonly selection: CompiledSelection;
  readonly groupBy: readonly string[];
  /** Most groups tracked at once (rule state is bounded by it). */
  readonly maxSeries: number;
  readonly keyer: GroupKeyer;
  readonly aggregation: ResolvedAggregation;
  /** 0–1 for p50…p99, else undefined. */
  readonly quantile: number | undefined;
  readonly windowMs: number;
  /** Spike only: the baseline window before the rate window. */
  readonly baselineMs: number;
  /** Ring slots per window. */
  readonly resolution: number;
  readonly scale: number;
  readonly unit: string;
  readonly severity: Severity;
  readonly component: string;
  readonly summary: string;
  /** How a reading is compared: with a bound (above/below), a baseline (increase), or a learned band (deviation). */
  readonly comparison: "above" | "below" | "increase" | "deviation";
  /** The bound (threshold), the percent increase (spike), or the robust deviations (anomaly's sensitivity). */
  readonly threshold: number;
  readonly forMs: number;
  readonly keepFiringForMs: number;
  readonly resolve: boolean;
  readonly staleAfterMs: number;
  readonly checkIntervalMs: number;
  readonly minSamples: number;
  readonly route: string;
  /** Turns a group's current value into a verdict: what threshold, spike and anomaly differ in. */
  readonly judge: Judge;
}

/** What a group evaluates to at one instant. */
export interface Reading {
  /** Scaled current value; NaN when there is not enough data. */
  value: number;
  /** Spike: scaled baseline value. */
  baseline: number | undefined;
  /** Spike: percent increase over the baseline. */
  increase: number | undefined;
  /** Anomaly: what was expected at this time (the judge's reused object), undefined without a verdict. */
  expected: ExpectedBand | undefined;
  breach: boolean;
}

/** What a learned baseline expected for a reading, in the rule's (scaled) unit. */
export interface ExpectedBand {
  center: number;
  low: number;
  high: number;
  /** (value − center) in robust deviations: negative below. */
  deviations: number;
  /** Local time of day (or weekday and time) the expectation is for, e.g. "14:05 UTC". */
  timeOfDay: string;
  /** Off the band, but at a level taken as the new normal after a long deviation (no breach). */
  settled: boolean;
  /** How long the series has been off its usual band, ms (0 when it is on it). */
  deviatingForMs: number;
}

export function resolveAggregation(
  agg: AggregationName,
  shape: CompiledSelection["shape"],
  type: RuleSpec["type"],
): ResolvedAggregation {
  if (agg !== "auto") return agg;
  if (shape === "ratio") return "ratio";
  if (shape === "spans") return type === "threshold" ? "count" : "rate";
  return type === "spike" ? "rate" : "last";
}

/** Aggregations whose value grows with the window's length: a partly covered window reads low. */
export function scalesWithWindow(agg: ResolvedAggregation): boolean {
  return agg === "rate" || agg === "sum" || agg === "count";
}

/** What a rule is, as its status shows it (the counters come from the engine and the judge). */
export function specStatus(s: RuleSpec): ComponentStatus {
  return {
    rule: s.rule,
    type: s.type,
    severity: s.severity,
    component: s.component,
    threshold: s.threshold,
    comparison: s.comparison,
    aggregation: s.aggregation,
    metrics: s.selection.metrics,
    window_seconds: s.windowMs / 1000,
    ...(s.type === "spike" ? { baseline_window_seconds: s.baselineMs / 1000 } : {}),
    check_interval_seconds: s.checkIntervalMs / 1000,
  };
}
