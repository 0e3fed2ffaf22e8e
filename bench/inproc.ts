// Cost of the in-process bridge inside the instrumented app: µs per ended span (SpanProcessor.onEnd →
// OTLP JSON → OtlpNormalizer → SpanSignal, synchronous in the app's thread), and ms per metric
// collection of PipelineMetrics-style series. Writes bench/results/inproc.json.
// Run: node bench/inproc.ts
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import { TracerProvider } from "@opentelemetry/sdk-trace";
import { pino } from "pino";
import { asyncScheduler } from "rxjs";
import { createInprocReceiver, inprocReceiverFactory } from "../src/inproc/receiver.ts";
import { alertpipeViews, PipelineMetrics } from "../src/pipeline-metrics.ts";

const SPANS = Number(process.env.BENCH_SPANS ?? 20_000);
const SERIES = 1_000;
const COLLECTIONS = 20;

const receiver = createInprocReceiver(inprocReceiverFactory.configSchema.parse({}), {
  id: "inproc",
  scheduler: asyncScheduler,
  logger: pino({ level: "silent" }),
  configDir: process.cwd(),
  env: {},
});
let received = 0;
receiver.signals.subscribe(() => received++);

// Spans: a pg-like failed client span with 6 attributes and an exception event, as instrumentation makes.
const tracerProvider = new TracerProvider({ spanProcessors: [receiver.spanProcessor()] });
const tracer = tracerProvider.getTracer("@opentelemetry/instrumentation-pg");
function oneSpan(i: number): void {
  const span = tracer.startSpan("pg.query:SELECT test", {
    kind: SpanKind.CLIENT,
    attributes: {
      "db.system.name": "postgresql",
      "db.namespace": "test",
      "db.query.text": "SELECT * FROM coffees WHERE roaster_id = $1",
      "server.address": "127.0.0.1",
      "server.port": 5432,
      "db.operation.name": "SELECT",
    },
  });
  if (i % 10 === 0) {
    span.recordException(new Error("relation does not exist"));
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}
for (let i = 0; i < 2_000; i++) oneSpan(i); // warm-up
const spanStart = process.hrtime.bigint();
for (let i = 0; i < SPANS; i++) oneSpan(i);
const spanNs = Number(process.hrtime.bigint() - spanStart);

// Baseline: the same spans with no processor, to isolate the bridge's share.
const bare = new TracerProvider({ spanProcessors: [] }).getTracer("bare");
const bareStart = process.hrtime.bigint();
for (let i = 0; i < SPANS; i++) {
  const s = bare.startSpan("pg.query:SELECT test", {
    kind: SpanKind.CLIENT,
    attributes: { "db.system.name": "pg" },
  });
  s.end();
}
const bareNs = Number(process.hrtime.bigint() - bareStart);

// Metrics: 1 000 series (roaster × platform) of two counters, collected as deltas.
const meterProvider = new MeterProvider({ readers: [receiver.metricReader()], views: alertpipeViews() });
const pm = new PipelineMetrics(meterProvider.getMeter("alertpipe.pipeline"));
const collectMs: number[] = [];
for (let c = 0; c < COLLECTIONS; c++) {
  for (let s = 0; s < SERIES; s++) {
    pm.recordArtifact({
      roasterId: `roaster-${Math.floor(s / 5) % 200}`,
      platform: `p${s % 5}`,
      flaggedForReview: s % 3 === 0,
    });
  }
  const t = process.hrtime.bigint();
  await receiver.collect();
  collectMs.push(Number(process.hrtime.bigint() - t) / 1e6);
}
collectMs.sort((a, b) => a - b);

const result = {
  benchmark: "inproc",
  node: process.version,
  cpus: cpus().length,
  cpu_model: cpus()[0]?.model,
  spans: SPANS,
  span_us_with_bridge: round(spanNs / SPANS / 1000),
  span_us_without_processor: round(bareNs / SPANS / 1000),
  bridge_us_per_span: round((spanNs - bareNs) / SPANS / 1000),
  metric_series_per_collection: "up to 1000 (roaster × platform) series × 2 counters",
  collection_ms_median: round(collectMs[Math.floor(collectMs.length / 2)] ?? 0),
  collection_ms_max: round(collectMs.at(-1) ?? 0),
  signals_received: received,
};
await meterProvider.shutdown();
await tracerProvider.shutdown();
await receiver.shutdown();

const out = join(dirname(fileURLToPath(import.meta.url)), "results", "inproc.json");
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
