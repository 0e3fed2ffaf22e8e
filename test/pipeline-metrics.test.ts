import {
  AggregationTemporality,
  AggregationType,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import { describe, expect, it } from "vitest";
import {
  DatabaseMetrics,
  httpClientDurationView,
  LONG_LATENCY_BUCKETS_SECONDS,
  PipelineMetrics,
} from "../src/pipeline-metrics.ts";

async function collect(record: (provider: MeterProvider) => void) {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.DELTA);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  record(provider);
  await reader.forceFlush();
  const metrics = exporter.getMetrics().flatMap((rm) => rm.scopeMetrics.flatMap((s) => s.metrics));
  await provider.shutdown();
  return metrics;
}

describe("PipelineMetrics / DatabaseMetrics", () => {
  it("clamps the health score to 0–100 and ignores non-finite values", async () => {
    const metrics = await collect((p) => {
      const pm = new PipelineMetrics(p.getMeter("m"));
      pm.setHealthScore(140);
      pm.setHealthScore(Number.NaN);
    });
    const health = metrics.find((m) => m.descriptor.name === "pipeline.health.score");
    expect(health?.dataPointType).toBe(DataPointType.GAUGE);
    expect(health?.dataPoints[0]?.value).toBe(100);
  });

  it("marks failed RPC calls and DB failures with error.type (_OTHER when unknown)", async () => {
    const metrics = await collect((p) => {
      new PipelineMetrics(p.getMeter("m")).recordRpcCall({ method: "get_roaster", ok: false });
      new DatabaseMetrics(p.getMeter("m")).recordFailure({ operation: "UPDATE" });
    });
    const rpc = metrics.find((m) => m.descriptor.name === "pipeline.rpc.calls");
    expect(rpc?.dataPoints[0]?.attributes).toEqual({ "rpc.method": "get_roaster", "error.type": "_OTHER" });
    // No duration given: no histogram point.
    expect(metrics.find((m) => m.descriptor.name === "pipeline.rpc.duration")?.dataPoints ?? []).toHaveLength(
      0,
    );
    const db = metrics.find((m) => m.descriptor.name === "pipeline.db.failures");
    expect(db?.descriptor.unit).toBe("{failure}");
    expect(db?.dataPoints[0]?.attributes).toEqual({ "db.operation.name": "UPDATE", "error.type": "_OTHER" });
  });

  it("httpClientDurationView selects the instrument with explicit buckets past 60 s", () => {
    const view = httpClientDurationView();
    expect(view.instrumentName).toBe("http.client.request.duration");
    expect(view.aggregation).toEqual({
      type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM,
      options: { boundaries: [...LONG_LATENCY_BUCKETS_SECONDS], recordMinMax: true },
    });
    expect(LONG_LATENCY_BUCKETS_SECONDS.filter((b) => b > 60).length).toBeGreaterThan(0);
  });
});
