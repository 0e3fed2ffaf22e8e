// Which signals a rule reads: a metric (+where), a ratio of two metric selections, or spans.
// Compiled once; `match*` are the per-item hot path (a name compare before any attribute work).
import type { HistogramPoint, MetricPoint, SpanSignal } from "../../src/signal.ts";
import { type AttributePredicate, compileWhere, interned } from "./matchers.ts";
import type { MetricSelection, SpanSelection, WhereConfig } from "./schema.ts";

/** Bit flags: which part of the rule a point feeds. */
export const MAIN = 1;
export const NUMERATOR = 1;
export const DENOMINATOR = 2;

export interface SelectionConfig {
  metric?: string | undefined;
  where: WhereConfig;
  ratio?: { numerator: MetricSelection; denominator: MetricSelection } | undefined;
  spans?: SpanSelection | undefined;
}

export interface CompiledSelection {
  readonly shape: "metric" | "ratio" | "spans";
  /** Metric names this rule reads (for status and cheap pre-filtering). */
  readonly metrics: readonly string[];
  /** 0 = not selected; MAIN, or NUMERATOR|DENOMINATOR bits for ratios. */
  matchMetric(point: MetricPoint): number;
  matchSpan(span: SpanSignal): boolean;
  /** The value a span contributes: 1, or its duration in seconds. */
  spanValue(span: SpanSignal): number;
}

interface CompiledMetric {
  readonly name: string;
  readonly where: AttributePredicate;
}

function compileMetric(sel: MetricSelection): CompiledMetric {
  return { name: interned(sel.metric), where: compileWhere(sel.where) };
}

export function compileSelection(config: SelectionConfig): CompiledSelection {
  if (config.ratio) {
    const num = compileMetric(config.ratio.numerator);
    const den = compileMetric(config.ratio.denominator);
    return {
      shape: "ratio",
      metrics: [...new Set([num.name, den.name])],
      matchMetric(p) {
        let bits = 0;
        if (p.name === num.name && num.where(p.attributes, p.resource)) bits |= NUMERATOR;
        if (p.name === den.name && den.where(p.attributes, p.resource)) bits |= DENOMINATOR;
        return bits;
      },
      matchSpan: () => false,
      spanValue: () => 0,
    };
  }
  if (config.spans) {
    const s = config.spans;
    const spanName = s.name === undefined ? undefined : interned(s.name);
    const where = compileWhere(s.where);
    const duration = s.value === "duration";
    return {
      shape: "spans",
      metrics: [],
      matchMetric: () => 0,
      matchSpan(span) {
        if (spanName !== undefined && span.name !== spanName) return false;
        if (s.status !== "any" && span.status.code !== s.status) return false;
        if (s.kind !== "any" && span.spanKind !== s.kind) return false;
        return where(span.attributes, span.resource);
      },
      spanValue: (span) => (duration ? span.durationMs / 1000 : 1),
    };
  }
  const m = compileMetric({ metric: config.metric ?? "", where: config.where });
  return {
    shape: "metric",
    metrics: [m.name],
    matchMetric: (p) => (p.name === m.name && m.where(p.attributes, p.resource) ? MAIN : 0),
    matchSpan: () => false,
    spanValue: () => 0,
  };
}

/** Counters and histograms carry deltas; a negative one is a reset the receiver missed: ignore it. */
export function isNegativeDelta(p: MetricPoint): boolean {
  if (p.type === "sum") return p.monotonic && p.value < 0;
  if (p.type === "histogram") return p.count < 0;
  return false;
}

/** The single number a point stands for (gauge/sum value, histogram mean). NaN when none. */
export function pointValue(p: MetricPoint): number {
  if (p.type !== "histogram") return p.value;
  return p.count > 0 && p.sum !== undefined ? p.sum / p.count : Number.NaN;
}

export function isHistogram(p: MetricPoint): p is HistogramPoint {
  return p.type === "histogram";
}
