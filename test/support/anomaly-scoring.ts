// Scoring alerts against injected anomalies (test/anomaly-replay.test.ts, bench/anomaly.ts):
// precision (firings that belong to an anomaly), recall (anomalies found within the allowed delay),
// and the best any fixed threshold reaches on the same capture, swept in one replay of a pipeline
// with one `threshold` rule per bound and direction.
import type { RecordedNotice } from "../../src/virtual/pipeline.ts";
import type { InjectedAnomaly } from "./synthetic-diurnal.ts";

export interface Firing {
  readonly rule: string;
  /** Virtual time of the firing notice, ms since the capture's start. */
  readonly at: number;
}

export interface Score {
  readonly firings: number;
  readonly truePositives: number;
  readonly falsePositives: number;
  /** Anomalies with a firing within `detectWithinMs` of their start. */
  readonly detected: number;
  readonly precision: number;
  readonly recall: number;
  /** Minutes from each anomaly's start to its first firing (null: not found in time). */
  readonly delaysMinutes: readonly (number | null)[];
}

/** Firing notices per rule (an alert's first notice; escalations and resolves are not firings). */
export function firings(notices: readonly RecordedNotice[], start: number): Firing[] {
  const out: Firing[] = [];
  for (const { notice } of notices) {
    if (notice.kind === "alert" && notice.status === "firing")
      out.push({ rule: notice.rule, at: notice.at - start });
    if (notice.kind === "digest")
      for (const a of notice.alerts) if (a.status === "firing") out.push({ rule: a.rule, at: a.at - start });
  }
  return out;
}

/**
 * A firing is true when it comes while an anomaly is on (or within `tailMs` after it: the window
 * still holds it); an anomaly is detected by a firing within `detectWithinMs` of its start.
 */
export function score(
  fired: readonly Firing[],
  anomalies: readonly InjectedAnomaly[],
  options: { detectWithinMs: number; tailMs: number },
): Score {
  let truePositives = 0;
  for (const f of fired) {
    if (anomalies.some((a) => f.at >= a.start && f.at <= a.start + a.durationMs + options.tailMs))
      truePositives++;
  }
  const delaysMinutes = anomalies.map((a) => {
    const first = fired.find((f) => f.at >= a.start && f.at <= a.start + options.detectWithinMs);
    return first ? (first.at - a.start) / 60_000 : null;
  });
  const detected = delaysMinutes.filter((d) => d !== null).length;
  return {
    firings: fired.length,
    truePositives,
    falsePositives: fired.length - truePositives,
    detected,
    precision: fired.length === 0 ? 0 : truePositives / fired.length,
    recall: anomalies.length === 0 ? 1 : detected / anomalies.length,
    delaysMinutes,
  };
}

export const f1 = (s: Pick<Score, "precision" | "recall">) =>
  s.precision + s.recall === 0 ? 0 : (2 * s.precision * s.recall) / (s.precision + s.recall);

export interface SweepRule {
  readonly name: string;
  readonly op: "above" | "below";
  readonly threshold: number;
}

/** One `threshold` rule per bound and direction, reading what the anomaly rule reads. */
export function sweepPipeline(
  bounds: readonly number[],
  rule: { window: number; for: number },
): {
  yaml: string;
  rules: SweepRule[];
} {
  const rules: SweepRule[] = bounds.flatMap((t) => [
    { name: `above_${t}`, op: "above" as const, threshold: t },
    { name: `below_${t}`, op: "below" as const, threshold: t },
  ]);
  const sections = rules.map(
    (r) =>
      `  threshold/${r.name}:\n    metric: pipeline.artifacts.processed\n    aggregation: rate\n` +
      `    window: ${rule.window}\n    for: ${rule.for}\n    op: ${r.op}\n    threshold: ${r.threshold}\n`,
  );
  const yaml = [
    "receivers:\n  otlp: {}\n",
    `processors:\n${sections.join("")}`,
    "exporters:\n  console: {}\n",
    "service:\n  pipelines:\n    alerts:\n      receivers: [otlp]\n",
    `      processors: [${rules.map((r) => `threshold/${r.name}`).join(", ")}]\n`,
    "      exporters: [console]\n",
  ].join("");
  return { yaml, rules };
}

export interface FixedThresholdResult {
  /** "above 40", "below 90", or "above 60 or below 30". */
  readonly rule: string;
  readonly score: Score;
}

/**
 * The best fixed thresholds of a sweep: the best single bound (either direction) and the best pair
 * (above one bound or below another), by F1, then precision; and whether any reached both 1 and 1.
 */
export function bestFixedThresholds(
  fired: readonly Firing[],
  rules: readonly SweepRule[],
  anomalies: readonly InjectedAnomaly[],
  options: { detectWithinMs: number; tailMs: number },
): {
  single: FixedThresholdResult;
  pair: FixedThresholdResult;
  perfect: boolean;
  /** The most precise that finds all anomalies, and the one finding most with no false alert. */
  fullRecall: FixedThresholdResult | undefined;
  fullPrecision: FixedThresholdResult | undefined;
} {
  const byRule = new Map<string, Firing[]>();
  for (const f of fired) byRule.set(f.rule, [...(byRule.get(f.rule) ?? []), f]);
  const of = (name: string) => byRule.get(name) ?? [];
  const better = (a: FixedThresholdResult, b: FixedThresholdResult | undefined) =>
    !b || f1(a.score) > f1(b.score) || (f1(a.score) === f1(b.score) && a.score.precision > b.score.precision);
  let single: FixedThresholdResult | undefined;
  let pair: FixedThresholdResult | undefined;
  let perfect = false;
  let fullRecall: FixedThresholdResult | undefined;
  let fullPrecision: FixedThresholdResult | undefined;
  const consider = (candidate: FixedThresholdResult, isPair: boolean) => {
    const { precision, recall } = candidate.score;
    if (precision === 1 && recall === 1) perfect = true;
    if (recall === 1 && precision > (fullRecall?.score.precision ?? -1)) fullRecall = candidate;
    if (precision === 1 && recall > (fullPrecision?.score.recall ?? -1)) fullPrecision = candidate;
    if (isPair) {
      if (better(candidate, pair)) pair = candidate;
    } else if (better(candidate, single)) single = candidate;
  };
  const above = rules.filter((r) => r.op === "above");
  const below = rules.filter((r) => r.op === "below");
  for (const r of rules)
    consider({ rule: `${r.op} ${r.threshold}`, score: score(of(r.name), anomalies, options) }, false);
  for (const a of above)
    for (const b of below) {
      if (b.threshold >= a.threshold) continue;
      const both = [...of(a.name), ...of(b.name)].sort((x, y) => x.at - y.at);
      consider(
        { rule: `above ${a.threshold} or below ${b.threshold}`, score: score(both, anomalies, options) },
        true,
      );
    }
  return {
    single: single as FixedThresholdResult,
    pair: pair as FixedThresholdResult,
    perfect,
    fullRecall,
    fullPrecision,
  };
}
