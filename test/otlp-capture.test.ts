// The otlp receiver's capture: accepted requests as OTLP JSON lines (the Collector file exporter's
// format), protobuf converted to the same JSON, rotated past max_megabytes with at most max_backups
// kept; and the official SDK's exports, captured live, replay to the notices the live run sent.
import { mkdtemp, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { CaptureWriter, captureConfigSchema } from "../src/receivers/otlp/capture.ts";
import { OtlpNormalizer } from "../src/receivers/otlp/normalize.ts";
import { encodeProtobufRequest } from "../src/receivers/otlp/protobuf.ts";
import { type RunningReceiver, startReceiver } from "./otlp-support.ts";

const tempDir = () => mkdtemp(join(tmpdir(), "alertpipe-capture-"));
const lines = async (file: string) => (await readFile(file, "utf8")).split("\n").filter(Boolean);

const nanos = (ms: number) => String(BigInt(ms) * 1_000_000n);
const attr = (key: string, v: string) => ({ key, value: { stringValue: v } });

/** A request with every point kind the rules read, cumulative where the SDK is. */
function metricsRequest(at: number, k: number, processStart: number) {
  const start = nanos(processStart);
  const time = nanos(at);
  return {
    resourceMetrics: [
      {
        resource: { attributes: [attr("service.name", "scraper"), attr("host.name", "h1")] },
        scopeMetrics: [
          {
            scope: { name: "test", version: "1.0" },
            metrics: [
              {
                name: "pipeline.health.score",
                unit: "1",
                gauge: { dataPoints: [{ timeUnixNano: time, asDouble: 42.5 }] },
              },
              {
                name: "pipeline.rpc.calls",
                unit: "1",
                sum: {
                  aggregationTemporality: 2,
                  isMonotonic: true,
                  dataPoints: [
                    {
                      attributes: [attr("rpc.method", "upsert")],
                      startTimeUnixNano: start,
                      timeUnixNano: time,
                      asInt: String(10 * k),
                    },
                  ],
                },
              },
              {
                name: "http.client.request.duration",
                unit: "s",
                histogram: {
                  aggregationTemporality: 2,
                  dataPoints: [
                    {
                      startTimeUnixNano: start,
                      timeUnixNano: time,
                      count: String(3 * k),
                      sum: 1.5 * k,
                      min: 0.1,
                      max: 0.9,
                      explicitBounds: [0.5, 1],
                      bucketCounts: [String(2 * k), String(k), "0"],
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
}

/** The signals of `requests` through one normalizer, as a receiver started now would make them. */
const normalizedItems = (requests: unknown[]) => {
  const normalizer = new OtlpNormalizer();
  return requests.flatMap((r) => normalizer.metrics(r).items);
};

describe("otlp receiver capture", () => {
  let rx: RunningReceiver | undefined;
  afterEach(async () => {
    await rx?.stop();
    rx = undefined;
  });

  it("writes every accepted request as one JSON line; protobuf bodies become the same JSON", async () => {
    const dir = await tempDir();
    const path = join(dir, "sub", "capture.jsonl");
    rx = await startReceiver({ capture: { path } });
    const t = Date.UTC(2025, 0, 1);
    const first = metricsRequest(t, 1, t - 60_000);
    const second = metricsRequest(t + 10_000, 2, t - 60_000);
    const post = (body: string | Uint8Array, type: string) =>
      fetch(`${rx?.url}/v1/metrics`, { method: "POST", headers: { "content-type": type }, body });
    expect((await post(JSON.stringify(first), "application/json")).status).toBe(200);
    const proto = encodeProtobufRequest("metrics", second);
    expect((await post(proto, "application/x-protobuf")).status).toBe(200);
    // refused requests are not captured
    expect((await post("{not json", "application/json")).status).toBe(400);

    const captured = (await lines(path)).map((l) => JSON.parse(l));
    expect(captured).toHaveLength(2);
    expect(captured[0]).toEqual(first);
    // the protobuf request reads back as what was sent: the same signals as the live receiver's
    expect(rx.items.length).toBeGreaterThan(2);
    expect(normalizedItems(captured)).toEqual(rx.items);
    expect(rx.receiver.status()).toMatchObject({
      capture_path: path,
      captured_requests: 2,
      capture_failures: 0,
    });
  });

  it("is off unless configured", async () => {
    rx = await startReceiver();
    expect(rx.receiver.status()).not.toHaveProperty("capture_path");
  });

  it("rotates past max_megabytes as the Collector does (time before the extension), keeping max_backups", async () => {
    const dir = await tempDir();
    const path = join(dir, "capture.jsonl");
    let now = Date.UTC(2025, 0, 1, 10, 0, 0, 0);
    const config = captureConfigSchema.parse({ path, max_megabytes: 1 / 1024, max_backups: 2 }); // 1 KiB
    const writer = new CaptureWriter(config, {
      configDir: dir,
      now: () => now,
      logger: pino({ level: "silent" }),
    });
    writer.open();
    const request = { resourceMetrics: [{ pad: "x".repeat(400) }] }; // ~430 bytes a line: two lines a file
    for (let i = 0; i < 9; i++) {
      writer.write({ ...request, i });
      now += 1_000;
    }
    writer.close();
    const files = (await readdir(dir)).sort();
    // 9 lines, 2 a file: rotated when lines 2, 4, 6 and 8 came (named by that time); the 2 newest kept
    expect(files).toEqual([
      "capture-2025-01-01T10-00-06.000.jsonl",
      "capture-2025-01-01T10-00-08.000.jsonl",
      "capture.jsonl",
    ]);
    for (const f of files) expect((await stat(join(dir, f))).size).toBeLessThanOrEqual(1024);
    const order = [];
    for (const f of files) for (const l of await lines(join(dir, f))) order.push(JSON.parse(l).i);
    expect(order).toEqual([4, 5, 6, 7, 8]);
    expect(writer.status()).toMatchObject({
      captured_requests: 9,
      capture_rotations: 4,
      capture_failures: 0,
    });
  });

  it("appends to an existing capture", async () => {
    const dir = await tempDir();
    const path = join(dir, "capture.jsonl");
    await writeFile(path, '{"resourceMetrics":[]}\n');
    const writer = new CaptureWriter(captureConfigSchema.parse({ path }), {
      configDir: dir,
      now: () => 0,
      logger: pino({ level: "silent" }),
    });
    writer.open();
    writer.write({ resourceSpans: [] });
    writer.close();
    expect(await lines(path)).toEqual(['{"resourceMetrics":[]}', '{"resourceSpans":[]}']);
  });
});
