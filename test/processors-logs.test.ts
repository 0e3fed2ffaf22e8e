// Log records in the processors: the exceptions processor turns one carrying an exception into an
// ErrorEvent (mapped like a span's), logmetrics counts records per severity and service for rules.
import { lastValueFrom, of, toArray } from "rxjs";
import { describe, expect, it } from "vitest";
import { stackParser } from "../exporters/sentry-client.ts";
import { toSentryEvent } from "../exporters/sentry-event.ts";
import { errorEventFromLog, exceptionsProcessorFactory } from "../processors/exceptions.ts";
import { logMetricsProcessorFactory } from "../processors/logmetrics.ts";
import { thresholdFactory } from "../processors/threshold.ts";
import type { Processor } from "../src/component.ts";
import type { ErrorEvent, Item, LogSignal, SumPoint } from "../src/signal.ts";
import { testContext } from "./support/context.ts";
import { build } from "./support/processors.ts";
import { harness, VirtualClock } from "./support/virtual-clock.ts";

const STACK =
  "TypeError: price is not a number\n    at parse (/app/normalize.js:12:7)\n    at run (/app/main.js:3:1)";

function log(overrides: Partial<LogSignal> = {}): LogSignal {
  return {
    kind: "log",
    time: 1_700_000_000_123,
    severityNumber: 17,
    severityText: "error",
    body: "failed to parse artifact",
    attributes: {
      "pipeline.artifact.id": "a-42",
      "gen_ai.system": "deepseek",
      "exception.type": "TypeError",
      "exception.message": "price is not a number",
      "exception.stacktrace": STACK,
    },
    resource: { "service.name": "scraper" },
    scope: { name: "@opentelemetry/instrumentation-pino", version: "0.70.0" },
    traceId: "0af7651916cd43dd8448eb211c80319c",
    spanId: "b7ad6b7169203331",
    ...overrides,
  };
}

async function run(processor: Processor, items: Item[]): Promise<Item[]> {
  return lastValueFrom(of(...items).pipe(processor.operator, toArray()));
}

describe("exceptions processor on log records", () => {
  it("maps a record with an exception like a span exception: tags, contexts, trace link, level", () => {
    const e = errorEventFromLog(log({ eventName: "artifact.parse_failed" })) as ErrorEvent;
    expect(e).toMatchObject({
      kind: "error",
      error: { type: "TypeError", message: "price is not a number", stack: STACK },
      level: "error",
      message: "failed to parse artifact",
      logger: "@opentelemetry/instrumentation-pino",
      component: "scraper",
      operation: "artifact.parse_failed",
      artifactId: "a-42",
      llm: { provider: "deepseek" },
      traceId: "0af7651916cd43dd8448eb211c80319c",
      spanId: "b7ad6b7169203331",
      time: 1_700_000_000_123,
    });
    expect(Object.keys(e.attributes ?? {}).some((k) => k.startsWith("exception."))).toBe(false);
    const event = toSentryEvent(e, stackParser);
    expect(event).toMatchObject({
      level: "error",
      message: "failed to parse artifact",
      logger: "@opentelemetry/instrumentation-pino",
      tags: { component: "scraper", operation: "artifact.parse_failed", artifact_id: "a-42" },
      contexts: { trace: { trace_id: e.traceId, span_id: e.spanId }, llm: { provider: "deepseek" } },
    });
    const frames = event.exception?.values?.[0]?.stacktrace?.frames ?? [];
    expect(frames.map((f) => f.function)).toEqual(["run", "parse"]);
  });

  it("takes pipeline.component and pipeline.operation over the resource and event name; fatal is fatal", () => {
    const e = errorEventFromLog(
      log({
        severityNumber: 21,
        eventName: "ignored",
        body: "price is not a number",
        attributes: {
          "pipeline.component": "normalizer",
          "pipeline.operation": "parse_artifact",
          "exception.message": "price is not a number",
        },
      }),
    ) as ErrorEvent;
    expect(e).toMatchObject({
      component: "normalizer",
      operation: "parse_artifact",
      level: "fatal",
      error: { type: "Error", message: "price is not a number" },
    });
    // The body says nothing the exception does not: no separate message.
    expect(e.message).toBeUndefined();
  });

  it("leaves records without an exception alone", () => {
    expect(errorEventFromLog(log({ attributes: { "exception.stacktrace": STACK } }))).toBeUndefined();
    expect(errorEventFromLog(log({ attributes: {} }))).toBeUndefined();
  });

  it("reports records from min_severity up (error by default), and those without a severity", async () => {
    const processor = await exceptionsProcessorFactory.create(
      exceptionsProcessorFactory.configSchema.parse({}),
      testContext(),
    );
    const warn = log({ severityNumber: 13, severityText: "warn" });
    const bare = log({ severityNumber: 0, severityText: undefined });
    const textOnly = log({ severityNumber: 0, severityText: "ERROR" });
    const plain = log({ attributes: {} });
    const out = await run(processor, [warn, log(), bare, textOnly, plain]);
    expect(out.map((i) => i.kind)).toEqual(["log", "log", "error", "log", "error", "log", "error", "log"]);
    expect(out[2]).toMatchObject({ kind: "error", level: "error" });
    expect(processor.status?.()).toEqual({ error_events: 3, from_logs: 3 });

    const lenient = await exceptionsProcessorFactory.create(
      exceptionsProcessorFactory.configSchema.parse({ logs: { min_severity: "warn" } }),
      testContext(),
    );
    expect((await run(lenient, [warn]))[1]).toMatchObject({ kind: "error", level: "warning" });
    const off = await exceptionsProcessorFactory.create(
      exceptionsProcessorFactory.configSchema.parse({ logs: { enabled: false } }),
      testContext(),
    );
    expect((await run(off, [log()])).map((i) => i.kind)).toEqual(["log"]);
  });
});

describe("logmetrics processor", () => {
  it("counts records per severity, keeping the resource and pipeline.component", async () => {
    const processor = await logMetricsProcessorFactory.create(
      logMetricsProcessorFactory.configSchema.parse({}),
      testContext(),
    );
    const out = await run(processor, [
      log({ attributes: { "pipeline.component": "normalizer" } }),
      log({ severityNumber: 10 }),
      log({ severityNumber: 0, severityText: undefined }),
    ]);
    const points = out.filter((i): i is SumPoint => i.kind === "metric");
    expect(out.map((i) => i.kind)).toEqual(["log", "metric", "log", "metric", "log", "metric"]);
    expect(points.map((p) => p.attributes)).toEqual([
      { "log.severity": "ERROR", "pipeline.component": "normalizer" },
      { "log.severity": "INFO" },
      { "log.severity": "UNSPECIFIED" },
    ]);
    expect(points[0]).toMatchObject({
      name: "log.record.count",
      type: "sum",
      value: 1,
      monotonic: true,
      temporality: "delta",
      resource: { "service.name": "scraper" },
      time: 1_700_000_000_123,
    });
  });

  it("feeds a threshold rule: too many error logs from one service fire an alert for it", async () => {
    const clock = new VirtualClock();
    const counter = await build(logMetricsProcessorFactory as never, "logmetrics", {}, clock);
    const rule = await build(
      thresholdFactory as never,
      "threshold/error_logs",
      {
        metric: "log.record.count",
        where: { "log.severity": "ERROR" },
        aggregation: "sum",
        window: 300,
        group_by: ["service.name"],
        op: "above",
        threshold: 20,
        severity: "warning",
        component: "system",
        check_interval: 60,
      },
      clock,
    );
    const h = harness(clock);
    h.input.pipe((counter as Processor).operator, (rule as Processor).operator).subscribe(h.collect);
    const at = (service: string, severityNumber: number) =>
      log({ time: clock.now(), severityNumber, resource: { "service.name": service }, attributes: {} });
    for (let i = 0; i < 30; i++) {
      clock.advanceBy(5_000);
      h.input.next(at("scraper", 17)); // errors from the scraper
      h.input.next(at("enricher", 9)); // only info from the enricher
      h.input.next(at("enricher", 9));
    }
    const alerts = h.alerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      rule: "error_logs",
      status: "firing",
      labels: { "service.name": "scraper" },
      value: 21,
    });
  });
});
