// The eight seed alerts, end to end: the official OpenTelemetry SDK exports (http/protobuf) to the
// real CLI running the shipped pipeline.yaml, with the seed's windows scaled down by env vars, and
// each condition prints its alert on the console exporter.
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertpipeViews, DatabaseMetrics, PipelineMetrics } from "../src/pipeline-metrics.ts";
import { type CliRun, cleanEnv, startCli } from "./support/cli.ts";

const SEED_RULES = [
  "review_rate_spike",
  "rpc_error_rate",
  "system_health",
  "fetch_latency",
  "validation_error_rate",
  "database_failures",
  "memory_usage",
  "disk_usage",
];

describe("the eight seed alerts through the real CLI", () => {
  let cli: CliRun;
  let provider: MeterProvider;

  beforeAll(async () => {
    cli = startCli(
      ["run", "pipeline.yaml"],
      cleanEnv({
        ALERT_RATE_WINDOW: "2",
        ALERT_BASELINE_WINDOW: "3",
        ALERT_CHECK_INTERVAL: "0.2",
        // Above any real host's usage, below what this test sends.
        ALERT_MEMORY_USAGE_THRESHOLD: "98.5",
        ALERT_DISK_USAGE_THRESHOLD: "99.5",
        METRICS_COLLECTION_INTERVAL: "3600",
      }),
    );
    const [, endpoint] = await cli.waitFor(/"otlp":"(127\.0\.0\.1:\d+)"/);
    const exporter = new OTLPMetricExporter({ url: `http://${endpoint}/v1/metrics` });
    provider = new MeterProvider({
      resource: resourceFromAttributes({ "service.name": "roaster-scraper", "host.name": "e2e-host" }),
      readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })],
      views: alertpipeViews(),
    });
  });

  afterAll(async () => {
    await provider?.shutdown();
    expect(await cli.stop()).toBe(0);
  });

  it("prints one FIRING line per seed condition", async () => {
    const meter = provider.getMeter("alertpipe.pipeline");
    const pipeline = new PipelineMetrics(meter);
    const database = new DatabaseMetrics(meter);

    // Baseline: 10 % of artifacts flagged for review, per roaster; a steady roaster alongside.
    const artifacts = (roasterId: string, processed: number, flagged: number) => {
      for (let i = 0; i < processed; i++)
        pipeline.recordArtifact({ roasterId, platform: "shopify", flaggedForReview: i < flagged });
    };
    // Exports every 0.5 s for 6 s: past the 2 s window + 3 s baseline, so the baseline is covered.
    for (let i = 0; i < 12; i++) {
      artifacts("blue-bottle", 40, 4);
      artifacts("steady", 40, 4);
      await new Promise((r) => setTimeout(r, 500));
      await provider.forceFlush();
    }

    artifacts("blue-bottle", 40, 32); // 80 %: +700 % over the baseline
    artifacts("steady", 40, 4);
    for (let i = 0; i < 20; i++)
      pipeline.recordRpcCall({ method: "upsert_coffee", ok: i >= 5, durationMs: 20 }); // 5 of 27 with the 7 below
    for (let i = 0; i < 20; i++) pipeline.recordValidation(i >= 8); // 40 % fail
    for (let i = 0; i < 7; i++) database.recordRpcCall({ method: "noop", ok: true });
    for (let i = 0; i < 7; i++) pipeline.recordDbFailure({ operation: "insert", errorType: "timeout" }); // 7 > 5
    pipeline.setHealthScore(12);
    meter
      .createHistogram("http.client.request.duration", { unit: "s" })
      .record(95, { "server.address": "roaster.example" });
    meter
      .createGauge("system.memory.utilization", { unit: "1" })
      .record(0.995, { "system.memory.state": "used" });
    meter
      .createGauge("system.filesystem.utilization", { unit: "1" })
      .record(0.999, { "system.filesystem.mountpoint": "/var/lib/scraper" });
    await provider.forceFlush();

    for (const rule of SEED_RULES) {
      await cli.waitFor(new RegExp(`FIRING \\w+ \\[\\w+\\] ${rule}:`), 10_000, "stdout");
    }
    const lines = cli
      .stdout()
      .split("\n")
      .filter((l) => l.includes("FIRING"));
    const byRule = (rule: string) => lines.filter((l) => l.includes(` ${rule}:`));
    for (const rule of SEED_RULES) expect(byRule(rule), rule).toHaveLength(1);

    expect(byRule("review_rate_spike")[0]).toMatch(/warning \[normalizer\].*roaster\.id=blue-bottle/);
    expect(lines.join("\n")).not.toMatch(/roaster\.id=steady/);
    expect(byRule("rpc_error_rate")[0]).toMatch(/critical \[database\].*value=18\.52 %/);
    expect(byRule("system_health")[0]).toMatch(/critical \[system\].*value=12\b/);
    expect(byRule("fetch_latency")[0]).toMatch(/warning \[fetcher\].*value=95 s/); // p95 never exceeds the observed max
    expect(byRule("validation_error_rate")[0]).toMatch(/warning \[validator\].*value=40 %/);
    expect(byRule("database_failures")[0]).toMatch(/critical \[database\].*value=7\b/);
    expect(byRule("memory_usage")[0]).toMatch(/warning \[system\].*host\.name=e2e-host.*value=99\.50 %/);
    expect(byRule("disk_usage")[0]).toMatch(
      /critical \[system\].*mountpoint=\/var\/lib\/scraper.*value=99\.90 %/,
    );
  });
});
