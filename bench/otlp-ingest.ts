// OTLP ingest throughput through the HTTP receiver: requests of 1 000 points (gauges, delta sums,
// histograms) over keep-alive connections, OTLP JSON and protobuf, a few seconds each; plus the
// normalizer alone on cumulative sums (delta state). Writes bench/results/otlp-ingest.json.
// Run: node bench/otlp-ingest.ts   (bench/run.ts imports `run`).
import { mkdirSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { asyncScheduler } from "rxjs";
import { otlpReceiverConfigSchema } from "../src/receivers/otlp/config.ts";
import { OtlpNormalizer } from "../src/receivers/otlp/normalize.ts";
import { encodeProtobufRequest } from "../src/receivers/otlp/protobuf.ts";
import { OtlpReceiver } from "../src/receivers/otlp/receiver.ts";

const POINTS_PER_REQUEST = 1000;
const SECONDS_PER_CASE = Number(process.env.BENCH_SECONDS ?? 3);
const CONCURRENCY = 4;

function kv(key: string, v: string | number) {
  return { key, value: typeof v === "string" ? { stringValue: v } : { intValue: v } };
}

/** 1 000 points: 500 gauge, 400 delta-sum and 100 histogram points, 2 attributes each. */
function metricsRequest(timeMs: number, temporality: 1 | 2 = 1): Record<string, unknown> {
  const t = String(BigInt(timeMs) * 1_000_000n);
  const start = String(BigInt(timeMs - 60_000) * 1_000_000n);
  const attrs = (i: number) => [kv("roaster.id", `roaster-${i % 50}`), kv("worker", i)];
  const gauge = Array.from({ length: 500 }, (_, i) => ({
    asDouble: i / 500,
    timeUnixNano: t,
    attributes: attrs(i),
  }));
  const sum = Array.from({ length: 400 }, (_, i) => ({
    asInt: String(i + Math.floor(timeMs / 1000)),
    startTimeUnixNano: start,
    timeUnixNano: t,
    attributes: attrs(i),
  }));
  const hist = Array.from({ length: 100 }, (_, i) => ({
    count: "10",
    sum: 12.5,
    min: 0.1,
    max: 9,
    explicitBounds: [0.5, 1, 2.5, 5, 10],
    bucketCounts: ["1", "2", "3", "2", "2", "0"],
    startTimeUnixNano: start,
    timeUnixNano: t,
    attributes: attrs(i),
  }));
  return {
    resourceMetrics: [
      {
        resource: { attributes: [kv("service.name", "scraper"), kv("service.instance.id", "bench-1")] },
        scopeMetrics: [
          {
            scope: { name: "bench", version: "1.0.0" },
            metrics: [
              { name: "system.memory.utilization", unit: "1", gauge: { dataPoints: gauge } },
              {
                name: "pipeline.artifacts.processed",
                sum: { aggregationTemporality: temporality, isMonotonic: true, dataPoints: sum },
              },
              {
                name: "http.client.request.duration",
                unit: "s",
                histogram: { aggregationTemporality: 1, dataPoints: hist },
              },
            ],
          },
        ],
      },
    ],
  };
}

interface CaseResult {
  readonly requests: number;
  readonly points: number;
  readonly seconds: number;
  readonly points_per_second: number;
  readonly requests_per_second: number;
  readonly body_bytes: number;
}

async function httpCase(
  port: number,
  body: Uint8Array,
  contentType: string,
  emitted: () => number,
): Promise<CaseResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const send = () =>
    new Promise<void>((resolve, reject) => {
      const req = request(
        {
          host: "127.0.0.1",
          port,
          path: "/v1/metrics",
          method: "POST",
          agent,
          headers: { "content-type": contentType, "content-length": body.length },
        },
        (res) => {
          res.resume();
          res.on("end", () =>
            res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`)),
          );
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  for (let i = 0; i < 20; i++) await send(); // warm-up
  const before = emitted();
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(SECONDS_PER_CASE * 1e9);
  let requests = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (process.hrtime.bigint() < deadline) {
        await send();
        requests++;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  agent.destroy();
  const points = emitted() - before;
  return {
    requests,
    points,
    seconds: round(seconds),
    points_per_second: Math.round(points / seconds),
    requests_per_second: round(requests / seconds),
    body_bytes: body.length,
  };
}

/** The normalizer alone on cumulative sums: every request a new time, so each point is a real delta. */
function normalizerCase(): CaseResult {
  let now = Date.now();
  const n = new OtlpNormalizer({ now: () => now, startedAt: 0 });
  const template = JSON.stringify(metricsRequest(now, 2));
  const t0 = String(BigInt(now) * 1_000_000n);
  let points = 0;
  let requests = 0;
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(SECONDS_PER_CASE * 1e9);
  while (process.hrtime.bigint() < deadline) {
    now += 1000;
    const body = template.replaceAll(
      `"timeUnixNano":"${t0}"`,
      `"timeUnixNano":"${BigInt(now) * 1_000_000n}"`,
    );
    points += n.metrics(JSON.parse(body)).items.length;
    requests++;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    requests,
    points,
    seconds: round(seconds),
    points_per_second: Math.round(points / seconds),
    requests_per_second: round(requests / seconds),
    body_bytes: template.length,
  };
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}

export async function run(): Promise<Record<string, unknown>> {
  const config = otlpReceiverConfigSchema.parse({ endpoint: "127.0.0.1:0" });
  const receiver = new OtlpReceiver(config, {
    id: "otlp/bench",
    scheduler: asyncScheduler,
    logger: pino({ level: "silent" }),
    configDir: process.cwd(),
    env: {},
  });
  let emitted = 0;
  const sub = receiver.signals.subscribe(() => {
    emitted++;
  });
  await receiver.start();
  const { port } = receiver.address();
  const req = metricsRequest(Date.now());
  const json = new TextEncoder().encode(JSON.stringify(req));
  const proto = encodeProtobufRequest("metrics", req);
  try {
    const results = {
      benchmark: "otlp-ingest",
      node: process.version,
      cpus: cpus().length,
      cpu_model: cpus()[0]?.model ?? "unknown",
      points_per_request: POINTS_PER_REQUEST,
      concurrency: CONCURRENCY,
      note: "client and receiver share one process/event loop; figures are a lower bound for the receiver alone",
      http_json: await httpCase(port, json, "application/json", () => emitted),
      http_protobuf: await httpCase(port, proto, "application/x-protobuf", () => emitted),
      normalizer_cumulative_json: normalizerCase(),
      at: new Date().toISOString(),
    };
    const out = join(dirname(fileURLToPath(import.meta.url)), "results", "otlp-ingest.json");
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
    return results;
  } finally {
    sub.unsubscribe();
    await receiver.shutdown();
  }
}

const isMain = (import.meta as { main?: boolean }).main ?? process.argv[1] === fileURLToPath(import.meta.url);
if (isMain) {
  const r = await run();
  const line = (name: string, c: CaseResult) =>
    `${name.padEnd(28)} ${String(c.points_per_second).padStart(9)} points/s  ${String(c.requests_per_second).padStart(7)} req/s  (${c.body_bytes} B/request)`;
  console.log(`OTLP ingest, ${r.points_per_request} points/request, node ${r.node}, ${r.cpus} CPUs`);
  console.log(line("HTTP OTLP/JSON", r.http_json as CaseResult));
  console.log(line("HTTP OTLP/protobuf", r.http_protobuf as CaseResult));
  console.log(line("normalizer (cumulative JSON)", r.normalizer_cumulative_json as CaseResult));
  console.log("written bench/results/otlp-ingest.json");
}
