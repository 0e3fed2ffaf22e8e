// Protocol fidelity: what the official SDK serializers emit (otlp-transformer's Json*/Protobuf*
// serializers for metrics, traces and logs) decodes to the same request, field by field, through the
// JSON path (JSON.parse) and the protobuf path (protobufjs + otlp-proto-schema.ts), and normalizes to
// the same signals; 64-bit integers survive exactly; fields the JS SDK never writes round-trip too.
import {
  createTraceState,
  type HrTime,
  ROOT_CONTEXT,
  SeverityNumber,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
  ValueType,
} from "@opentelemetry/api";
import {
  JsonLogsSerializer,
  JsonMetricsSerializer,
  JsonTraceSerializer,
  ProtobufLogsSerializer,
  ProtobufMetricsSerializer,
  ProtobufTraceSerializer,
} from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from "@opentelemetry/sdk-logs";
import { AggregationType, MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { describe, expect, it } from "vitest";
import { OtlpNormalizer } from "../src/receivers/otlp/normalize.ts";
import { decodeProtobufRequest, encodeProtobufRequest } from "../src/receivers/otlp/protobuf.ts";
import type { OtlpSignal } from "../src/receivers/otlp/signals.ts";

const SCHEMA_URL = "https://opentelemetry.io/schemas/1.30.0";
const TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
const SPAN_ID = "b7ad6b7169203331";
/** Sub-millisecond digits a double of nanoseconds since 1970 cannot hold (its spacing there is 256 ns). */
const T0: HrTime = [1_700_000_000, 123_456_789];
const at = (nsAfter: number): HrTime => [T0[0], T0[1] + nsAfter];

const resource = () =>
  resourceFromAttributes(
    { "service.name": "scraper", "service.instance.id": "i-1", "host.cpus": 8, ready: true },
    { schemaUrl: SCHEMA_URL },
  );

/** The proto3 view of a request: default values (0, "", false, empty lists and messages) are absent, ints are decimal text. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.length === 0 ? undefined : v.map((e) => canonical(e) ?? null);
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, e] of Object.entries(v)) {
      const c = canonical(e);
      if (c !== undefined) out[k] = c;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  if (typeof v === "number") return v === 0 ? undefined : Number.isInteger(v) ? String(v) : v;
  if (typeof v === "string" && /^-?\d+$/.test(v)) return BigInt(v) === 0n ? undefined : BigInt(v).toString();
  if (typeof v === "string") return v === "" ? undefined : v;
  return v === false || v === null ? undefined : v;
}

/** Dotted paths (list indices left out) of every non-default leaf. */
function leafPaths(v: unknown, prefix = "", out = new Set<string>()): Set<string> {
  if (Array.isArray(v)) for (const e of v) leafPaths(e, prefix, out);
  else if (v !== null && typeof v === "object")
    for (const [k, e] of Object.entries(v)) leafPaths(e, prefix ? `${prefix}.${k}` : k, out);
  else if (prefix) out.add(prefix);
  return out;
}

/**
 * The JSON serializers' output, parsed. They also write a `schemaUrl` into each Resource, a field
 * the proto's Resource does not have (the schema URL is the Resource*'s own field, written too).
 */
function parseJson(bytes: Uint8Array | undefined): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(bytes), function (key, value) {
    return key === "schemaUrl" && "attributes" in this && "droppedAttributesCount" in this
      ? undefined
      : value;
  }) as Record<string, unknown>;
}

/** Both decodings agree field by field, and normalize to the same signals. */
function expectSameThroughBothPaths(
  signal: OtlpSignal,
  json: Record<string, unknown>,
  proto: Record<string, unknown>,
): void {
  expect(canonical(proto)).toEqual(canonical(json));
  const now = () => 1_700_000_000_000;
  const viaJson = new OtlpNormalizer({ now, initialValue: "keep" }).normalize(signal, json);
  const viaProto = new OtlpNormalizer({ now, initialValue: "keep" }).normalize(signal, proto);
  expect(viaJson.rejected).toBe(0);
  expect(viaJson.items.length).toBeGreaterThan(0);
  expect(viaProto).toEqual(viaJson);
}

async function sdkSpans() {
  const exporter = new InMemorySpanExporter();
  const tp = new TracerProvider({
    resource: resource(),
    spanLimits: {
      attributeCountLimit: 6,
      eventCountLimit: 2,
      linkCountLimit: 1,
      attributePerEventCountLimit: 3,
      attributePerLinkCountLimit: 1,
    },
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const tracer = tp.getTracer("pipeline", "1.2.3", { schemaUrl: SCHEMA_URL });
  const remoteParent = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: TRACE_ID,
    spanId: SPAN_ID,
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
    traceState: createTraceState("vendor=parent"),
  });
  const link = (spanId: string) => ({
    context: {
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      spanId,
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
      traceState: createTraceState("vendor=link"),
    },
    attributes: { "link.kind": "batch", "link.n": 2 },
  });
  const span = tracer.startSpan(
    "db.insert",
    {
      kind: SpanKind.CLIENT,
      startTime: T0,
      attributes: {
        "db.system.name": "postgresql",
        "pipeline.artifact.id": "a-42",
        retries: 3,
        ratio: 0.25,
        ok: false,
        tags: ["x", "y"],
        "over.the.limit": "dropped",
      },
      links: [link("00f067aa0ba902b7"), link("00f067aa0ba902b8")],
    },
    remoteParent,
  );
  span.addEvent(
    "exception",
    { "exception.type": "TypeError", "exception.message": "boom", "exception.stacktrace": "at x", extra: 1 },
    at(100_000_001),
  );
  span.addEvent("retry", { attempt: 2 }, at(150_000_003));
  span.addEvent("one too many", {}, at(160_000_000));
  span.setStatus({ code: SpanStatusCode.ERROR, message: "insert failed" });
  span.end(at(200_000_211));
  await tp.forceFlush();
  return exporter.getFinishedSpans();
}

async function sdkMetrics() {
  class CollectingReader extends MetricReader {
    protected override async onShutdown(): Promise<void> {}
    protected override async onForceFlush(): Promise<void> {}
  }
  const reader = new CollectingReader();
  const mp = new MeterProvider({
    resource: resource(),
    readers: [reader],
    views: [{ instrumentName: "payload.size", aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
  });
  const meter = mp.getMeter("pipeline", "1.2.3", { schemaUrl: SCHEMA_URL });
  const attrs = { "roaster.id": "r1", platform: "shopify", shard: 7 };
  meter
    .createCounter("pipeline.artifacts.processed", { valueType: ValueType.INT, unit: "{artifact}" })
    .add(5, attrs);
  meter.createUpDownCounter("queue.depth", { description: "items waiting" }).add(-2.5, attrs);
  meter.createGauge("pipeline.health.score", { unit: "1" }).record(87.5, attrs);
  const latency = meter.createHistogram("http.client.request.duration", { unit: "s" });
  for (const v of [0.2, 1.5, 70]) latency.record(v, attrs);
  const size = meter.createHistogram("payload.size", { unit: "By" });
  for (const v of [0, 3, 900, 1e6]) size.record(v, attrs);
  const { resourceMetrics, errors } = await reader.collect();
  expect(errors).toEqual([]);
  await mp.shutdown();
  return resourceMetrics;
}

async function sdkLogs() {
  const exporter = new InMemoryLogRecordExporter();
  const lp = new LoggerProvider({
    resource: resource(),
    logRecordLimits: { attributeCountLimit: 6 },
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  const logger = lp.getLogger("pino", "9.1.0", {
    schemaUrl: SCHEMA_URL,
    attributes: { "logger.kind": "pino" },
  });
  const spanContext = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: TRACE_ID,
    spanId: SPAN_ID,
    traceFlags: TraceFlags.SAMPLED,
  });
  const err = new TypeError("price is not a number");
  logger.emit({
    timestamp: at(7),
    observedTimestamp: at(1_000_009),
    severityNumber: SeverityNumber.ERROR2,
    severityText: "error",
    eventName: "artifact.parse_failed",
    body: {
      msg: "parse failed",
      raw: new Uint8Array([1, 2, 3]),
      fields: ["price", 12, true],
      nested: { depth: 2 },
    },
    attributes: {
      "pipeline.component": "normalizer",
      "pipeline.artifact.id": "a-42",
      attempt: 2,
      dropped: "x",
    },
    exception: err,
    context: spanContext,
  });
  logger.emit({
    timestamp: at(9),
    severityNumber: SeverityNumber.INFO,
    body: "plain text",
    attributes: { n: 1 },
  });
  await lp.forceFlush();
  return exporter.getFinishedLogRecords();
}

describe("JSON and protobuf decoders agree on what the official SDK serializers emit", () => {
  it("traces: ids, trace state, flags, kind, times, attributes, events, links, status, dropped counts", async () => {
    const spans = await sdkSpans();
    const json = parseJson(JsonTraceSerializer.serializeRequest(spans));
    const proto = decodeProtobufRequest(
      "traces",
      ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array,
    );
    const s = "resourceSpans.scopeSpans.spans";
    expect([...leafPaths(canonical(json))]).toEqual(
      expect.arrayContaining([
        "resourceSpans.resource.attributes.key",
        "resourceSpans.resource.attributes.value.stringValue",
        "resourceSpans.resource.attributes.value.intValue",
        "resourceSpans.resource.attributes.value.boolValue",
        "resourceSpans.schemaUrl",
        "resourceSpans.scopeSpans.scope.name",
        "resourceSpans.scopeSpans.scope.version",
        "resourceSpans.scopeSpans.schemaUrl",
        ...[
          "traceId",
          "spanId",
          "parentSpanId",
          "traceState",
          "flags",
          "name",
          "kind",
          "startTimeUnixNano",
          "endTimeUnixNano",
          "attributes.value.doubleValue",
          "attributes.value.arrayValue.values.stringValue",
          "droppedAttributesCount",
          "events.name",
          "events.timeUnixNano",
          "events.attributes.key",
          "droppedEventsCount",
          "links.traceId",
          "links.spanId",
          "links.traceState",
          "links.flags",
          "links.attributes.key",
          "links.droppedAttributesCount",
          "droppedLinksCount",
          "status.code",
          "status.message",
        ].map((f) => `${s}.${f}`),
      ]),
    );
    expectSameThroughBothPaths("traces", json, proto);
  });

  it("metrics: int and double sums, gauges, explicit and exponential histograms, units, descriptions", async () => {
    const rm = await sdkMetrics();
    const json = parseJson(JsonMetricsSerializer.serializeRequest(rm));
    const proto = decodeProtobufRequest(
      "metrics",
      ProtobufMetricsSerializer.serializeRequest(rm) as Uint8Array,
    );
    const m = "resourceMetrics.scopeMetrics.metrics";
    expect([...leafPaths(canonical(json))]).toEqual(
      expect.arrayContaining([
        "resourceMetrics.schemaUrl",
        "resourceMetrics.scopeMetrics.scope.name",
        "resourceMetrics.scopeMetrics.scope.version",
        "resourceMetrics.scopeMetrics.schemaUrl",
        ...[
          "name",
          "unit",
          "description",
          "sum.aggregationTemporality",
          "sum.isMonotonic",
          "sum.dataPoints.asInt",
          "sum.dataPoints.asDouble",
          "sum.dataPoints.startTimeUnixNano",
          "sum.dataPoints.timeUnixNano",
          "sum.dataPoints.attributes.value.intValue",
          "gauge.dataPoints.asDouble",
          "histogram.aggregationTemporality",
          "histogram.dataPoints.count",
          "histogram.dataPoints.sum",
          "histogram.dataPoints.min",
          "histogram.dataPoints.max",
          "histogram.dataPoints.bucketCounts",
          "histogram.dataPoints.explicitBounds",
          "exponentialHistogram.dataPoints.count",
          "exponentialHistogram.dataPoints.sum",
          "exponentialHistogram.dataPoints.max",
          "exponentialHistogram.dataPoints.scale",
          "exponentialHistogram.dataPoints.zeroCount",
          "exponentialHistogram.dataPoints.positive.offset",
          "exponentialHistogram.dataPoints.positive.bucketCounts",
        ].map((f) => `${m}.${f}`),
      ]),
    );
    expectSameThroughBothPaths("metrics", json, proto);
  });

  it("logs: times, severity, body of every AnyValue kind, attributes, event name, flags, trace and span ids", async () => {
    const records = await sdkLogs();
    const json = parseJson(JsonLogsSerializer.serializeRequest(records));
    const proto = decodeProtobufRequest(
      "logs",
      ProtobufLogsSerializer.serializeRequest(records) as Uint8Array,
    );
    const l = "resourceLogs.scopeLogs.logRecords";
    expect([...leafPaths(canonical(json))]).toEqual(
      expect.arrayContaining([
        "resourceLogs.schemaUrl",
        "resourceLogs.scopeLogs.scope.name",
        "resourceLogs.scopeLogs.scope.version",
        "resourceLogs.scopeLogs.scope.attributes.key",
        "resourceLogs.scopeLogs.schemaUrl",
        ...[
          "timeUnixNano",
          "observedTimeUnixNano",
          "severityNumber",
          "severityText",
          "eventName",
          "body.stringValue",
          "body.kvlistValue.values.value.stringValue",
          "body.kvlistValue.values.value.bytesValue",
          "body.kvlistValue.values.value.arrayValue.values.intValue",
          "body.kvlistValue.values.value.arrayValue.values.boolValue",
          "body.kvlistValue.values.value.kvlistValue.values.key",
          "attributes.key",
          "attributes.value.stringValue",
          "droppedAttributesCount",
          "flags",
          "traceId",
          "spanId",
        ].map((f) => `${l}.${f}`),
      ]),
    );
    expectSameThroughBothPaths("logs", json, proto);
  });
});

describe("64-bit integers in the protobuf path", () => {
  const ns = (s: string) => s; // decimal strings: what the proto3 JSON mapping writes for int64
  const spanRequest = {
    resourceSpans: [
      {
        scopeSpans: [
          {
            spans: [
              {
                traceId: TRACE_ID,
                spanId: SPAN_ID,
                name: "tiny",
                startTimeUnixNano: ns("1700000000000000001"),
                endTimeUnixNano: ns("1700000000000000999"),
                attributes: [
                  { key: "big.id", value: { intValue: "9223372036854775807" } },
                  { key: "neg.id", value: { intValue: "-9007199254740993" } },
                  { key: "small", value: { intValue: "42" } },
                ],
              },
            ],
          },
        ],
      },
    ],
  };

  it("keeps nanosecond timestamps and int64 attributes exact, as the JSON path does", () => {
    const proto = decodeProtobufRequest("traces", encodeProtobufRequest("traces", spanRequest));
    const span = (proto as typeof spanRequest).resourceSpans[0]?.scopeSpans[0]?.spans[0];
    expect(span?.startTimeUnixNano).toBe("1700000000000000001");
    expect(span?.endTimeUnixNano).toBe("1700000000000000999");
    const n = new OtlpNormalizer();
    const [fromProto] = n.traces(proto).items;
    const [fromJson] = n.traces(spanRequest).items;
    expect(fromProto).toEqual(fromJson);
    expect(fromProto).toMatchObject({
      durationMs: 0.000998,
      startTime: 1_700_000_000_000 + 0.000001,
      attributes: { "big.id": "9223372036854775807", "neg.id": "-9007199254740993", small: 42 },
    });
  });

  it("decodes every 64-bit field kind (fixed64, sfixed64, int64, uint64) to its exact decimal text", () => {
    const big = "18446744073709551615"; // 2^64 − 1: uint64 and fixed64 only
    const req = {
      resourceMetrics: [
        {
          scopeMetrics: [
            {
              metrics: [
                {
                  name: "g",
                  gauge: { dataPoints: [{ timeUnixNano: big, asInt: "-9223372036854775808" }] },
                },
                {
                  name: "e",
                  exponentialHistogram: {
                    aggregationTemporality: 1,
                    dataPoints: [
                      {
                        timeUnixNano: "1700000000000000001",
                        count: "9007199254740993",
                        zeroCount: "9007199254740993",
                        positive: { offset: -3, bucketCounts: [big] },
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    const back = decodeProtobufRequest("metrics", encodeProtobufRequest("metrics", req));
    expect(back).toEqual(req);
  });
});

describe("schema fields the JS SDK never writes round-trip through protobuf", () => {
  const kv = (key: string, value: string) => ({ key, value: { stringValue: value } });
  const exemplar = {
    filteredAttributes: [kv("user", "u1")],
    timeUnixNano: "1700000000000000123",
    asDouble: 1.5,
    spanId: SPAN_ID,
    traceId: TRACE_ID,
  };
  const requests: Record<OtlpSignal, Record<string, unknown>> = {
    metrics: {
      resourceMetrics: [
        {
          resource: {
            attributes: [kv("service.name", "svc"), kv("host.name", "h1")],
            droppedAttributesCount: 1,
            entityRefs: [
              {
                schemaUrl: SCHEMA_URL,
                type: "service",
                idKeys: ["service.name"],
                descriptionKeys: ["host.name"],
              },
            ],
          },
          schemaUrl: SCHEMA_URL,
          scopeMetrics: [
            {
              scope: { name: "s", version: "1", attributes: [kv("a", "b")], droppedAttributesCount: 2 },
              schemaUrl: SCHEMA_URL,
              metrics: [
                {
                  name: "gauge",
                  metadata: [kv("origin", "prometheus")],
                  gauge: {
                    dataPoints: [
                      { asInt: "3", flags: 1, exemplars: [{ ...exemplar, asInt: "7", asDouble: undefined }] },
                    ],
                  },
                },
                {
                  name: "hist",
                  histogram: {
                    aggregationTemporality: 1,
                    dataPoints: [
                      {
                        count: "2",
                        sum: 3,
                        bucketCounts: ["1", "1"],
                        explicitBounds: [1],
                        exemplars: [{ ...exemplar }],
                        flags: 1,
                        min: 1,
                        max: 2,
                      },
                    ],
                  },
                },
                {
                  name: "exp",
                  exponentialHistogram: {
                    aggregationTemporality: 2,
                    dataPoints: [
                      {
                        count: "3",
                        scale: -2,
                        zeroCount: "1",
                        zeroThreshold: 0.001,
                        positive: { offset: 1, bucketCounts: ["1"] },
                        negative: { offset: -1, bucketCounts: ["1"] },
                        exemplars: [{ ...exemplar }],
                        flags: 1,
                        min: -4,
                        max: 4,
                      },
                    ],
                  },
                },
                {
                  name: "summary",
                  summary: {
                    dataPoints: [
                      {
                        attributes: [kv("q", "all")],
                        startTimeUnixNano: "1700000000000000000",
                        timeUnixNano: "1700000000000000001",
                        count: "10",
                        sum: 55,
                        quantileValues: [
                          { quantile: 0.5, value: 5 },
                          { quantile: 0.99, value: 9.9 },
                        ],
                        flags: 1,
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    },
    traces: {
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                {
                  traceId: TRACE_ID,
                  spanId: SPAN_ID,
                  parentSpanId: "00f067aa0ba902b7",
                  traceState: "a=b",
                  flags: 769,
                  name: "s",
                  kind: 5,
                  startTimeUnixNano: "1",
                  endTimeUnixNano: "2",
                  events: [
                    { timeUnixNano: "1", name: "e", attributes: [kv("k", "v")], droppedAttributesCount: 1 },
                  ],
                  droppedEventsCount: 2,
                  links: [
                    {
                      traceId: TRACE_ID,
                      spanId: "00f067aa0ba902b9",
                      traceState: "c=d",
                      attributes: [kv("k", "v")],
                      droppedAttributesCount: 3,
                      flags: 257,
                    },
                  ],
                  droppedLinksCount: 4,
                  status: { code: 2, message: "bad" },
                },
              ],
            },
          ],
        },
      ],
    },
    logs: {
      resourceLogs: [
        {
          scopeLogs: [
            {
              logRecords: [
                {
                  timeUnixNano: "1700000000000000001",
                  observedTimeUnixNano: "1700000000000000002",
                  severityNumber: 24,
                  severityText: "FATAL4",
                  body: { arrayValue: { values: [{ doubleValue: 1.5 }, { bytesValue: "AQI=" }] } },
                  attributes: [kv("k", "v")],
                  droppedAttributesCount: 1,
                  flags: 1,
                  traceId: TRACE_ID,
                  spanId: SPAN_ID,
                  eventName: "e",
                },
              ],
            },
          ],
        },
      ],
    },
  };

  for (const signal of ["metrics", "traces", "logs"] as const) {
    it(`${signal}: exemplars, summaries, entity refs, metadata, links, flags and dropped counts survive`, () => {
      const req = requests[signal];
      const back = decodeProtobufRequest(signal, encodeProtobufRequest(signal, req));
      expect(canonical(back)).toEqual(canonical(JSON.parse(JSON.stringify(req))));
    });
  }
});
