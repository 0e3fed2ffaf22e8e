// Running a rule test file: per test, a fresh virtual pipeline of the pipeline.yaml under test,
// fed the input series step by step (the clock at each sample's time), checked at each eval_time
// (alerts firing) and each `until` (notices sent so far).
import type { Logger } from "pino";
import { formatDuration } from "../config/duration.ts";
import type { ConfigProblem } from "../config/errors.ts";
import { loadConfigInputs, type ResolvedConfig } from "../config/load.ts";
import type { Registry } from "../registry.ts";
import { VirtualPipeline } from "../virtual/pipeline.ts";
import { compareAlerts, compareNotices } from "./compare.ts";
import type { RuleTestCase, RuleTestFile } from "./file.ts";
import { inputSteps } from "./input.ts";

/** Where test time 0 lies (any fixed instant would do; a real date keeps "0 = unset" bugs away). */
export const TEST_ORIGIN = Date.UTC(2025, 0, 1);
/** The receiver "started" a minute before the test, like a collector started before its scrapers. */
const RECEIVER_STARTED_BEFORE_MS = 60_000;

export interface Failure {
  /** e.g. `alertname: system_health, time: 3m` */
  readonly title: string;
  readonly lines: readonly string[];
}

export interface CaseResult {
  readonly name: string;
  readonly failures: readonly Failure[];
}

export type FileOutcome =
  | { readonly ok: true; readonly results: readonly CaseResult[] }
  | { readonly ok: false; readonly problems: readonly ConfigProblem[] };

export interface RuleTestOptions {
  readonly registry: Registry;
  readonly logger?: Logger;
  /** `--config` files instead of the test file's `pipeline:`, and `--set` overrides on either. */
  readonly pipeline?: { readonly configs: readonly string[]; readonly sets: readonly string[] };
}

export async function runRuleTestFile(file: RuleTestFile, options: RuleTestOptions): Promise<FileOutcome> {
  const configs = options.pipeline?.configs ?? [];
  const overridden = configs.length > 0;
  const loaded = await loadConfigInputs(
    { configs: overridden ? configs : [`file:${file.pipeline}`], sets: options.pipeline?.sets ?? [] },
    { env: file.env, registry: options.registry },
  );
  if (!loaded.ok) {
    const [first] = loaded.problems;
    const missing =
      !overridden && loaded.problems.length === 1 && first?.line === 0 && !first.file.startsWith("--");
    const problems = missing
      ? [file.problemAt(["pipeline"], `cannot read ${file.pipeline}: ${loaded.problems[0]?.message}`)]
      : loaded.problems;
    return { ok: false, problems };
  }
  const results: CaseResult[] = [];
  for (const test of file.tests) {
    const outcome = await runCase(test, loaded.config, file, options.logger);
    if ("problems" in outcome) return { ok: false, problems: outcome.problems };
    results.push(outcome);
  }
  return { ok: true, results };
}

type Checkpoint = { readonly time: number; readonly check: () => Failure | undefined };

async function runCase(
  test: RuleTestCase,
  config: ResolvedConfig,
  file: RuleTestFile,
  logger: Logger | undefined,
): Promise<CaseResult | { problems: ConfigProblem[] }> {
  const origin = TEST_ORIGIN;
  const run = await VirtualPipeline.create({
    config,
    env: file.env,
    start: origin,
    receiverStartedAt: origin - RECEIVER_STARTED_BEFORE_MS,
    logger,
  });
  try {
    const rules = new Set(run.rules.ruleNames());
    const unknown = test.alertRuleTests.filter((a) => !rules.has(a.alertname));
    if (unknown.length > 0) {
      const known = [...rules].sort().join(", ") || "none";
      return {
        problems: unknown.map((a) =>
          file.problemAt(a.path, `no rule named "${a.alertname}" in ${config.file} (rules: ${known})`),
        ),
      };
    }
    const checkpoints: Checkpoint[] = [
      ...test.alertRuleTests.map((a) => ({
        time: origin + a.evalTime,
        check: () => {
          const lines = compareAlerts(a.expAlerts, run.rules.firing(a.alertname));
          const title = `alertname: ${a.alertname}, time: ${formatDuration(a.evalTime)}`;
          return lines.length > 0 ? { title, lines } : undefined;
        },
      })),
      ...test.noticeTests.map((n) => ({
        time: origin + n.until,
        check: () => {
          const lines = compareNotices(n.expNotices, run.notices, origin);
          return lines.length > 0 ? { title: `notices until ${formatDuration(n.until)}`, lines } : undefined;
        },
      })),
    ];
    const steps = new Map(inputSteps(test.inputSeries, origin, test.interval).map((s) => [s.time, s]));
    const times = [...new Set([...steps.keys(), ...checkpoints.map((c) => c.time)])].sort((a, b) => a - b);
    const failures: Failure[] = [];
    for (const time of times) {
      run.advanceTo(time);
      const step = steps.get(time);
      if (step) run.ingest("metrics", step.request);
      for (const c of checkpoints) {
        if (c.time !== time) continue;
        const failure = c.check();
        if (failure) failures.push(failure);
      }
    }
    return { name: test.name, failures };
  } finally {
    await run.finish();
  }
}
