// The `anomaly` rule on two weeks of diurnal throughput (test/support/synthetic-diurnal.ts: one
// OTLP export a minute, 20–180/s, ±5 % noise, four injected anomalies inside the daily range):
// how long `alertpipe replay` takes for the fortnight (in-process best of 3, and the whole CLI
// command), its precision and recall, and the best any fixed threshold gets on the same capture —
// swept through the real `threshold` rule in one replay (every 5/s from 10 to 200, above, below,
// and every pair of one above and one below), and, as a check, computed offline on the very
// readings the anomaly rule judges. Writes bench/results/anomaly.json.
// Run: node bench/anomaly.ts (bench/run.ts imports `run`).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { modelBytes } from "../processors/anomaly/model.ts";
import { replay } from "../src/replay/run.ts";
import { loadConfig } from "../src/service.ts";
import {
  bestFixedThresholds,
  type Firing,
  firings,
  type Score,
  type SweepRule,
  score,
  sweepPipeline,
} from "../test/support/anomaly-scoring.ts";
import { ANOMALIES, DAY, diurnalLines, MIN, START } from "../test/support/synthetic-diurnal.ts";
import { timedCliReplay, timedReplays } from "./timed-replay.ts";

const RUNS = 3;
const DAYS = 14;
const WINDOW_S = 300;
const FOR_S = 300;
const SCORING = { detectWithinMs: 25 * MIN, tailMs: (WINDOW_S + FOR_S) * 1000 };
const CONFIG = fileURLToPath(new URL("../examples/anomaly.pipeline.yaml", import.meta.url));
const RESULTS = fileURLToPath(new URL("./results/anomaly.json", import.meta.url));
const BOUNDS = Array.from({ length: 39 }, (_, i) => 10 + 5 * i);

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;
const brief = (s: Score) => ({
  precision: round(s.precision),
  recall: round(s.recall),
  firings: s.firings,
  false_positives: s.falsePositives,
  detected: s.detected,
  delays_minutes: s.delaysMinutes,
});

/**
 * The readings the anomaly rule judges (the window's rate as each export arrives), from the
 * capture's cumulative counter, and a fixed bound with `for` on them: what an ideal threshold rule
 * (no tick artefacts) would fire.
 */
function offlineSweep(lines: readonly string[]) {
  const totals = lines.map((l) => {
    const point = JSON.parse(l).resourceMetrics[0].scopeMetrics[0].metrics[0].sum.dataPoints[0];
    return Number(point.asInt);
  });
  const perWindow = WINDOW_S / 60;
  const readings: { at: number; value: number }[] = [];
  for (let i = perWindow; i < totals.length; i++) {
    readings.push({
      at: i * MIN,
      value: ((totals[i] as number) - (totals[i - perWindow] as number)) / WINDOW_S,
    });
  }
  const fire = (rule: SweepRule): Firing[] => {
    const out: Firing[] = [];
    let pendingSince = Number.NaN;
    let firing = false;
    for (const { at, value } of readings) {
      const breach = rule.op === "above" ? value > rule.threshold : value < rule.threshold;
      if (!breach) {
        pendingSince = Number.NaN;
        firing = false;
        continue;
      }
      if (Number.isNaN(pendingSince)) pendingSince = at;
      if (!firing && at - pendingSince >= FOR_S * 1000) {
        firing = true;
        out.push({ rule: rule.name, at });
      }
    }
    return out;
  };
  const { rules } = sweepPipeline(BOUNDS, { window: WINDOW_S, for: FOR_S });
  return bestFixedThresholds(rules.flatMap(fire), rules, ANOMALIES, SCORING);
}

export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), "alertpipe-bench-anomaly-"));
  try {
    const file = join(dir, "fortnight.jsonl");
    const generated = process.hrtime.bigint();
    const lines = diurnalLines({ days: DAYS });
    writeFileSync(file, `${lines.join("\n")}\n`);
    const generateSeconds = Number(process.hrtime.bigint() - generated) / 1e9;

    const config = await loadConfig({ configPath: CONFIG, env: {} });
    const { seconds, cpuSeconds, last } = await timedReplays(file, config, RUNS);
    const anomaly = score(firings(last?.notices ?? [], START), ANOMALIES, SCORING);

    const cliSeconds = timedCliReplay([file, "--config", CONFIG]);

    const { yaml, rules } = sweepPipeline(BOUNDS, { window: WINDOW_S, for: FOR_S });
    const sweepFile = join(dir, "sweep.yaml");
    writeFileSync(sweepFile, yaml);
    const sweepStarted = process.hrtime.bigint();
    const swept = await replay({
      files: [file],
      config: await loadConfig({ configPath: sweepFile, env: {} }),
      env: {},
    });
    const sweepSeconds = Number(process.hrtime.bigint() - sweepStarted) / 1e9;
    const fixed = bestFixedThresholds(firings(swept.notices, START), rules, ANOMALIES, SCORING);
    const ideal = offlineSweep(lines);

    const best = Math.min(...seconds);
    const result = {
      benchmark: "anomaly",
      node: process.version,
      cpus: cpus().length,
      cpu_model: cpus()[0]?.model ?? "unknown",
      input: {
        days: DAYS,
        lines: lines.length,
        points: last?.stats.points,
        anomalies: ANOMALIES.map((a) => ({
          at: new Date(START + a.start).toISOString(),
          factor: a.factor,
          minutes: a.durationMs / MIN,
        })),
        generate_seconds: round(generateSeconds),
      },
      /** examples/anomaly.pipeline.yaml through replay(): best of RUNS. */
      replay_wall_seconds: round(best),
      replay_runs_seconds: seconds.map((s) => round(s)),
      replay_runs_cpu_seconds: cpuSeconds.map((s) => round(s)),
      realtime_multiple: Math.round((DAYS * DAY) / 1000 / best),
      /** `alertpipe replay fortnight.jsonl --config examples/anomaly.pipeline.yaml --output json`, one run. */
      cli_wall_seconds: round(cliSeconds),
      load_average_1m: round(loadavg()[0] ?? 0),
      model_bytes_per_series: modelBytes({ periodMs: DAY, slotMs: 15 * MIN, seasons: 14 }),
      anomaly: brief(anomaly),
      fixed_threshold: {
        bounds: `${BOUNDS[0]}–${BOUNDS.at(-1)} /s every 5, above, below, and above-or-below pairs`,
        sweep_replay_seconds: round(sweepSeconds),
        rules_swept: rules.length,
        any_perfect: fixed.perfect,
        best_single: { rule: fixed.single.rule, ...brief(fixed.single.score) },
        best_pair: { rule: fixed.pair.rule, ...brief(fixed.pair.score) },
        /** The most precise bound (or pair) that still finds all four, and the best with no false alert. */
        at_full_recall: fixed.fullRecall && { rule: fixed.fullRecall.rule, ...brief(fixed.fullRecall.score) },
        at_full_precision: fixed.fullPrecision && {
          rule: fixed.fullPrecision.rule,
          ...brief(fixed.fullPrecision.score),
        },
        /** The same sweep on the anomaly rule's own readings (one per export), computed offline. */
        offline_on_arrival_readings: {
          any_perfect: ideal.perfect,
          best_single: { rule: ideal.single.rule, ...brief(ideal.single.score) },
          best_pair: { rule: ideal.pair.rule, ...brief(ideal.pair.score) },
          at_full_recall: ideal.fullRecall && {
            rule: ideal.fullRecall.rule,
            ...brief(ideal.fullRecall.score),
          },
          at_full_precision: ideal.fullPrecision && {
            rule: ideal.fullPrecision.rule,
            ...brief(ideal.fullPrecision.score),
          },
        },
      },
      at: new Date().toISOString(),
    };
    mkdirSync(dirname(RESULTS), { recursive: true });
    writeFileSync(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const isMain = (import.meta as { main?: boolean }).main ?? process.argv[1] === fileURLToPath(import.meta.url);
if (isMain) {
  const r = await run();
  const a = r.anomaly as ReturnType<typeof brief>;
  const f = r.fixed_threshold as { best_single: { rule: string; precision: number; recall: number } };
  console.log(
    `replay of ${DAYS} days (${(r.input as { lines: number }).lines} exports): ${r.replay_wall_seconds} s in-process, ` +
      `${r.cli_wall_seconds} s through the CLI; anomaly precision ${a.precision} recall ${a.recall}; ` +
      `best fixed threshold (${f.best_single.rule}) precision ${f.best_single.precision} recall ${f.best_single.recall}`,
  );
  console.log("written bench/results/anomaly.json");
}
