// Shared zod pieces for the rule processors (threshold, spike): strict objects, snake_case keys,
// defaults on every optional key, and number messages the config loader can show as-is.
import { z } from "zod";

/** A finite number > 0 (seconds, minutes, scale…); strings like "ten" fail with a readable message. */
export function positiveNumber(message = "expected a positive number") {
  return z.number({ error: message }).positive({ error: message }).finite({ error: message });
}

/** A finite number >= 0 (for/keep_firing_for may be 0 = immediately). */
export function nonNegativeNumber(message = "expected a non-negative number") {
  return z.number({ error: message }).nonnegative({ error: message }).finite({ error: message });
}

export function positiveInteger(message = "expected a positive integer") {
  return z.number({ error: message }).int({ error: message }).positive({ error: message });
}

export function finiteNumber(message = "expected a number") {
  return z.number({ error: message }).finite({ error: message });
}

const scalar = z.union([z.string(), z.number(), z.boolean()], {
  error: "expected a string, number or boolean",
});

function isValidRegex(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

/** One attribute matcher: a literal (equality), or exists / in / not_in / not / regex. */
export const matcherSchema = z.union(
  [
    scalar,
    z.strictObject({ exists: z.boolean({ error: "expected true or false" }) }),
    z.strictObject({ in: z.array(scalar).min(1, { error: "expected at least one value" }) }),
    z.strictObject({ not_in: z.array(scalar).min(1, { error: "expected at least one value" }) }),
    z.strictObject({ not: scalar }),
    z.strictObject({
      regex: z.string().refine(isValidRegex, { error: "expected a valid regular expression" }),
    }),
  ],
  { error: "expected a value, or one of {exists}, {in}, {not_in}, {not}, {regex}" },
);
export type MatcherConfig = z.output<typeof matcherSchema>;

export const whereSchema = z.record(z.string(), matcherSchema).default({});
export type WhereConfig = z.output<typeof whereSchema>;

export const metricSelectionSchema = z.strictObject({
  metric: z.string().min(1, { error: "expected a metric name" }),
  where: whereSchema,
});
export type MetricSelection = z.output<typeof metricSelectionSchema>;

export const spanSelectionSchema = z.strictObject({
  /** Span name (exact); absent = any name. */
  name: z.string().min(1).optional(),
  where: whereSchema,
  status: z.enum(["any", "error", "ok", "unset"]).default("any"),
  kind: z.enum(["any", "internal", "server", "client", "producer", "consumer", "unspecified"]).default("any"),
  /** count: each span counts 1; duration: the span's duration in seconds. */
  value: z.enum(["count", "duration"]).default("count"),
});
export type SpanSelection = z.output<typeof spanSelectionSchema>;

export const severitySchema = z.enum(["info", "warning", "critical"]);

/** Keys every rule has; `threshold` and `spike` add their own. */
export const commonRuleShape = {
  /** Rule name; default: the id's name part (`threshold/memory_usage` → `memory_usage`). */
  rule: z.string().min(1).optional(),
  // Selection: exactly one of metric(+where), ratio, spans (checked by validateSelection).
  metric: z.string().min(1, { error: "expected a metric name" }).optional(),
  where: whereSchema,
  ratio: z.strictObject({ numerator: metricSelectionSchema, denominator: metricSelectionSchema }).optional(),
  spans: spanSelectionSchema.optional(),
  group_by: z.array(z.string().min(1)).default([]),
  /** Most series (group_by groups) tracked; past it a new series is not evaluated, but counted and logged. */
  max_series: positiveInteger().default(20_000),
  /** Sliding window, seconds. */
  window: positiveNumber("expected a positive number of seconds").default(300),
  /** Multiply the aggregated value (100: a 0–1 utilization or a ratio becomes percent). */
  scale: positiveNumber().default(1),
  unit: z.string().default(""),
  severity: severitySchema.default("warning"),
  component: z.string().min(1).default("pipeline"),
  /** Template: {rule} {value} {threshold} {baseline} {unit} {increase} {labels} {labels.NAME}; empty = built-in text. */
  summary: z.string().default(""),
  /** Seconds a breach must persist before firing. */
  for: nonNegativeNumber("expected a non-negative number of seconds").default(0),
  /** Seconds a firing alert stays firing after the breach ends (no flapping). */
  keep_firing_for: nonNegativeNumber("expected a non-negative number of seconds").default(0),
  /** Emit a resolved alert once per firing episode. */
  resolve: z.boolean({ error: "expected true or false" }).default(true),
  /** Seconds without data after which a series resolves and is forgotten; null = the window (+ baseline). */
  stale_after: positiveNumber("expected a positive number of seconds").nullable().default(null),
  /** Seconds between time-driven evaluations (resolve, stale, `for`); fractions allowed. */
  check_interval: positiveNumber("expected a positive number of seconds").default(60),
  /** Minimum samples (ratio: denominator total; otherwise points) in the window before evaluating. */
  min_samples: positiveNumber().default(1),
  route: z.string().min(1).default("default"),
} as const;

type Issue = { path: (string | number)[]; message: string };

/** Semantic checks shared by rules: exactly one selection, sensible combinations. */
export function validateSelection(config: {
  metric?: string | undefined;
  ratio?: unknown;
  spans?: unknown;
  where: WhereConfig;
}): Issue[] {
  const chosen = [config.metric !== undefined, config.ratio !== undefined, config.spans !== undefined].filter(
    Boolean,
  ).length;
  const issues: Issue[] = [];
  if (chosen !== 1) {
    issues.push({ path: ["metric"], message: "expected exactly one of `metric`, `ratio` or `spans`" });
  }
  if (config.metric === undefined && Object.keys(config.where).length > 0) {
    issues.push({
      path: ["where"],
      message: "`where` applies to `metric`; put it inside `ratio.*` or `spans`",
    });
  }
  return issues;
}

/** Default rule name from a component id: `threshold/memory_usage` → `memory_usage`. */
export function ruleNameFromId(id: string, explicit: string | undefined): string {
  if (explicit) return explicit;
  const slash = id.indexOf("/");
  return slash >= 0 ? id.slice(slash + 1) : id;
}
