import { from, lastValueFrom, Subject, toArray, VirtualTimeScheduler } from "rxjs";
import { describe, expect, it } from "vitest";
import { SPANMETRICS_SCOPE, spanMetricsProcessorFactory } from "../processors/spanmetrics.ts";
import type { HistogramPoint, Item, MetricPoint, SpanSignal, SumPoint } from "../src/signal.ts";
import { testContext } from "./support/context.ts";

const resource = { "service.name": "scraper", "service.instance.id": "a" };

function span(overrides: Partial<SpanSignal>): SpanSignal {
  return {
    kind: "span",
    name: "op",
    spanKind: "client",
    status: { code: "unset" },
    traceId: "0af7651916cd43dd8448eb211c80319c",
    spanId: "b7ad6b7169203331",
    startTime: 1_000,
    endTime: 1_250,
    durationMs: 250,
    attributes: {},
    resource,
    scope: { name: "test" },
    events: [],
    ...overrides,
  };
}

function realHistogram(time: number): HistogramPoint {
  return {
    kind: "metric",
    type: "histogram",
    name: "http.client.request.duration",
    unit: "s",
    count: 3,
    bounds: [1, 10],
    bucketCounts: [3, 0, 0],
    attributes: { "http.request.method": "GET" },
    resource,
    scope: { name: "@opentelemetry/instrumentation-undici" },
    time,
  };
}

async function run(items: Item[], scheduler = new VirtualTimeScheduler()) {
  const processor = spanMetricsProcessorFactory.create(
    spanMetricsProcessorFactory.configSchema.parse({}),
    testContext({ scheduler }),
  );
  const { operator } = await processor;
  const out = await lastValueFrom(from(items).pipe(operator, toArray()));
  return {
    out,
    derived: out.filter((i): i is MetricPoint => i.kind === "metric" && i.scope === SPANMETRICS_SCOPE),
  };
}

describe("spanmetrics processor", () => {
  it("turns a failed database client span into a pipeline.db.failures delta of 1", async () => {
    const failed = span({
      name: "pg.query:SELECT test",
      status: { code: "error", message: 'relation "no_such_table" does not exist' },
      attributes: { "db.system": "postgresql", "db.statement": "select * from no_such_table" },
    });
    const ok = span({ attributes: { "db.system": "postgresql" } });
    const serverFailed = span({
      spanKind: "server",
      status: { code: "error" },
      attributes: { "db.system": "x" },
    });
    const { out, derived } = await run([failed, ok, serverFailed]);

    expect(out.filter((i) => i.kind === "span")).toHaveLength(3); // everything passes through
    expect(derived).toHaveLength(1);
    const point = derived[0] as SumPoint;
    expect(point).toMatchObject({
      type: "sum",
      name: "pipeline.db.failures",
      value: 1,
      monotonic: true,
      temporality: "delta",
      attributes: { "db.system.name": "postgresql", "db.operation.name": "SELECT" },
      resource,
      time: 1_250,
    });
  });

  it("derives http.client.request.duration histograms with long buckets from HTTP client spans", async () => {
    const slow = span({
      durationMs: 75_000,
      endTime: 76_000,
      status: { code: "error" },
      attributes: {
        "http.request.method": "GET",
        "server.address": "shop.example",
        "http.response.status_code": 504,
      },
    });
    const { derived } = await run([slow]);
    expect(derived).toHaveLength(1);
    const h = derived[0] as HistogramPoint;
    expect(h).toMatchObject({
      type: "histogram",
      unit: "s",
      count: 1,
      sum: 75,
      min: 75,
      max: 75,
      temporality: "delta",
    });
    expect(h.attributes).toEqual({
      "http.request.method": "GET",
      "server.address": "shop.example",
      "http.response.status_code": 504,
      "error.type": "504",
    });
    // 75 s falls in the (60, 90] bucket, not in +Inf: the 60 s threshold is visible.
    const bucket = h.bucketCounts.indexOf(1);
    expect(h.bounds[bucket - 1]).toBe(60);
    expect(h.bounds[bucket]).toBe(90);
  });

  it("stays quiet while the service exports its own histogram, and resumes after the TTL", async () => {
    const scheduler = new VirtualTimeScheduler();
    const processor = await spanMetricsProcessorFactory.create(
      spanMetricsProcessorFactory.configSchema.parse({
        http_client_duration: { real_histogram_ttl: 60, real_histogram_grace: 0 },
      }),
      testContext({ scheduler }),
    );
    const seen: Item[] = [];
    const input = new Subject<Item>();
    input.pipe(processor.operator).subscribe((i) => seen.push(i));
    const get = span({ attributes: { "http.method": "GET" } });
    const derivedCount = () =>
      seen.filter((i) => i.kind === "metric" && i.scope === SPANMETRICS_SCOPE).length;

    input.next(get);
    expect(derivedCount()).toBe(1); // no real histogram yet

    input.next(realHistogram(0));
    input.next(get);
    input.next(span({ resource: { "service.name": "other" }, attributes: { "http.method": "GET" } }));
    expect(derivedCount()).toBe(2); // same service quiet, another service still derived

    scheduler.schedule(() => input.next(get), 61_000);
    scheduler.flush();
    expect(derivedCount()).toBe(3); // no real histogram for longer than the TTL
    expect(processor.status?.()).toMatchObject({ http_histograms_derived: 3, http_histograms_suppressed: 1 });
  });

  it("holds a new service's derived points for the grace period and drops them if its histogram arrives", async () => {
    const scheduler = new VirtualTimeScheduler();
    const processor = await spanMetricsProcessorFactory.create(
      spanMetricsProcessorFactory.configSchema.parse({ http_client_duration: { real_histogram_grace: 60 } }),
      testContext({ scheduler }),
    );
    const seen: Item[] = [];
    const input = new Subject<Item>();
    input.pipe(processor.operator).subscribe((i) => seen.push(i));
    const derivedCount = () =>
      seen.filter((i) => i.kind === "metric" && i.scope === SPANMETRICS_SCOPE).length;
    const other = { "service.name": "no-metrics" };

    // Service A: spans first, its own histogram 30 s later (its first export) — nothing derived.
    input.next(span({ attributes: { "http.method": "GET" } }));
    // Service B: spans only — derived once the grace period shows it exports no histogram.
    input.next(span({ resource: other, attributes: { "http.method": "GET" } }));
    expect(derivedCount()).toBe(0);
    scheduler.schedule(() => input.next(realHistogram(30_000)), 30_000);
    scheduler.maxFrames = 59_000;
    scheduler.flush();
    expect(derivedCount()).toBe(0);
    expect(processor.status?.()).toMatchObject({ http_histograms_held: 1, http_histograms_suppressed: 1 });

    scheduler.maxFrames = 61_000;
    scheduler.flush();
    expect(derivedCount()).toBe(1);
    const released = seen.find((i) => i.kind === "metric" && i.scope === SPANMETRICS_SCOPE) as HistogramPoint;
    expect(released.resource).toEqual(other);

    // After the grace period B's spans derive at once; A stays quiet.
    scheduler.schedule(() => {
      input.next(span({ resource: other, attributes: { "http.method": "GET" } }));
      input.next(span({ attributes: { "http.method": "GET" } }));
    }, 0);
    scheduler.maxFrames = 62_000;
    scheduler.flush();
    expect(derivedCount()).toBe(2);

    // Shutdown releases whatever is still held.
    input.next(span({ resource: { "service.name": "new" }, attributes: { "http.method": "GET" } }));
    expect(derivedCount()).toBe(2);
    await processor.shutdown?.();
    expect(derivedCount()).toBe(3);
  });

  it("rejects unsorted buckets", () => {
    const r = spanMetricsProcessorFactory.configSchema.safeParse({
      http_client_duration: { buckets: [1, 0.5] },
    });
    expect(r.success).toBe(false);
  });
});
