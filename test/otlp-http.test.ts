// HTTP behaviour of the OTLP receiver: encodings, limits, status codes, auth, partial success.
import { gzipSync } from "node:zlib";
import { ProtobufMetricsSerializer } from "@opentelemetry/otlp-transformer";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { otlpReceiverConfigSchema } from "../src/receivers/otlp/config.ts";
import { encodeProtobufRequest } from "../src/receivers/otlp/protobuf.ts";
import { OtlpReceiver } from "../src/receivers/otlp/receiver.ts";
import type { GaugePoint } from "../src/signal.ts";
import { post, type RunningReceiver, startReceiver } from "./otlp-support.ts";
import { testContext } from "./support/context.ts";

const NOW_NS = String(BigInt(Date.now()) * 1_000_000n);

function gaugeRequest(values: unknown[], attributes: unknown[] = []): Record<string, unknown> {
  return {
    resourceMetrics: [
      {
        resource: { attributes: [{ key: "service.name", value: { stringValue: "scraper" } }] },
        scopeMetrics: [
          {
            scope: { name: "test" },
            metrics: [
              {
                name: "pipeline.health.score",
                unit: "1",
                gauge: { dataPoints: values.map((v) => ({ asDouble: v, timeUnixNano: NOW_NS, attributes })) },
              },
            ],
          },
        ],
      },
    ],
  };
}

describe("otlp receiver over HTTP", () => {
  let rx: RunningReceiver | undefined;
  afterEach(async () => {
    await rx?.stop();
    rx = undefined;
  });

  it("accepts gzip JSON and answers {}", async () => {
    rx = await startReceiver();
    const res = await post(rx.url, gzipSync(JSON.stringify(gaugeRequest([42]))), {
      "content-type": "application/json; charset=utf-8",
      "content-encoding": "gzip",
    });
    expect(res).toMatchObject({ status: 200, text: "{}", type: "application/json" });
    expect((rx.items[0] as GaugePoint).value).toBe(42);
  });

  it("answers 413 for bodies over max_request_body_size, raw or once gunzipped (zip bomb)", async () => {
    rx = await startReceiver({ max_request_body_size: 64 * 1024 });
    const big = JSON.stringify(gaugeRequest(new Array(10_000).fill(1)));
    expect(big.length).toBeGreaterThan(64 * 1024);
    expect((await post(rx.url, big)).status).toBe(413);
    const bomb = gzipSync(Buffer.alloc(16 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const res = await post(rx.url, bomb, { "content-type": "application/json", "content-encoding": "gzip" });
    expect(res.status).toBe(413);
    expect(res.text).toContain("decompressed");
    expect((await post(rx.url, JSON.stringify(gaugeRequest([1])))).status).toBe(200);
  });

  it("answers 415 for other content types and encodings, 405 for other methods, 404 for other paths", async () => {
    rx = await startReceiver();
    const body = JSON.stringify(gaugeRequest([1]));
    expect((await post(rx.url, body, { "content-type": "text/plain" })).status).toBe(415);
    expect(
      (await post(rx.url, body, { "content-type": "application/json", "content-encoding": "br" })).status,
    ).toBe(415);
    const get = await fetch(`${rx.url}/v1/metrics`);
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    expect((await post(rx.url, body, undefined, "/v1development/profiles")).status).toBe(404);
    expect(rx.receiver.status()).toMatchObject({ requests: 4, bad_requests: 4 });
  });

  it("answers 400 naming what is malformed, and keeps serving", async () => {
    rx = await startReceiver();
    const req = gaugeRequest([1]) as { resourceMetrics: [{ scopeMetrics: [{ metrics: unknown[] }] }] };
    req.resourceMetrics[0].scopeMetrics[0].metrics.push({ name: "no.data" });
    const res = await post(rx.url, JSON.stringify(req));
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toMatchObject({
      code: 3,
      message: expect.stringContaining("resourceMetrics[0].scopeMetrics[0].metrics[1]: missing data"),
    });
    expect(rx.items).toHaveLength(0); // nothing from a rejected request
    expect((await post(rx.url, "{not json")).text).toContain("invalid JSON");
    const badProto = await post(rx.url, new Uint8Array([0x0a, 0xff, 0xff]), {
      "content-type": "application/x-protobuf",
    });
    expect(badProto).toMatchObject({ status: 400, type: "application/x-protobuf" });
    expect((await post(rx.url, JSON.stringify(gaugeRequest([7])))).status).toBe(200);
    expect(rx.items).toHaveLength(1);
  });

  it("requires the bearer token when one is configured, and never reveals it", async () => {
    const lines: string[] = [];
    const logger = pino({ level: "trace" }, { write: (l: string) => lines.push(l) });
    const token = "s3cr3t-t0ken-value";
    const config = otlpReceiverConfigSchema.parse({ endpoint: "127.0.0.1:0", auth: { token } });
    const receiver = new OtlpReceiver(config, testContext({ logger }));
    await receiver.start();
    const url = `http://127.0.0.1:${receiver.address().port}`;
    try {
      const body = JSON.stringify(gaugeRequest([1]));
      const none = await post(url, body);
      expect(none.status).toBe(401);
      const wrong = await post(url, body, {
        "content-type": "application/json",
        authorization: "Bearer nope",
      });
      expect(wrong.status).toBe(401);
      const ok = await post(url, body, {
        "content-type": "application/json",
        authorization: `Bearer ${token}`,
      });
      expect(ok.status).toBe(200);
      expect(JSON.stringify(receiver.status())).not.toContain(token);
      expect([none.text, wrong.text, ...lines].join("\n")).not.toContain(token);
    } finally {
      await receiver.shutdown();
    }
  });

  it("reports rejected NaN/Infinity points and attributes over limits as a partial success", async () => {
    rx = await startReceiver({ limits: { max_attributes: 2, max_attribute_value_length: 8 } });
    const json = await post(rx.url, JSON.stringify(gaugeRequest([1, "NaN", null, "Infinity", 2])));
    expect(json.status).toBe(200);
    const body = JSON.parse(json.text) as {
      partialSuccess: { rejectedDataPoints: number; errorMessage: string };
    };
    expect(body.partialSuccess.rejectedDataPoints).toBe(3);
    expect(body.partialSuccess.errorMessage).toContain("gauge.dataPoints[1]");
    expect(rx.items.map((i) => (i as GaugePoint).value)).toEqual([1, 2]);

    const kv = (key: string, v: string) => ({ key, value: { stringValue: v } });
    const tooMany = await post(
      rx.url,
      JSON.stringify(gaugeRequest([1], [kv("a", "1"), kv("b", "2"), kv("c", "3")])),
    );
    expect(JSON.parse(tooMany.text).partialSuccess.errorMessage).toContain("exceed the limit of 2");
    const tooLong = await post(rx.url, JSON.stringify(gaugeRequest([1], [kv("a", "123456789")])));
    expect(JSON.parse(tooLong.text).partialSuccess.rejectedDataPoints).toBe(1);

    // The same over protobuf: the answer is a protobuf ExportMetricsServiceResponse.
    const proto = await post(rx.url, encodeProtobufRequest("metrics", gaugeRequest([3, Number.NaN])), {
      "content-type": "application/x-protobuf",
    });
    expect(proto.type).toBe("application/x-protobuf");
    const decoded = ProtobufMetricsSerializer.deserializeResponse(proto.bytes);
    expect(Number(decoded.partialSuccess?.rejectedDataPoints)).toBe(1);
    expect(rx.receiver.status()).toMatchObject({ rejected_points: 6, accepted_points: 3 });
  });

  it("warns, naming the address, when the endpoint listens on all interfaces (:PORT)", async () => {
    const lines: string[] = [];
    const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(line) });
    for (const endpoint of [":0", "127.0.0.1:0"]) {
      const receiver = new OtlpReceiver(
        otlpReceiverConfigSchema.parse({ endpoint }),
        testContext({ logger }),
      );
      await receiver.start();
      const { port } = receiver.address();
      await receiver.shutdown();
      const warned = lines.map((l) => JSON.parse(l)).filter((l) => l.level === 40);
      if (endpoint === ":0") {
        expect(warned).toHaveLength(1);
        expect(warned[0]).toMatchObject({ endpoint: ":0", address: `0.0.0.0:${port}` });
        expect(warned[0].msg).toMatch(
          /otlp receiver listens on all interfaces .*use 127\.0\.0\.1:\d+ to keep it local/,
        );
      } else expect(warned).toHaveLength(1); // still only the one from ":0"
    }
  });

  it("fails to start with an error naming the endpoint when the port is taken", async () => {
    rx = await startReceiver();
    const { port } = rx.receiver.address();
    const config = otlpReceiverConfigSchema.parse({ endpoint: `127.0.0.1:${port}` });
    const second = new OtlpReceiver(config, testContext());
    await expect(second.start()).rejects.toThrow(`127.0.0.1:${port}: address already in use`);
  });

  it("has a strict config schema with defaults", () => {
    expect(otlpReceiverConfigSchema.parse({})).toEqual({
      endpoint: "127.0.0.1:4318",
      max_request_body_size: 4 * 1024 * 1024,
      auth: {},
      limits: {
        max_attributes: 128,
        max_attribute_value_length: 4096,
        max_attributes_bytes: 16 * 1024,
        max_series_key_bytes: 32 * 1024,
      },
      delta: { series_ttl: 3600, max_series: 100_000, max_bytes: 64 * 1024 * 1024 },
    });
    expect(otlpReceiverConfigSchema.safeParse({ endpoints: "x" }).success).toBe(false);
    expect(otlpReceiverConfigSchema.safeParse({ limits: { max_attrs: 1 } }).success).toBe(false);
    expect(otlpReceiverConfigSchema.safeParse({ endpoint: "localhost" }).success).toBe(false);
    expect(otlpReceiverConfigSchema.parse({ endpoint: "[::1]:0" }).endpoint).toBe("[::1]:0");
  });
});
