// `alertpipe replay` speed: a synthetic day of scraper telemetry (8,640 metrics exports every 10 s,
// ~121 k points, cumulative counters and histograms, a few traces; test/support/synthetic-day.ts)
// through the shipped pipeline.yaml in virtual time. Measures the replay in-process (best of 3) and
// the whole CLI command (process start, config, reading the file, printing), and the multiple of
// real time. Writes bench/results/replay.json. Run: node bench/replay.ts (bench/run.ts imports `run`).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_CONFIG_PATH, loadConfig } from "../src/service.ts";
import { syntheticDayLines } from "../test/support/synthetic-day.ts";
import { timedCliReplay, timedReplays } from "./timed-replay.ts";

const DAY_SECONDS = 86_400;
const RUNS = 3;
const RESULTS = fileURLToPath(new URL("./results/replay.json", import.meta.url));

export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), "alertpipe-bench-replay-"));
  try {
    const file = join(dir, "day.jsonl");
    const lines = syntheticDayLines();
    writeFileSync(file, `${lines.join("\n")}\n`);
    const config = await loadConfig({ configPath: DEFAULT_CONFIG_PATH, env: {} });
    const { seconds, cpuSeconds, last } = await timedReplays(file, config, RUNS);
    const cliSeconds = timedCliReplay([file]);
    const best = Math.min(...seconds);
    const result = {
      benchmark: "replay",
      node: process.version,
      cpus: cpus().length,
      cpu_model: cpus()[0]?.model ?? "unknown",
      input: {
        virtual_seconds: DAY_SECONDS,
        lines: lines.length,
        metric_requests: last?.stats.metricRequests,
        trace_requests: last?.stats.traceRequests,
        points: last?.stats.points,
        spans: last?.stats.spans,
      },
      notices: last?.notices.length,
      /** The replay itself, in-process: best of RUNS. */
      wall_seconds: round(best),
      realtime_multiple: Math.round(DAY_SECONDS / best),
      points_per_second: Math.round((last?.stats.points ?? 0) / best),
      runs_seconds: seconds.map(round),
      /** CPU time of each run: what the replay costs when other processes share the cores. */
      runs_cpu_seconds: cpuSeconds.map(round),
      load_average_1m: round(loadavg()[0] ?? 0),
      /** `alertpipe replay day.jsonl --output json` end to end, one run. */
      cli_wall_seconds: round(cliSeconds),
      cli_realtime_multiple: Math.round(DAY_SECONDS / cliSeconds),
      at: new Date().toISOString(),
    };
    mkdirSync(dirname(RESULTS), { recursive: true });
    writeFileSync(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const round = (s: number) => Math.round(s * 1000) / 1000;

const isMain = (import.meta as { main?: boolean }).main ?? process.argv[1] === fileURLToPath(import.meta.url);
if (isMain) {
  const r = await run();
  console.log(
    `replay of a day (${(r.input as { points: number }).points} points): ${r.wall_seconds} s in-process ` +
      `(${r.realtime_multiple}× real time), ${r.cli_wall_seconds} s through the CLI (${r.cli_realtime_multiple}×)`,
  );
  console.log("written bench/results/replay.json");
}
