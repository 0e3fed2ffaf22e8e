// Done-when of capture + replay: the official OpenTelemetry SDK exports (metrics over http/json,
// traces over http/protobuf) to a live collector that captures them; replaying the capture through
// the same pipeline.yaml gives the notices the live run sent.
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { PipelineMetrics } from "../src/pipeline-metrics.ts";
import { replay } from "../src/replay/run.ts";
import { DEFAULT_CONFIG_PATH, loadConfig, startAlertPipeline } from "../src/service.ts";
import type { Item, Notice } from "../src/signal.ts";

const ENV = { ALERT_CHECK_INTERVAL: "0.2" };

/** The shipped pipeline.yaml, fed only over OTLP (capturing it), sending to a JSON-lines file. */
async function capturingConfig(dir: string): Promise<string> {
  const doc = parseDocument(await readFile(DEFAULT_CONFIG_PATH, "utf8"));
  doc.setIn(["receivers", "otlp"], {
    endpoint: "127.0.0.1:0",
    capture: { path: join(dir, "capture.jsonl") },
  });
  doc.deleteIn(["receivers", "hostmetrics"]);
  doc.setIn(["exporters", "file/live"], {
    path: join(dir, "live.jsonl"),
    kinds: ["alert", "digest", "error"],
  });
  doc.setIn(["service", "pipelines", "alerts", "receivers"], ["otlp"]);
  doc.setIn(["service", "pipelines", "alerts", "exporters"], ["file/live"]);
  doc.setIn(["service", "status", "enabled"], false);
  return doc.toString();
}

/** What identifies a notice whatever its time (the live run stamps arrival, the replay point time). */
function identity(n: Notice): string {
  if (n.kind === "alert" && n.incident && n.incident.members.length > 1) {
    const members = n.incident.members.map((m) => identity(m.alert)).join(", ");
    return `incident ${n.incident.cause} ${n.status} [${members}]`;
  }
  if (n.kind === "alert") return `alert ${n.rule} ${n.status} ${JSON.stringify(n.labels)} ${n.value}`;
  if (n.kind === "error") return `error ${n.error.type}: ${n.error.message} ${n.component} ${n.operation}`;
  return `digest ${n.alerts.map(identity).join(", ")}`;
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Spawned CLIs and whole-day replays: generous time on a shared, loaded machine.
describe("capture then replay", { timeout: 120_000 }, () => {
  it("replays the official SDK's exports, captured live, into the notices the live run sent", async () => {
    const dir = await mkdtemp(join(tmpdir(), "alertpipe-replay-capture-"));
    const configText = await capturingConfig(dir);
    const live = await startAlertPipeline({ configText, env: ENV, logger: pino({ level: "silent" }) });
    const otlp = live.graph.receivers[0]?.instance.status?.().endpoint as string;
    const resource = resourceFromAttributes({ "service.name": "roaster-scraper", "host.name": "scraper-1" });
    const meterProvider = new MeterProvider({
      resource,
      readers: [
        new PeriodicExportingMetricReader({
          exporter: new OTLPMetricExporter({ url: `http://${otlp}/v1/metrics` }),
          exportIntervalMillis: 3_600_000,
        }),
      ],
    });
    const tracerProvider = new TracerProvider({
      resource,
      spanProcessors: [
        new SimpleSpanProcessor({ exporter: new OTLPTraceExporter({ url: `http://${otlp}/v1/traces` }) }),
      ],
    });
    const meter = meterProvider.getMeter("alertpipe.pipeline");
    const pipeline = new PipelineMetrics(meter);
    const memory = meter.createGauge("system.memory.utilization", { unit: "1" });
    const disk = meter.createGauge("system.filesystem.utilization", { unit: "1" });
    const sample = async (health: number, mem: number, data: number) => {
      pipeline.setHealthScore(health);
      memory.record(mem, { "system.memory.state": "used" });
      disk.record(0.4, { "system.filesystem.mountpoint": "/" });
      disk.record(data, { "system.filesystem.mountpoint": "/data" });
      await meterProvider.forceFlush();
    };
    const sent = async (): Promise<Notice[]> =>
      (await readFile(join(dir, "live.jsonl"), "utf8").catch(() => ""))
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Item)
        .filter((i): i is Notice => i.kind === "alert" || i.kind === "error" || i.kind === "digest");

    try {
      await sample(95, 0.5, 0.5);
      // system_health, memory_usage, disk_usage fire: memory and disk share a host, one incident
      await sample(20, 0.93, 0.97);
      const span = tracerProvider.getTracer("scraper").startSpan("parse_artifact", {
        attributes: { "pipeline.component": "normalizer", "pipeline.artifact.id": "artifact_123" },
      });
      span.recordException(new TypeError("price is not a number"));
      span.end();
      await tracerProvider.forceFlush();
      await until(async () => (await sent()).length >= 3, "two firings and the exception");
      await sample(95, 0.5, 0.5); // all three resolve on the next check tick
      await until(async () => (await sent()).length >= 5, "two resolves");
      // The scraper keeps exporting: the capture runs past the resolves by more than a check tick,
      // so the replay's own ticks (their phase is not the live run's) judge the recovered values too.
      await new Promise((r) => setTimeout(r, 500));
      await sample(95, 0.5, 0.5);
    } finally {
      await meterProvider.shutdown();
      await tracerProvider.shutdown();
      await live.shutdown();
    }
    const liveNotices = await sent();
    const used = (status: string, value: number) =>
      `alert memory_usage ${status} {"host.name":"scraper-1"} ${value}`;
    const data = (status: string, value: number) =>
      `alert disk_usage ${status} {"host.name":"scraper-1","system.filesystem.mountpoint":"/data"} ${value}`;
    expect(liveNotices.map(identity).sort()).toEqual([
      'alert system_health firing {"service.name":"roaster-scraper"} 20',
      'alert system_health resolved {"service.name":"roaster-scraper"} 95',
      "error TypeError: price is not a number normalizer parse_artifact",
      `incident memory_usage firing [${used("firing", 93)}, ${data("firing", 97)}]`,
      `incident memory_usage resolved [${used("resolved", 50)}, ${data("resolved", 50)}]`,
    ]);

    const capture = join(dir, "capture.jsonl");
    const captured = (await readFile(capture, "utf8")).split("\n").filter(Boolean);
    expect(captured.some((l) => l.startsWith('{"resourceSpans"'))).toBe(true); // protobuf, as JSON
    const config = await loadConfig({ configText, env: ENV });
    const replayed = await replay({ files: [capture], config, env: ENV });
    expect(replayed.notices.every((n) => !n.atShutdown)).toBe(true);
    expect(replayed.notices.map((n) => identity(n.notice)).sort()).toEqual(liveNotices.map(identity).sort());
  });
});
