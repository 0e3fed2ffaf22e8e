// The normalised, compiled form of a rule's config that the engine runs on (times in ms).
import type { Severity } from "../../src/signal.ts";
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

export interface RuleSpec {
  readonly type: "threshold" | "spike";
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
  readonly comparison: "above" | "below" | "increase";
  readonly threshold: number;
  readonly forMs: number;
  readonly keepFiringForMs: number;
  readonly resolve: boolean;
  readonly staleAfterMs: number;
  readonly checkIntervalMs: number;
  readonly minSamples: number;
  readonly route: string;
}

/** What a group evaluates to at one instant. */
export interface Reading {
  /** Scaled current value; NaN when there is not enough data. */
  value: number;
  /** Spike: scaled baseline value. */
  baseline: number | undefined;
  /** Spike: percent increase over the baseline. */
  increase: number | undefined;
  breach: boolean;
}

export function resolveAggregation(
  agg: AggregationName,
  shape: CompiledSelection["shape"],
  type: RuleSpec["type"],
): ResolvedAggregation {
  if (agg !== "auto") return agg;
  if (shape === "ratio") return "ratio";
  if (shape === "spans") return type === "spike" ? "rate" : "count";
  return type === "spike" ? "rate" : "last";
}
