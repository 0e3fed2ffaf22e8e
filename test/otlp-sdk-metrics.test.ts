// The receiver fed by the official OTLP metric exporters (http/json and http/protobuf) from a real MeterProvider.
import { OTLPMetricExporter as JsonExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPMetricExporter as ProtoExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AggregationType,
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from "@opentelemetry/sdk-metrics";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { GaugePoint, HistogramPoint, Item, MetricPoint, SumPoint } from "../src/signal.ts";
import { type RunningReceiver, startReceiver } from "./otlp-support.ts";

const formats = {
  "http/json": (url: string) => new JsonExporter({ url: `${url}/v1/metrics` }),
  "http/protobuf": (url: string) => new ProtoExporter({ url: `${url}/v1/metrics` }),
} satisfies Record<string, (url: string) => PushMetricExporter>;

function provider(
  exporter: PushMetricExporter,
  exponential = false,
): { mp: MeterProvider; flush: () => Promise<void> } {
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const mp = new MeterProvider({
    resource: resourceFromAttributes({ "service.name": "scraper", "service.instance.id": "i-1" }),
    readers: [reader],
    views: exponential
      ? [{ instrumentName: "payload.size", aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }]
      : [],
  });
  return { mp, flush: () => reader.forceFlush() };
}

const metrics = (items: Item[], name: string): MetricPoint[] =>
  items.filter((i): i is MetricPoint => i.kind === "metric" && i.name === name);

for (const [format, makeExporter] of Object.entries(formats)) {
  describe(`otlp receiver ← SDK exporter ${format}`, () => {
    let rx: RunningReceiver;
    beforeEach(async () => {
      rx = await startReceiver();
    });
    afterEach(async () => {
      await rx.stop();
    });

    it("turns cumulative counters into per-series deltas across exports", async () => {
      const { mp, flush } = provider(makeExporter(rx.url));
      const counter = mp.getMeter("pipeline").createCounter("pipeline.artifacts.processed");
      counter.add(5, { "roaster.id": "r1", platform: "shopify" });
      counter.add(2, { "roaster.id": "r2", platform: "shopify" });
      await flush();
      counter.add(3, { "roaster.id": "r1", platform: "shopify" });
      await flush();
      await mp.shutdown();

      const points = metrics(rx.items, "pipeline.artifacts.processed") as SumPoint[];
      const r1 = points.filter((p) => p.attributes["roaster.id"] === "r1").map((p) => p.value);
      const r2 = points.filter((p) => p.attributes["roaster.id"] === "r2").map((p) => p.value);
      // First export counts from the provider's start (after the receiver's), then deltas only.
      // (then 0s from shutdown's final export, when it lands before this line)
      expect(r1.slice(0, 2)).toEqual([5, 3]);
      expect(r2.slice(0, 2)).toEqual([2, 0]);
      expect([...r1.slice(2), ...r2.slice(2)].every((v) => v === 0)).toBe(true);
      for (const p of points) {
        expect(p.type).toBe("sum");
        expect(p.monotonic).toBe(true);
        expect(p.temporality).toBe("cumulative");
        expect(p.resource["service.name"]).toBe("scraper");
        expect(p.scope.name).toBe("pipeline");
      }
      expect(rx.receiver.status()).toMatchObject({ accepted_points: points.length, bad_requests: 0 });
    });

    it("treats a restarted process (new start time) as a reset: no negative delta", async () => {
      const first = provider(makeExporter(rx.url));
      const c1 = first.mp.getMeter("pipeline").createCounter("pipeline.db.failures");
      c1.add(10);
      await first.flush();
      c1.add(4);
      await first.flush();
      await first.mp.shutdown();
      await new Promise((r) => setTimeout(r, 5)); // a distinct start time for the "restarted" process

      const second = provider(makeExporter(rx.url));
      const c2 = second.mp.getMeter("pipeline").createCounter("pipeline.db.failures");
      c2.add(1);
      await second.flush();
      c2.add(2);
      await second.flush();
      await second.mp.shutdown();

      // The restart counts from its own start. Each shutdown may export once more with nothing new
      // (a 0 delta, or a point no newer than the last, dropped): only the non-zero deltas are fixed.
      const values = (metrics(rx.items, "pipeline.db.failures") as SumPoint[]).map((p) => p.value);
      expect(values.filter((v) => v !== 0)).toEqual([10, 4, 1, 2]);
      expect(values.every((v) => v >= 0)).toBe(true);
    });

    it("keeps gauges and up-down counters", async () => {
      const { mp, flush } = provider(makeExporter(rx.url));
      const meter = mp.getMeter("system");
      const gauge = meter.createGauge("system.memory.utilization", { unit: "1" });
      gauge.record(0.42, { "system.memory.state": "used" });
      const queue = meter.createUpDownCounter("pipeline.queue.depth");
      queue.add(7);
      await flush();
      gauge.record(0.91, { "system.memory.state": "used" });
      queue.add(-3);
      await flush();
      await mp.shutdown();

      const g = metrics(rx.items, "system.memory.utilization") as GaugePoint[];
      expect(g.slice(0, 2).map((p) => p.value)).toEqual([0.42, 0.91]);
      expect(g.slice(2).every((p) => p.value === 0.91)).toBe(true); // shutdown's final export, if it landed
      expect(g[0]).toMatchObject({ type: "gauge", unit: "1", attributes: { "system.memory.state": "used" } });
      const q = metrics(rx.items, "pipeline.queue.depth") as SumPoint[];
      expect(q.slice(0, 2).map((p) => [p.value, p.monotonic])).toEqual([
        [7, false],
        [-3, false],
      ]);
    });

    it("preserves histogram buckets, count, sum, min and max", async () => {
      const { mp, flush } = provider(makeExporter(rx.url));
      const h = mp.getMeter("http").createHistogram("http.client.request.duration", {
        unit: "s",
        advice: { explicitBucketBoundaries: [1, 5, 30, 60] },
      });
      for (const v of [0.5, 2, 3, 45, 120]) h.record(v);
      await flush();
      h.record(200);
      h.record(0.1);
      await flush();
      await mp.shutdown();

      const [p1, p2] = metrics(rx.items, "http.client.request.duration") as HistogramPoint[];
      expect(p1).toMatchObject({
        type: "histogram",
        unit: "s",
        bounds: [1, 5, 30, 60],
        bucketCounts: [1, 2, 0, 1, 1],
      });
      expect(p1).toMatchObject({ count: 5, sum: 170.5, min: 0.5, max: 120 });
      // Second export: only the two new observations; the max grew so it is the interval's max.
      expect(p2).toMatchObject({ count: 2, bucketCounts: [1, 0, 0, 0, 1], max: 200, min: 0.1 });
      expect(p2?.sum).toBeCloseTo(200.1);
    });

    it("converts exponential histograms into explicit buckets", async () => {
      const { mp, flush } = provider(makeExporter(rx.url), true);
      const h = mp.getMeter("io").createHistogram("payload.size", { unit: "By" });
      const values = [1, 2, 3, 10, 100, 1000, 0];
      for (const v of values) h.record(v);
      await flush();
      h.record(5000);
      await flush();
      await mp.shutdown();

      const [p1, p2] = metrics(rx.items, "payload.size") as HistogramPoint[];
      if (!p1 || !p2) throw new Error("expected two histogram points");
      expect(p1.count).toBe(values.length);
      expect(p1.max).toBe(1000);
      expect(p1.bucketCounts.length).toBe(p1.bounds.length + 1);
      expect(p1.bucketCounts.reduce((a, b) => a + b, 0)).toBe(values.length);
      // Every observation falls into the bucket whose bounds enclose it.
      for (const v of values) {
        const idx = p1.bounds.findIndex((b) => v <= b);
        expect(p1.bucketCounts[idx < 0 ? p1.bounds.length : idx]).toBeGreaterThan(0);
      }
      expect(p2.count).toBe(1);
      expect(p2.bucketCounts.reduce((a, b) => a + b, 0)).toBe(1);
      const at = p2.bounds.findIndex((b) => 5000 <= b);
      expect(p2.bounds[at - 1] ?? 0).toBeLessThan(5000);
      expect(p2.bucketCounts[at]).toBe(1);
      expect(p2.max).toBe(5000);
    });
  });
}
