// OtlpNormalizer on its own: the exact shape otlp-transformer's JSON serializers emit (the in-process
// bridge path), the cumulative → delta rules, exponential bucket conversion and field quirks.
import { JsonMetricsSerializer, JsonTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { AggregationTemporality, MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { describe, expect, it } from "vitest";
import { downscale, expToExplicit, subtractBuckets } from "../src/receivers/otlp/exponential.ts";
import { OtlpNormalizer, OtlpRequestError } from "../src/receivers/otlp/normalize.ts";
import type { GaugePoint, HistogramPoint, SpanSignal, SumPoint } from "../src/signal.ts";

class PullReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

const decode = (bytes: Uint8Array | undefined): unknown => JSON.parse(new TextDecoder().decode(bytes));

const T0 = 1_700_000_000_000; // ms
const ns = (ms: number): string => String(BigInt(ms) * 1_000_000n);

function sumRequest(
  points: Array<{ value: number | string; start?: number; time: number }>,
  monotonic = true,
): unknown {
  return {
    resourceMetrics: [
      {
        resource: { attributes: [{ key: "service.name", value: { stringValue: "s" } }] },
        scopeMetrics: [
          {
            scope: { name: "sc" },
            metrics: [
              {
                name: "c",
                sum: {
                  aggregationTemporality: "AGGREGATION_TEMPORALITY_CUMULATIVE",
                  isMonotonic: monotonic,
                  dataPoints: points.map((p) => ({
                    asInt: p.value,
                    startTimeUnixNano: p.start === undefined ? undefined : ns(p.start),
                    timeUnixNano: ns(p.time),
                  })),
                },
              },
            ],
          },
        ],
      },
    ],
  };
}

const values = (n: OtlpNormalizer, req: unknown): number[] =>
  n.metrics(req).items.map((i) => (i as SumPoint).value);

describe("OtlpNormalizer with otlp-transformer JSON (the in-process bridge shape)", () => {
  it("normalizes JsonMetricsSerializer output, counting from the first export", async () => {
    const reader = new PullReader({
      aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE,
    });
    const mp = new MeterProvider({
      resource: resourceFromAttributes({ "service.name": "self" }),
      readers: [reader],
    });
    const meter = mp.getMeter("m");
    const counter = meter.createCounter("pipeline.rpc.calls");
    const gauge = meter.createGauge("pipeline.health.score");
    const n = new OtlpNormalizer({ startedAt: 0 });
    counter.add(3, { "error.type": "timeout" });
    gauge.record(25);
    const first = n.metrics(
      decode(JsonMetricsSerializer.serializeRequest((await reader.collect()).resourceMetrics)),
    );
    counter.add(2, { "error.type": "timeout" });
    const second = n.metrics(
      decode(JsonMetricsSerializer.serializeRequest((await reader.collect()).resourceMetrics)),
    );
    await mp.shutdown();
    expect(first.rejected).toBe(0);
    const sum1 = first.items.find((i) => i.kind === "metric" && i.name === "pipeline.rpc.calls") as SumPoint;
    expect(sum1).toMatchObject({
      type: "sum",
      value: 3,
      attributes: { "error.type": "timeout" },
      resource: { "service.name": "self" },
    });
    expect(first.items.find((i) => i.kind === "metric" && i.type === "gauge")).toMatchObject({ value: 25 });
    const sum2 = second.items.find((i) => i.kind === "metric" && i.name === "pipeline.rpc.calls") as SumPoint;
    expect(sum2.value).toBe(2);
    expect(sum2.startTime).toBe(sum1.time);
  });

  it("normalizes JsonTraceSerializer output (hex ids, string nanos)", async () => {
    const exporter = new InMemorySpanExporter();
    const tp = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    const span = tp
      .getTracer("t")
      .startSpan("llm.enrich", { attributes: { "gen_ai.usage.input_tokens": 1200 } });
    span.recordException(new Error("rate limited"));
    span.end();
    const result = new OtlpNormalizer().traces(
      decode(JsonTraceSerializer.serializeRequest(exporter.getFinishedSpans())),
    );
    const s = result.items[0] as SpanSignal;
    expect(s).toMatchObject({
      kind: "span",
      name: "llm.enrich",
      spanKind: "internal",
      traceId: span.spanContext().traceId,
    });
    expect(s.attributes["gen_ai.usage.input_tokens"]).toBe(1200);
    expect(s.events[0]?.attributes["exception.message"]).toBe("rate limited");
    await tp.shutdown();
  });
});

describe("cumulative → delta", () => {
  it("records only a baseline for a series that started before the receiver", () => {
    const n = new OtlpNormalizer({ now: () => T0, startedAt: T0 });
    expect(values(n, sumRequest([{ value: 1_000_000, start: T0 - 86_400_000, time: T0 }]))).toEqual([]);
    expect(values(n, sumRequest([{ value: "1000005", start: T0 - 86_400_000, time: T0 + 60_000 }]))).toEqual([
      5,
    ]);
  });

  it("without a start time, never emits a first point; a drop is a reset counted from zero", () => {
    const n = new OtlpNormalizer({ now: () => T0, startedAt: 0 });
    expect(values(n, sumRequest([{ value: 50, time: T0 }]))).toEqual([]);
    expect(values(n, sumRequest([{ value: 60, time: T0 + 1 }]))).toEqual([10]);
    expect(values(n, sumRequest([{ value: 4, time: T0 + 2 }]))).toEqual([4]);
    expect(values(n, sumRequest([{ value: 4, time: T0 + 2 }]))).toEqual([]); // duplicate: stale
  });

  it("a newer start time is a restart; a point from the older start is dropped", () => {
    const n = new OtlpNormalizer({ now: () => T0, startedAt: 0 });
    expect(values(n, sumRequest([{ value: 10, start: T0, time: T0 + 10 }]))).toEqual([10]);
    expect(values(n, sumRequest([{ value: 30, start: T0 + 20, time: T0 + 30 }]))).toEqual([30]);
    expect(values(n, sumRequest([{ value: 12, start: T0, time: T0 + 40 }]))).toEqual([]);
  });

  it("reads a stream's first point like cumulativetodelta's initial_value (auto, keep, drop)", () => {
    const first = (n: OtlpNormalizer, start: number | undefined, time: number, value = 7) =>
      values(n, sumRequest([{ value, start, time }]));
    const auto = () => new OtlpNormalizer({ now: () => T0, startedAt: T0 });
    expect(first(auto(), T0 + 5, T0 + 10)).toEqual([7]); // started after the receiver: seen whole
    expect(first(auto(), T0 - 5, T0 + 10)).toEqual([]); // started before: history, a baseline only
    expect(first(auto(), undefined, T0 + 10)).toEqual([]); // unknown start
    // start = time: a stream first recorded in the (whole) millisecond of its export, counted.
    expect(first(auto(), T0 + 10, T0 + 10)).toEqual([7]);
    // Same start time: a continuation; a newer start after the receiver's: a new stream, whole.
    const n = auto();
    expect(first(n, T0 - 5, T0 + 10, 100)).toEqual([]);
    expect(first(n, T0 - 5, T0 + 20, 104)).toEqual([4]);
    expect(first(n, T0 + 25, T0 + 30, 3)).toEqual([3]);
    // A restart while the receiver was down (a restored baseline, new start before ours): baseline.
    const before = new OtlpNormalizer({ now: () => T0 - 50_000, startedAt: T0 - 60_000 });
    first(before, T0 - 60_000, T0 - 50_000, 100);
    const restored = new OtlpNormalizer({ now: () => T0, startedAt: T0 });
    restored.cumulative.restore(before.cumulative.baselines());
    expect(first(restored, T0 - 20_000, T0 + 10, 30)).toEqual([]);
    expect(first(restored, T0 - 20_000, T0 + 20, 33)).toEqual([3]);
    const keep = new OtlpNormalizer({ now: () => T0, startedAt: T0, initialValue: "keep" });
    expect(first(keep, T0 - 5, T0 + 10)).toEqual([7]);
    const drop = new OtlpNormalizer({ now: () => T0, startedAt: T0, initialValue: "drop" });
    expect(first(drop, T0 + 5, T0 + 10)).toEqual([]);
    expect(first(drop, T0 + 5, T0 + 20, 9)).toEqual([2]);
  });

  it("by default, a stream stamped a little before the receiver's start (sender clock skew) is seen whole", () => {
    const n = new OtlpNormalizer({ now: () => T0 });
    expect(values(n, sumRequest([{ value: 10, start: T0 - 500, time: T0 + 250 }]))).toEqual([10]);
    expect(values(n, sumRequest([{ value: 99, start: T0 - 60_000, time: T0 + 250 }]))).toEqual([]);
  });

  it("takes signed differences for non-monotonic sums", () => {
    const n = new OtlpNormalizer({ now: () => T0, startedAt: 0 });
    values(n, sumRequest([{ value: 10, start: T0, time: T0 + 1 }], false));
    expect(values(n, sumRequest([{ value: 7, start: T0, time: T0 + 2 }], false))).toEqual([-3]);
  });

  it("diffs histograms bucket-wise and treats a falling bucket as a reset", () => {
    const n = new OtlpNormalizer({ now: () => T0, startedAt: 0 });
    const req = (counts: number[], sum: number, max: number, time: number) => ({
      resourceMetrics: [
        {
          scopeMetrics: [
            {
              metrics: [
                {
                  name: "h",
                  histogram: {
                    aggregationTemporality: 2,
                    dataPoints: [
                      {
                        startTimeUnixNano: ns(T0),
                        timeUnixNano: ns(time),
                        count: String(counts.reduce((a, b) => a + b, 0)),
                        sum,
                        max,
                        min: 0.5,
                        explicitBounds: [1, 10],
                        bucketCounts: counts.map(String),
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    });
    const h = (r: unknown) => n.metrics(r).items[0] as HistogramPoint | undefined;
    expect(h(req([1, 2, 0], 10, 5, T0 + 1))).toMatchObject({
      count: 3,
      bucketCounts: [1, 2, 0],
      max: 5,
      min: 0.5,
    });
    const d = h(req([1, 3, 1], 30, 20, T0 + 2));
    expect(d).toMatchObject({ count: 2, bucketCounts: [0, 1, 1], sum: 20, max: 20 });
    expect(d?.min).toBeUndefined(); // the lifetime min did not move: the interval's min is unknown
    expect(h(req([0, 1, 0], 4, 3, T0 + 3))).toMatchObject({ count: 1, bucketCounts: [0, 1, 0] });
  });

  it("forgets series after the TTL and keeps at most max_series", () => {
    let now = T0;
    const n = new OtlpNormalizer({ now: () => now, startedAt: 0, seriesTtlMs: 60_000, maxSeries: 3 });
    for (let i = 0; i < 10; i++)
      values(n, sumRequest([{ value: i, start: T0, time: T0 + i + 1 }].map((p) => p)));
    expect(n.seriesCount).toBe(1);
    const many = (k: number) => ({
      resourceMetrics: [
        {
          scopeMetrics: [
            {
              metrics: [
                {
                  name: `c${k}`,
                  sum: {
                    aggregationTemporality: 2,
                    isMonotonic: true,
                    dataPoints: [{ asInt: 1, timeUnixNano: ns(now) }],
                  },
                },
              ],
            },
          ],
        },
      ],
    });
    for (let k = 0; k < 10; k++) n.metrics(many(k));
    expect(n.seriesCount).toBe(3);
    now += 61_000;
    n.metrics({ resourceMetrics: [] });
    expect(n.seriesCount).toBe(0);
  });

  it("leaves state untouched when a request is malformed", () => {
    const n = new OtlpNormalizer({ now: () => T0, startedAt: 0 });
    const bad = sumRequest([{ value: 5, start: T0, time: T0 + 1 }]) as {
      resourceMetrics: [{ scopeMetrics: [{ metrics: unknown[] }] }];
    };
    bad.resourceMetrics[0].scopeMetrics[0].metrics.push({ name: "x", gauge: { dataPoints: "nope" } });
    expect(() => n.metrics(bad)).toThrow(OtlpRequestError);
    expect(() => n.metrics(bad)).toThrow(
      "resourceMetrics[0].scopeMetrics[0].metrics[1].gauge.dataPoints: expected an array",
    );
    expect(n.seriesCount).toBe(0);
  });
});

describe("exponential histograms", () => {
  it("converts to explicit bounds: negative buckets, zero bucket, positive buckets, +Inf", () => {
    // scale 0: base 2. Positive bucket i holds (2^i, 2^(i+1)]; negative bucket 1 holds [-4, -2).
    const { bounds, bucketCounts } = expToExplicit(
      0,
      0,
      4,
      { offset: 0, counts: [1, 2] },
      { offset: 1, counts: [3] },
    );
    expect(bounds).toEqual([-2, 0, 2, 4]);
    expect(bucketCounts).toEqual([3, 4, 1, 2, 0]);
  });

  it("uses base 2^(2^-scale) and folds buckets past the double range", () => {
    const fine = expToExplicit(2, 0, 0, { offset: 4, counts: [1] }, { offset: 0, counts: [] });
    expect(fine.bounds[1]).toBeCloseTo(2 ** (5 / 4), 12);
    const huge = expToExplicit(-10, 0, 0, { offset: 0, counts: [1, 1] }, { offset: 0, counts: [] });
    expect(huge.bucketCounts.reduce((a, b) => a + b, 0)).toBe(2);
    expect(huge.bounds.every(Number.isFinite)).toBe(true);
  });

  it("downscales and subtracts by absolute index", () => {
    expect(downscale({ offset: -3, counts: [1, 1, 1, 1] }, 1)).toEqual({ offset: -2, counts: [1, 2, 1] });
    expect(subtractBuckets({ offset: 0, counts: [3, 3] }, { offset: 0, counts: [2, 2] })).toEqual({
      offset: 0,
      counts: [1, 1],
    });
    expect(subtractBuckets({ offset: 1, counts: [3] }, { offset: 0, counts: [1] })).toBeUndefined();
  });

  it("diffs cumulative exponential points across a scale change", () => {
    const n = new OtlpNormalizer({ now: () => T0, startedAt: 0 });
    const req = (scale: number, counts: number[], time: number) => ({
      resourceMetrics: [
        {
          scopeMetrics: [
            {
              metrics: [
                {
                  name: "e",
                  exponentialHistogram: {
                    aggregationTemporality: 2,
                    dataPoints: [
                      {
                        startTimeUnixNano: ns(T0),
                        timeUnixNano: ns(time),
                        count: counts.reduce((a, b) => a + b, 0),
                        scale,
                        zeroCount: 0,
                        positive: { offset: 0, bucketCounts: counts },
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    });
    n.metrics(req(1, [1, 1, 1, 1], T0 + 1));
    const d = n.metrics(req(0, [3, 3], T0 + 2)).items[0] as HistogramPoint;
    expect(d.count).toBe(2);
    expect(d.bounds).toEqual([0, 2, 4]);
    expect(d.bucketCounts).toEqual([0, 1, 1, 0]);
  });
});

describe("field quirks", () => {
  it("reads int64 strings, enum names, kvlists, arrays, bytes and base64 ids", () => {
    const n = new OtlpNormalizer();
    const attrs = [
      { key: "i", value: { intValue: "9007199254740993" } },
      { key: "d", value: { doubleValue: 1.5 } },
      { key: "b", value: { boolValue: true } },
      { key: "arr", value: { arrayValue: { values: [{ stringValue: "x" }, { intValue: 2 }] } } },
      { key: "kv", value: { kvlistValue: { values: [{ key: "k", value: { stringValue: "v" } }] } } },
      { key: "raw", value: { bytesValue: "AQI=" } },
    ];
    const m = n.metrics({
      resourceMetrics: [
        {
          scopeMetrics: [
            { metrics: [{ name: "g", gauge: { dataPoints: [{ asInt: "-7", attributes: attrs }] } }] },
          ],
        },
      ],
    });
    const g = m.items[0] as GaugePoint;
    expect(g.value).toBe(-7);
    expect(g.attributes).toEqual({
      i: "9007199254740993",
      d: 1.5,
      b: true,
      arr: ["x", 2],
      kv: '{"k":"v"}',
      raw: "AQI=",
    });
    const t = n.traces({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                {
                  traceId: Buffer.from("0123456789abcdef0123456789abcdef", "hex").toString("base64"),
                  spanId: "0123456789ABCDEF",
                  kind: "SPAN_KIND_PRODUCER",
                  status: { code: "STATUS_CODE_OK" },
                  startTimeUnixNano: "1700000000000000000",
                  endTimeUnixNano: "1700000000002500000",
                },
              ],
            },
          ],
        },
      ],
    });
    expect(t.items[0]).toMatchObject({
      traceId: "0123456789abcdef0123456789abcdef",
      spanId: "0123456789abcdef",
      spanKind: "producer",
      status: { code: "ok" },
      durationMs: 2.5,
    });
  });
});
