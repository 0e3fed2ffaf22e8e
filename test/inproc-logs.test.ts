// In-process logs: the inproc receiver's LogRecordProcessor feeds the app's OTel log records into the
// pipeline (attached by hand, and by alertpipe/register in a real process); a logged exception
// reaches Sentry linked to the span it was logged in.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ROOT_CONTEXT, SeverityNumber, TraceFlags, trace } from "@opentelemetry/api";
import { suppressTracing } from "@opentelemetry/core";
import { LoggerProvider } from "@opentelemetry/sdk-logs";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInprocessAlerting } from "../src/inproc/attach.ts";
import type { Item, LogSignal, SumPoint } from "../src/signal.ts";
import { type FakeSentry, startFakeSentry } from "./support/fake-sentry.ts";

const repo = resolve(import.meta.dirname, "..");
const fixtures = join(repo, "test/fixtures/logs");
const nodeBin = join(repo, "node_modules/.bin/node");

interface SentryEvent {
  tags: Record<string, string>;
  contexts: Record<string, Record<string, unknown>>;
  exception: { values: Array<{ type: string; value: string; stacktrace?: { frames: unknown[] } }> };
}

describe("inproc receiver's log record processor", () => {
  it("turns the records of a LoggerProvider it is attached to into log items and error events", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "alertpipe-inproc-logs-")), "items.jsonl");
    const handle = await startInprocessAlerting({
      sdk: false,
      env: {},
      logger: pino({ level: "silent" }),
      configText: `receivers:
  inproc: {}
processors:
  exceptions: {}
exporters:
  file: { path: ${JSON.stringify(out)}, kinds: [log, error] }
service:
  status: { enabled: false }
  pipelines:
    alerts: { receivers: [inproc], processors: [exceptions], exporters: [file] }
`,
    });
    const lp = new LoggerProvider({ processors: [handle.receiver.logRecordProcessor()] });
    const inSpan = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: "0af7651916cd43dd8448eb211c80319c",
      spanId: "b7ad6b7169203331",
      traceFlags: TraceFlags.SAMPLED,
    });
    lp.getLogger("winston").emit({
      severityNumber: SeverityNumber.ERROR,
      body: "write failed",
      attributes: { "pipeline.component": "database" },
      exception: new RangeError("row too large"),
      context: inSpan,
    });
    // alertpipe's own log lines (its work runs with tracing suppressed) never feed its pipeline.
    lp.getLogger("alertpipe").emit({
      severityNumber: SeverityNumber.ERROR,
      body: "delivery failed",
      exception: new Error("sentry down"),
      context: suppressTracing(ROOT_CONTEXT),
    });
    await lp.shutdown();
    expect(handle.receiver.status?.()).toMatchObject({ received: 1, rejected: 0 });
    await handle.shutdown();

    const [log, error] = readFileSync(out, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Item);
    expect(log).toMatchObject({
      kind: "log",
      body: "write failed",
      severityNumber: 17,
      traceId: "0af7651916cd43dd8448eb211c80319c",
      spanId: "b7ad6b7169203331",
      scope: { name: "winston" },
      attributes: { "exception.type": "RangeError", "exception.message": "row too large" },
    });
    expect(error).toMatchObject({
      kind: "error",
      component: "database",
      error: { type: "RangeError", message: "row too large" },
      traceId: "0af7651916cd43dd8448eb211c80319c",
    });
  });
});

describe("alertpipe/register feeds the app's OTel logs into the pipeline", () => {
  const dir = mkdtempSync(join(tmpdir(), "alertpipe-register-logs-"));
  let sentry: FakeSentry;
  let stdout = "";
  let stderr = "";
  let code: number | null = null;
  let items: Item[] = [];

  beforeAll(async () => {
    sentry = await startFakeSentry();
    const signalsFile = join(dir, "signals.jsonl");
    await new Promise<void>((done, fail) => {
      const child = spawn(
        nodeBin,
        ["--conditions=source", "--import", "alertpipe/register", join(fixtures, "app.js")],
        {
          cwd: repo,
          env: {
            ...process.env,
            ALERTPIPE_CONFIG: join(fixtures, "pipeline.yaml"),
            SIGNALS_FILE: signalsFile,
            SENTRY_DSN: sentry.dsn(),
          },
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      const killer = setTimeout(() => child.kill("SIGKILL"), 45_000);
      child.on("error", fail);
      child.on("close", (c) => {
        clearTimeout(killer);
        code = c;
        done();
      });
    });
    items = readFileSync(signalsFile, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Item);
  }, 60_000);

  afterAll(async () => {
    await sentry?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("records the app's log lines, counts them per severity and sends the exception to Sentry", () => {
    expect(stderr).not.toContain("alertpipe: not started");
    expect(code).toBe(0);
    const [, traceId, spanId] = /logged in trace ([0-9a-f]{32}) span ([0-9a-f]{16})/.exec(stdout) ?? [];
    expect(traceId).toBeDefined();
    const logs = items.filter((i): i is LogSignal => i.kind === "log");
    expect(logs.map((l) => l.body)).toEqual(["artifact parse failed", "app done"]);
    expect(logs[0]).toMatchObject({ traceId, spanId, scope: { name: "app-logger" } });
    const counts = items.filter((i): i is SumPoint => i.kind === "metric" && i.name === "log.record.count");
    expect(counts.map((c) => c.attributes["log.severity"])).toEqual(["ERROR", "INFO"]);

    const events = sentry.events() as unknown as SentryEvent[];
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      tags: { component: "normalizer", artifact_id: "a-7" },
      contexts: { trace: { trace_id: traceId, span_id: spanId } },
    });
    expect(events[0]?.exception.values[0]).toMatchObject({ type: "SyntaxError" });
    expect(events[0]?.exception.values[0]?.stacktrace?.frames.length).toBeGreaterThan(0);
  });
});
