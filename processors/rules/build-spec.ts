// Turning a parsed threshold/spike config into the engine's RuleSpec (ms, compiled matchers).
import type { ComponentContext } from "../../src/component.ts";
import type { Severity } from "../../src/signal.ts";
import { type Judge, spikeJudge, thresholdJudge } from "./judge.ts";
import { compileGroupBy, interned } from "./matchers.ts";
import { quantileOf } from "./quantile.ts";
import { ruleNameFromId, type WhereConfig } from "./schema.ts";
import { compileSelection, type SelectionConfig } from "./selection.ts";
import { type AggregationName, type ResolvedAggregation, type RuleSpec, resolveAggregation } from "./spec.ts";

/** Ring slots per window: eviction happens within window/RESOLUTION of the exact edge. */
export const WINDOW_RESOLUTION = 30;

export interface RuleConfigBase extends SelectionConfig {
  rule?: string | undefined;
  where: WhereConfig;
  group_by: string[];
  max_series: number;
  window: number;
  scale: number;
  unit: string;
  severity: Severity;
  component: string;
  summary: string;
  for: number;
  keep_firing_for: number;
  resolve: boolean;
  stale_after: number | null;
  check_interval: number;
  min_samples: number;
  route: string;
  aggregation: AggregationName;
  threshold: number;
}

export function buildSpec(
  type: RuleSpec["type"],
  config: RuleConfigBase,
  context: Pick<ComponentContext, "id">,
  extra: { comparison: RuleSpec["comparison"]; baselineSeconds: number; judge?: Judge },
): RuleSpec {
  const selection = compileSelection(config);
  // Interned: both are compared with literals on every point (YAML strings would compare by content).
  const aggregation = interned(
    resolveAggregation(config.aggregation, selection.shape, type),
  ) as ResolvedAggregation;
  const comparison = interned(extra.comparison) as RuleSpec["comparison"];
  return {
    type,
    rule: ruleNameFromId(context.id, config.rule),
    selection,
    groupBy: config.group_by,
    maxSeries: config.max_series,
    keyer: compileGroupBy(config.group_by),
    aggregation,
    quantile: quantileOf(aggregation),
    windowMs: config.window * 1000,
    baselineMs: extra.baselineSeconds * 1000,
    resolution: WINDOW_RESOLUTION,
    scale: config.scale,
    unit: config.unit,
    severity: config.severity,
    component: config.component,
    summary: config.summary,
    comparison,
    threshold: config.threshold,
    forMs: config.for * 1000,
    keepFiringForMs: config.keep_firing_for * 1000,
    resolve: config.resolve,
    // A spike keeps its series through the baseline too: dropping it earlier would lose the baseline.
    staleAfterMs: (config.stale_after ?? config.window + extra.baselineSeconds) * 1000,
    checkIntervalMs: config.check_interval * 1000,
    minSamples: config.min_samples,
    route: config.route,
    judge: extra.judge ?? (type === "spike" ? spikeJudge : thresholdJudge),
  };
}

type Issue = { path: (string | number)[]; message: string };

/** Aggregation/selection combinations that cannot work. */
export function validateAggregation(
  type: RuleSpec["type"],
  config: Pick<RuleConfigBase, "aggregation" | "ratio" | "spans" | "metric">,
): Issue[] {
  const agg = config.aggregation;
  if (agg === "auto") return [];
  const issues: Issue[] = [];
  if (config.ratio !== undefined && agg !== "ratio") {
    issues.push({ path: ["aggregation"], message: "a `ratio` selection aggregates as `ratio`" });
  }
  if (config.ratio === undefined && agg === "ratio") {
    issues.push({
      path: ["aggregation"],
      message: "`ratio` needs a `ratio: {numerator, denominator}` selection",
    });
  }
  if (quantileOf(agg) !== undefined && config.metric === undefined) {
    issues.push({ path: ["aggregation"], message: "quantiles need a histogram `metric`" });
  }
  if (type === "spike" && !["rate", "sum", "count", "avg", "ratio"].includes(agg)) {
    issues.push({ path: ["aggregation"], message: "spike compares rate, sum, count, avg or ratio" });
  }
  return issues;
}
