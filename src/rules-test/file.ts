// Reading a rule test file (promtool's shape plus notice_test): YAML with positions, a strict
// schema, and the series/values/durations parsed, every problem with file:line and the bad value.
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { parseDuration } from "../config/duration.ts";
import { type ConfigProblem, describeIssue, type KeyPath } from "../config/errors.ts";
import { syntaxProblem } from "../config/inputs.ts";
import { valueAt } from "../config/load.ts";
import { locate } from "../config/locate.ts";
import { NotationError, parseHistogramValues, parseNumberValues, type Sample } from "./notation.ts";
import { parseSeriesName, type SeriesName } from "./series.ts";

export type SeriesType = "gauge" | "counter" | "histogram";

export interface InputSeries {
  readonly series: SeriesName;
  readonly type: SeriesType;
  readonly unit: string;
  readonly bounds: readonly number[];
  readonly samples: readonly Sample[];
}

export interface ExpectedAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly value?: number;
}

export interface AlertRuleTest {
  readonly evalTime: number;
  readonly alertname: string;
  readonly expAlerts: readonly ExpectedAlert[];
  /** Where it is written, for problems found later (an unknown rule name). */
  readonly path: KeyPath;
}

/** One expected notice: every field given must match, fields left out are not checked. */
export interface ExpectedNotice {
  /** `alert` matches any alert notice, incidents included (an incident notice is about its cause). */
  readonly kind?: "alert" | "digest" | "error" | "incident";
  readonly alertname?: string;
  readonly status?: "firing" | "resolved" | "escalated";
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly at?: number;
  readonly value?: number;
  readonly route?: string;
  /** Digest members, or an incident's members (the cause first), in order. */
  readonly alerts?: readonly ExpectedNotice[];
  /** An incident's likely cause (rule name). */
  readonly cause?: string;
  /** An incident member's firing after the incident's start. */
  readonly offset?: number;
}

export interface NoticeTest {
  readonly until: number;
  readonly expNotices: readonly ExpectedNotice[];
}

export interface RuleTestCase {
  readonly name: string;
  readonly interval: number;
  readonly inputSeries: readonly InputSeries[];
  readonly alertRuleTests: readonly AlertRuleTest[];
  readonly noticeTests: readonly NoticeTest[];
}

export interface RuleTestFile {
  readonly file: string;
  readonly pipeline: string;
  readonly env: Readonly<Record<string, string>>;
  readonly tests: readonly RuleTestCase[];
  /** Maps a key path of this file to its line, for problems found after parsing. */
  readonly problemAt: (path: KeyPath, message: string) => ConfigProblem;
}

export type ReadResult = { ok: true; file: RuleTestFile } | { ok: false; problems: ConfigProblem[] };

const scalarText = z.union([z.string(), z.number(), z.boolean()]).transform(String);
const labelSet = z.record(z.string(), scalarText);

const duration = z.string("expected a duration such as 30s, 5m or 1h").transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({ code: "custom", message: `"${text}" is not a duration (e.g. 30s, 5m, 1h30m)` });
    return z.NEVER;
  }
  return ms;
});

const seriesName = z.string().transform((text, ctx) => {
  try {
    return parseSeriesName(text);
  } catch (err) {
    ctx.addIssue({ code: "custom", message: (err as Error).message });
    return z.NEVER;
  }
});

const inputSeries = z
  .strictObject({
    series: seriesName,
    values: z.string("expected a string of values in expanding notation, e.g. '1+2x10'"),
    type: z.enum(["gauge", "counter", "histogram"]).default("gauge"),
    unit: z.string().default(""),
    /** Histograms: explicit bucket upper bounds, ascending (OTLP explicitBounds). */
    bounds: z.array(z.number()).optional(),
  })
  .transform((s, ctx): InputSeries => {
    const bounds = s.bounds ?? [];
    if (s.type === "histogram" && s.bounds === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["bounds"],
        message: "a histogram series needs bounds: [b1, b2, …]",
      });
    if (s.type !== "histogram" && s.bounds !== undefined)
      ctx.addIssue({ code: "custom", path: ["bounds"], message: "bounds are for histogram series only" });
    if (bounds.some((b, i) => i > 0 && b <= (bounds[i - 1] as number)))
      ctx.addIssue({ code: "custom", path: ["bounds"], message: "bounds must be strictly ascending" });
    let samples: Sample[] = [];
    try {
      samples = s.type === "histogram" ? parseHistogramValues(s.values, bounds) : parseNumberValues(s.values);
    } catch (err) {
      if (!(err instanceof NotationError)) throw err;
      ctx.addIssue({ code: "custom", path: ["values"], message: err.message });
    }
    return { series: s.series, type: s.type, unit: s.unit, bounds, samples };
  });

const expectedAlert = z
  .strictObject({
    exp_labels: labelSet.default({}),
    exp_annotations: labelSet.optional(),
    exp_value: z.number().optional(),
  })
  .transform(
    (a): ExpectedAlert => ({ labels: a.exp_labels, annotations: a.exp_annotations, value: a.exp_value }),
  );

const noticeFields = {
  kind: z.enum(["alert", "digest", "error", "incident"]).optional(),
  alertname: z.string().optional(),
  status: z.enum(["firing", "resolved", "escalated"]).optional(),
  labels: labelSet.optional(),
  annotations: labelSet.optional(),
  at: duration.optional(),
  value: z.number().optional(),
  route: z.string().optional(),
};

const memberNotice = z.strictObject({ ...noticeFields, offset: duration.optional() });
const expectedNotice = z.strictObject({
  ...noticeFields,
  alerts: z.array(memberNotice).optional(),
  cause: z.string().optional(),
});

const testCase = z.strictObject({
  name: z.string().default(""),
  interval: duration.default(60_000),
  input_series: z.array(inputSeries).default([]),
  alert_rule_test: z
    .array(
      z.strictObject({
        eval_time: duration,
        alertname: z.string().min(1),
        exp_alerts: z.array(expectedAlert).nullable().default([]),
      }),
    )
    .default([]),
  notice_test: z
    .array(z.strictObject({ until: duration, exp_notices: z.array(expectedNotice).nullable().default([]) }))
    .default([]),
});

const fileSchema = z.strictObject({
  pipeline: z.string().min(1).default("pipeline.yaml"),
  env: z.record(z.string(), scalarText).default({}),
  tests: z.array(testCase).min(1, "a test file needs at least one test"),
});

export async function readRuleTestFile(path: string): Promise<ReadResult> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const reason =
      (err as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : (err as Error).message;
    return { ok: false, problems: [{ file: path, line: 0, column: 0, path: [], message: reason }] };
  }
  return parseRuleTestText(text, path);
}

export function parseRuleTestText(text: string, file: string): ReadResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const problemAt = (path: KeyPath, message: string, atKey = false): ConfigProblem => {
    const { line, column } = locate(doc, lines, path, atKey);
    return { file, line, column, path, message };
  };
  const syntax = syntaxProblem(doc, file);
  if (syntax) return { ok: false, problems: [syntax] };
  const raw: unknown = doc.toJS() ?? {};
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const problems: ConfigProblem[] = [];
    for (const issue of parsed.error.issues) {
      const path = issue.path.filter((s): s is string | number => typeof s !== "symbol");
      if (issue.code === "unrecognized_keys") {
        for (const key of issue.keys) problems.push(problemAt([...path, key], "unknown key", true));
        continue;
      }
      const { value, present } = valueAt(raw, path);
      const message = issue.code === "custom" ? issue.message : describeIssue(issue, value, present);
      problems.push(problemAt(path, message));
    }
    return { ok: false, problems: problems.sort((a, b) => a.line - b.line || a.column - b.column) };
  }
  const data = parsed.data;
  const tests = data.tests.map(
    (t, i): RuleTestCase => ({
      name: t.name || `test ${i + 1}`,
      interval: t.interval,
      inputSeries: t.input_series,
      alertRuleTests: t.alert_rule_test.map((a, j) => ({
        evalTime: a.eval_time,
        alertname: a.alertname,
        expAlerts: a.exp_alerts ?? [],
        path: ["tests", i, "alert_rule_test", j, "alertname"],
      })),
      noticeTests: t.notice_test.map((n) => ({ until: n.until, expNotices: n.exp_notices ?? [] })),
    }),
  );
  for (const [i, t] of tests.entries()) {
    if (t.interval <= 0)
      return { ok: false, problems: [problemAt(["tests", i, "interval"], "must be more than 0")] };
  }
  return {
    ok: true,
    file: {
      file,
      pipeline: resolve(dirname(resolve(file)), data.pipeline),
      env: data.env,
      tests,
      problemAt: (path, message) => problemAt(path, message),
    },
  };
}
