import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import { TracerProvider } from "@opentelemetry/sdk-trace";
import { VirtualTimeScheduler } from "rxjs";
import { afterEach, describe, expect, it } from "vitest";
import { createInprocReceiver, inprocReceiverFactory } from "../src/inproc/receiver.ts";
import { alertpipeViews, DatabaseMetrics, PipelineMetrics } from "../src/pipeline-metrics.ts";
import type { HistogramPoint, Item, MetricPoint, SpanSignal, SumPoint } from "../src/signal.ts";
import { testContext } from "./support/context.ts";

async function settle(until: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !until(); i++) await new Promise((r) => setTimeout(r, 5));
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function setup() {
  const scheduler = new VirtualTimeScheduler();
  const receiver = createInprocReceiver(
    inprocReceiverFactory.configSchema.parse({ export_interval: 30 }),
    testContext({ scheduler }),
  );
  const meterProvider = new MeterProvider({ readers: [receiver.metricReader()], views: alertpipeViews() });
  const seen: Item[] = [];
  receiver.signals.subscribe((i) => seen.push(i));
  cleanups.push(async () => {
    await meterProvider.shutdown().catch(() => undefined);
    await receiver.shutdown();
  });
  /** Advance virtual time to `ms` and wait for the collection it triggers. */
  const advanceTo = async (ms: number) => {
    const before = receiver.status?.().collections;
    scheduler.maxFrames = ms;
    scheduler.flush();
    expect(receiver.status?.().collections).not.toBe(before);
    await receiver.collect(); // serialized after the tick's pull: resolves once it has emitted
  };
  return { scheduler, receiver, meterProvider, seen, advanceTo };
}

const metricsNamed = (items: Item[], name: string) =>
  items.filter((i): i is MetricPoint => i.kind === "metric" && i.name === name);

describe("inproc receiver: metric reader", () => {
  it("turns PipelineMetrics recordings into contract signals, counters as deltas per collection", async () => {
    const { receiver, meterProvider, seen, advanceTo } = setup();
    await receiver.start();
    const pm = new PipelineMetrics(meterProvider.getMeter("alertpipe.pipeline"));
    const db = new DatabaseMetrics(meterProvider.getMeter("alertpipe.pipeline"));

    for (let i = 0; i < 4; i++)
      pm.recordArtifact({ roasterId: "r1", platform: "shopify", flaggedForReview: i < 3 });
    pm.recordValidation(true);
    pm.recordValidation(false);
    pm.recordRpcCall({ method: "upsert_coffee", ok: true, durationMs: 120 });
    pm.recordRpcCall({ method: "upsert_coffee", ok: false, durationMs: 30_000, errorType: "timeout" });
    db.recordQuery({
      operation: "INSERT",
      ok: false,
      errorType: "23505",
      system: "postgresql",
      durationMs: 5,
    });
    pm.setHealthScore(25);

    await advanceTo(30_000);
    const first = seen.splice(0);

    const processed = metricsNamed(first, "pipeline.artifacts.processed") as SumPoint[];
    expect(processed).toHaveLength(1);
    expect(processed[0]).toMatchObject({
      type: "sum",
      value: 4,
      monotonic: true,
      unit: "{artifact}",
      attributes: { "roaster.id": "r1", platform: "shopify" },
      scope: { name: "alertpipe.pipeline" },
    });
    expect(metricsNamed(first, "pipeline.artifacts.review_flagged")[0]).toMatchObject({ value: 3 });
    const checks = metricsNamed(first, "pipeline.validation.checks") as SumPoint[];
    expect(Object.fromEntries(checks.map((c) => [c.attributes["validation.outcome"], c.value]))).toEqual({
      pass: 1,
      fail: 1,
    });
    const rpc = metricsNamed(first, "pipeline.rpc.calls") as SumPoint[];
    expect(rpc.find((p) => p.attributes["error.type"] === "timeout")).toMatchObject({
      value: 1,
      attributes: { "rpc.method": "upsert_coffee" },
    });
    expect(rpc.find((p) => p.attributes["error.type"] === undefined)).toMatchObject({ value: 1 });
    const rpcDuration = metricsNamed(first, "pipeline.rpc.duration") as HistogramPoint[];
    expect(rpcDuration.reduce((n, h) => n + h.count, 0)).toBe(2);
    expect(rpcDuration[0]?.unit).toBe("s");
    expect(rpcDuration[0]?.bounds).toContain(60); // long buckets via advice
    expect(metricsNamed(first, "pipeline.db.failures")[0]).toMatchObject({
      value: 1,
      unit: "{failure}",
      attributes: { "db.operation.name": "INSERT", "db.system.name": "postgresql", "error.type": "23505" },
    });
    expect(metricsNamed(first, "pipeline.health.score")[0]).toMatchObject({ type: "gauge", value: 25 });
    for (const p of first as MetricPoint[]) expect(p.resource["service.name"]).toBeDefined();

    // Second collection: only what happened since the first.
    pm.recordArtifact({ roasterId: "r1", platform: "shopify", flaggedForReview: false });
    pm.recordArtifact({ roasterId: "r1", platform: "shopify", flaggedForReview: false });
    await advanceTo(60_000);
    const second = seen.splice(0);
    expect(metricsNamed(second, "pipeline.artifacts.processed")[0]).toMatchObject({ value: 2 });
    // Nothing new was flagged: a delta reader exports no point rather than a zero.
    expect(
      metricsNamed(second, "pipeline.artifacts.review_flagged").reduce(
        (n, p) => n + (p as SumPoint).value,
        0,
      ),
    ).toBe(0);
    expect(metricsNamed(second, "pipeline.validation.checks")).toHaveLength(0);
    const times = metricsNamed(second, "pipeline.artifacts.processed").map((p) => p.time);
    expect(times[0]).toBeGreaterThan(0);
  });

  it("gives http.client.request.duration buckets past 60 s through the view", async () => {
    const { receiver, meterProvider, seen } = setup();
    await receiver.start();
    const h = meterProvider
      .getMeter("@opentelemetry/instrumentation-undici")
      .createHistogram("http.client.request.duration", {
        unit: "s",
        advice: { explicitBucketBoundaries: [0.005, 0.01, 0.1, 1, 10] }, // what instrumentations advise
      });
    h.record(75, { "http.request.method": "GET" });
    await receiver.collect();
    const point = metricsNamed(seen, "http.client.request.duration")[0] as HistogramPoint;
    expect(point.bounds).toContain(60);
    expect(point.bounds).toContain(90);
    const i = point.bucketCounts.indexOf(1);
    expect(point.bounds[i]).toBe(90);
    expect(point.max).toBe(75);
  });

  it("flushes recordings made just before shutdown", async () => {
    const { receiver, meterProvider, seen } = setup();
    await receiver.start();
    new PipelineMetrics(meterProvider.getMeter("x")).recordValidation(false);
    await meterProvider.shutdown();
    await settle(() => seen.length > 0);
    expect(metricsNamed(seen, "pipeline.validation.checks")[0]).toMatchObject({ value: 1 });
    await receiver.shutdown(); // reader already shut down: no error, no second export
    expect(receiver.status?.()).toMatchObject({ rejected: 0, metric_reader_attached: false });
  });
});

describe("inproc receiver: span processor and submit", () => {
  it("emits ended spans as SpanSignals with status, kind and attributes", async () => {
    const { receiver, seen } = setup();
    const tracerProvider = new TracerProvider({ spanProcessors: [receiver.spanProcessor()] });
    const tracer = tracerProvider.getTracer("@opentelemetry/instrumentation-pg");
    const span = tracer.startSpan("pg.query:SELECT test", {
      kind: SpanKind.CLIENT,
      attributes: { "db.system": "postgresql", "db.statement": "SELECT * FROM no_such_table" },
    });
    span.recordException(new Error('relation "no_such_table" does not exist'));
    span.setStatus({ code: SpanStatusCode.ERROR, message: "relation does not exist" });
    span.end();

    const spans = seen.filter((i): i is SpanSignal => i.kind === "span");
    expect(spans).toHaveLength(1);
    expect(spans[0]).toMatchObject({
      name: "pg.query:SELECT test",
      spanKind: "client",
      status: { code: "error" },
      attributes: { "db.system": "postgresql" },
      scope: { name: "@opentelemetry/instrumentation-pg" },
    });
    expect(spans[0]?.events[0]?.name).toBe("exception");
    expect(spans[0]?.traceId).toMatch(/^[0-9a-f]{32}$/);
    await tracerProvider.shutdown();
  });

  it("passes submitted items through", () => {
    const { receiver, seen } = setup();
    const item: Item = {
      kind: "error",
      error: { type: "ValueError", message: "bad price" },
      component: "normalizer",
      time: 1,
    };
    receiver.submit(item);
    expect(seen).toEqual([item]);
  });
});
