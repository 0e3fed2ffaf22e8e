// An alert storm against the real collector: `alertpipe run` on the default pipeline.yaml (SQLite
// state, as `run` defaults to) receives STORM_ALERTS distinct hosts breaching memory_usage,
// STORM_PER_REQUEST per OTLP/JSON request, sent one after the other as an SDK exporter would. While
// it runs, /healthz is polled and the process RSS sampled; then we wait until a local fake Slack has
// accounted for every alert (named alone, in a digest, or counted in a digest's summary line) and
// send SIGTERM. Writes bench/results/storm.json. Run: node bench/storm.ts
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { cleanEnv, startCli } from "../test/support/cli.ts";
import { startFakeSlack } from "../test/support/fake-slack.ts";
import { accountStorm, busiestWindow, stormHosts, stormRequest } from "../test/support/storm.ts";

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), "results", "storm.json");
const ALERTS = Number(process.env.STORM_ALERTS ?? 10_000);
const PER_REQUEST = Number(process.env.STORM_PER_REQUEST ?? 500);
/** Give up waiting for Slack to account for everything after this long (main never gets there). */
const DRAIN_CAP_MS = Number(process.env.STORM_DRAIN_CAP_S ?? 150) * 1000;
const REQUEST_TIMEOUT_MS = 30_000;
const WINDOW_SECONDS = 10;
const MAX_PER_WINDOW = 10;

export interface StormResult {
  readonly alerts: number;
  readonly requests: number;
  readonly requests_failed: number;
  readonly request_latency_ms: { p50: number; p99: number; max: number };
  readonly healthz: { polls: number; timeouts: number; max_latency_ms: number };
  readonly status: { polls: number; timeouts: number; max_latency_ms: number };
  readonly rss_peak_mb: number;
  /** From the first request until Slack accounted for every alert; null when it never did. */
  readonly drain_seconds: number | null;
  readonly accounted: { named: number; summarised: number; total: number };
  readonly slack_messages: number;
  readonly busiest_window: number;
  readonly window_seconds: number;
  readonly max_per_window: number;
  readonly sigterm: { exit_ms: number; code: number | null; signal: string | null };
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number);

function rssMb(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const match = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/);
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

async function timed(url: string, init: RequestInit, timeoutMs: number): Promise<number | undefined> {
  const started = performance.now();
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    if (response.status !== 200) return undefined;
    return performance.now() - started;
  } catch {
    return undefined;
  }
}

export async function run(): Promise<StormResult> {
  const dir = mkdtempSync(join(tmpdir(), "alertpipe-storm-"));
  const slack = await startFakeSlack();
  const cli = startCli(
    ["run"],
    cleanEnv({
      SLACK_WEBHOOK_URL: slack.webhookUrl(),
      ALERTPIPE_STATE: `sqlite:${join(dir, "state.db")}`,
      ALERT_THROTTLE_WINDOW: String(WINDOW_SECONDS),
      ALERT_MAX_PER_WINDOW: String(MAX_PER_WINDOW),
      ALERT_LOG_ATTEMPTS: "false",
      METRICS_COLLECTION_INTERVAL: "3600",
    }),
  );
  try {
    const line = await cli.waitFor(/"otlp":"(127\.0\.0\.1:\d+)".*?"status":"(127\.0\.0\.1:\d+)"/, 20_000);
    const otlpUrl = `http://${line[1]}/v1/metrics`;
    const healthUrl = `http://${line[2]}/healthz`;
    const statusUrl = `http://${line[2]}/status`;
    const pid = cli.child.pid;

    let rssPeak = rssMb(pid);
    let polling = true;
    const poll = (url: string, everyMs: number) => {
      const seen = { polls: 0, timeouts: 0, max: 0 };
      const done = (async () => {
        while (polling) {
          const ms = await timed(url, {}, 5000);
          seen.polls++;
          if (ms === undefined) seen.timeouts++;
          else seen.max = Math.max(seen.max, ms);
          rssPeak = Math.max(rssPeak, rssMb(pid));
          await new Promise((r) => setTimeout(r, everyMs));
        }
      })();
      return { seen, done };
    };
    const health = poll(healthUrl, 100);
    const status = poll(statusUrl, 1000);

    const started = performance.now();
    const latencies: number[] = [];
    let failed = 0;
    const hosts = stormHosts(ALERTS);
    for (let i = 0; i < hosts.length; i += PER_REQUEST) {
      const body = JSON.stringify(stormRequest(hosts.slice(i, i + PER_REQUEST)));
      const ms = await timed(
        otlpUrl,
        { method: "POST", headers: { "content-type": "application/json" }, body },
        REQUEST_TIMEOUT_MS,
      );
      if (ms === undefined) failed++;
      else latencies.push(ms);
    }

    const total = () => {
      const a = accountStorm(slack.delivered());
      return { named: a.named.size, summarised: a.summarised, total: a.named.size + a.summarised };
    };
    let drainSeconds: number | null = null;
    while (performance.now() - started < DRAIN_CAP_MS) {
      if (total().total >= ALERTS) {
        drainSeconds = (performance.now() - started) / 1000;
        break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    polling = false;
    await Promise.all([health.done, status.done]);

    const stopAt = performance.now();
    cli.child.kill("SIGTERM");
    const killer = setTimeout(() => cli.child.kill("SIGKILL"), 60_000);
    const code = await cli.exited();
    clearTimeout(killer);
    const exitMs = performance.now() - stopAt;

    const sorted = [...latencies].sort((a, b) => a - b);
    const arrivals = slack.requests.filter((r) => r.reply.status === 200).map((r) => r.at);
    const result: StormResult = {
      alerts: ALERTS,
      requests: Math.ceil(ALERTS / PER_REQUEST),
      requests_failed: failed,
      request_latency_ms: {
        p50: Math.round(percentile(sorted, 0.5)),
        p99: Math.round(percentile(sorted, 0.99)),
        max: Math.round(sorted.at(-1) ?? 0),
      },
      healthz: {
        polls: health.seen.polls,
        timeouts: health.seen.timeouts,
        max_latency_ms: Math.round(health.seen.max),
      },
      status: {
        polls: status.seen.polls,
        timeouts: status.seen.timeouts,
        max_latency_ms: Math.round(status.seen.max),
      },
      rss_peak_mb: Math.round(rssPeak),
      drain_seconds: drainSeconds === null ? null : Number(drainSeconds.toFixed(1)),
      accounted: total(),
      slack_messages: arrivals.length,
      busiest_window: busiestWindow(arrivals, WINDOW_SECONDS * 1000),
      window_seconds: WINDOW_SECONDS,
      max_per_window: MAX_PER_WINDOW,
      sigterm: { exit_ms: Math.round(exitMs), code, signal: cli.child.signalCode },
    };
    return result;
  } finally {
    await cli.stop("SIGKILL");
    await slack.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await run();
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify({ at: new Date().toISOString(), ...result }, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\nwrote ${RESULTS}\n`);
}
