// Shared zod pieces for the rule processors (threshold, spike): strict objects, snake_case keys,
// defaults on every optional key, and number messages the config loader can show as-is.
import { z } from "zod";
import { duration } from "../../src/config/duration.ts";
import { attributeEntryProblem } from "./matchers.ts";

/** A finite number > 0 (scale, samples…); strings like "ten" fail with a readable message. Times: `duration`. */
export function positiveNumber(message = "expected a positive number") {
  return z.number({ error: message }).positive({ error: message }).finite({ error: message });
}

/** A finite number >= 0. */
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
    z.strictObject({
      exists: z
        .boolean({ error: "expected true or false" })
        .meta({ description: "true: the attribute must be present (any value); false: it must be absent." }),
    }),
    z.strictObject({
      in: z
        .array(scalar)
        .min(1, { error: "expected at least one value" })
        .meta({ description: "The attribute must equal one of these values." }),
    }),
    z.strictObject({
      not_in: z
        .array(scalar)
        .min(1, { error: "expected at least one value" })
        .meta({ description: "The attribute must be absent or equal none of these values." }),
    }),
    z.strictObject({
      not: scalar.meta({ description: "The attribute must be absent or differ from this value." }),
    }),
    z.strictObject({
      regex: z.string().refine(isValidRegex, { error: "expected a valid regular expression" }).meta({
        description: "The attribute, as text, must match this JavaScript regular expression (unanchored).",
      }),
    }),
  ],
  { error: "expected a value, or one of {exists}, {in}, {not_in}, {not}, {regex}" },
);
export type MatcherConfig = z.output<typeof matcherSchema>;

/** An attribute name, or alternatives `a|b` (the first present is read). */
const attributeEntry = z
  .string()
  .min(1, { error: "expected an attribute name" })
  .superRefine((entry, ctx) => {
    const problem = attributeEntryProblem(entry);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

export const whereSchema = z.record(attributeEntry, matcherSchema).default({}).meta({
  description:
    "Attribute matchers, all of which must hold: attribute name (point attributes first, then resource attributes; `a|b` reads the first of several names present, e.g. system.memory.state|state) → a value (equality) or {exists}, {in}, {not_in}, {not}, {regex}.",
});
export type WhereConfig = z.output<typeof whereSchema>;

const metricName = (description: string) =>
  z.string().min(1, { error: "expected a metric name" }).meta({ description });

export const metricSelectionSchema = z.strictObject({
  metric: metricName("OpenTelemetry metric name, e.g. pipeline.rpc.calls."),
  where: whereSchema,
});
export type MetricSelection = z.output<typeof metricSelectionSchema>;

export const spanSelectionSchema = z
  .strictObject({
    name: z.string().min(1).optional().meta({ description: "Span name, exact; unset = any name." }),
    where: whereSchema,
    status: z
      .enum(["any", "error", "ok", "unset"])
      .default("any")
      .meta({ description: "Span status code the span must have." }),
    kind: z
      .enum(["any", "internal", "server", "client", "producer", "consumer", "unspecified"])
      .default("any")
      .meta({ description: "Span kind the span must have." }),
    value: z.enum(["count", "duration"]).default("count").meta({
      description: "What a matching span contributes: count = 1 each; duration = its duration in seconds.",
    }),
  })
  .meta({
    description: "Spans as the signal (instead of metric or ratio): which spans count, and what each adds.",
  });
export type SpanSelection = z.output<typeof spanSelectionSchema>;

export const severitySchema = z.enum(["info", "warning", "critical"]);

const seconds = (fallback: number, description: string) =>
  duration("s").prefault(fallback).meta({ description });

/** Keys every rule has; `threshold` and `spike` add their own. */
export const commonRuleShape = {
  rule: z.string().min(1).optional().meta({
    description:
      "Rule name in alerts and per-rule settings (cooldown.rules); unset = the id's name part (threshold/memory_usage → memory_usage).",
  }),
  // Selection: exactly one of metric(+where), ratio, spans (checked by validateSelection).
  metric: metricName(
    "OpenTelemetry metric the rule reads (with `where`); exactly one of metric, ratio or spans.",
  ).optional(),
  where: whereSchema,
  ratio: z
    .strictObject({
      numerator: metricSelectionSchema.meta({ description: "The counted part, e.g. failed calls." }),
      denominator: metricSelectionSchema.meta({ description: "The whole, e.g. all calls." }),
    })
    .optional()
    .meta({
      description:
        "The signal is numerator / denominator of two counters over the same window (times scale: 100 for percent); exactly one of metric, ratio or spans.",
    }),
  spans: spanSelectionSchema.optional(),
  group_by: z.array(attributeEntry).default([]).meta({
    description:
      "Attributes whose values split the signal into series, one alert per series; [] = one series. `a|b` reads the first of several names present (e.g. system.filesystem.mountpoint|mountpoint), labelled by the first.",
  }),
  max_series: positiveInteger().default(20_000).meta({
    description:
      "Most series (group_by groups) the rule tracks; past it a new series is not evaluated, but counted and logged.",
  }),
  window: seconds(
    300,
    "Sliding window the signal is aggregated over: seconds, or a duration like 5m (rates, ratios, percentiles; ALERT_RATE_WINDOW).",
  ),
  scale: positiveNumber().default(1).meta({
    description:
      "Factor the aggregated value is multiplied by before comparing (100 turns a 0–1 utilization or ratio into percent).",
  }),
  unit: z.string().default("").meta({ description: 'Unit shown after values in messages, e.g. "%", "s".' }),
  severity: severitySchema
    .default("warning")
    .meta({ description: "Alert severity; escalation acts on critical alerts by default." }),
  component: z
    .string()
    .min(1)
    .default("pipeline")
    .meta({ description: "Component the alert is about (database, fetcher, system…), shown in messages." }),
  summary: z.string().default("").meta({
    description:
      "Message template with {rule} {value} {threshold} {baseline} {increase} {unit} {status} {labels} {labels.NAME}; empty = the built-in text.",
  }),
  for: duration("s", { zero: true }).prefault(0).meta({
    description: "How long a breach must persist before the alert fires (seconds or 2m…); 0 = at once.",
  }),
  keep_firing_for: duration("s", { zero: true }).prefault(0).meta({
    description:
      "How long a firing alert stays firing after the breach ends, against flapping (seconds or 5m…); 0 = resolve at once.",
  }),
  resolve: z
    .boolean({ error: "expected true or false" })
    .default(true)
    .meta({ description: "Send a resolved notice once per firing episode when the breach ends." }),
  stale_after: duration("s").nullable().prefault(null).meta({
    description:
      "Time without data after which a series resolves and is forgotten (seconds or 10m…); null = the window (plus the baseline window for a spike).",
  }),
  check_interval: seconds(
    60,
    "Time between time-driven evaluations (resolve, stale data, `for`): seconds, fractions allowed, or 30s, 500ms…; breaches are evaluated as data arrives (ALERT_CHECK_INTERVAL).",
  ),
  min_samples: positiveNumber().default(1).meta({
    description:
      "Least data in the window before the rule decides: points, or the denominator's total for a ratio.",
  }),
  route: z.string().min(1).default("default").meta({
    description:
      "Destination route of the rule's alerts: the throttle counts per route, and Slack sends a route other than default to escalation_webhook_url.",
  }),
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
