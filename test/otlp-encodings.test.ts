// Content-Encoding on the OTLP receiver: gzip, deflate and zstd (Node ≥ 22.15), stacked codings,
// the decompressed-size limit for every one of them; and int64 exactness over protobuf HTTP.
import { gzipSync, zstdCompressSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { encodeProtobufRequest } from "../src/receivers/otlp/protobuf.ts";
import type { GaugePoint, SpanSignal } from "../src/signal.ts";
import { post, type RunningReceiver, startReceiver } from "./otlp-support.ts";

const gauge = (value: number) => ({
  resourceMetrics: [
    {
      scopeMetrics: [
        {
          metrics: [
            {
              name: "pipeline.health.score",
              gauge: { dataPoints: [{ asDouble: value, timeUnixNano: "1" }] },
            },
          ],
        },
      ],
    },
  ],
});

const JSON_CT = { "content-type": "application/json" };
const PB_CT = { "content-type": "application/x-protobuf" };

describe("otlp receiver content encodings", () => {
  let rx: RunningReceiver | undefined;
  afterEach(async () => {
    await rx?.stop();
    rx = undefined;
  });

  it("accepts zstd JSON and protobuf bodies", async () => {
    rx = await startReceiver();
    const json = zstdCompressSync(JSON.stringify(gauge(41)));
    expect(await post(rx.url, json, { ...JSON_CT, "content-encoding": "zstd" })).toMatchObject({
      status: 200,
      text: "{}",
    });
    const proto = zstdCompressSync(encodeProtobufRequest("metrics", gauge(42)));
    expect((await post(rx.url, proto, { ...PB_CT, "content-encoding": "zstd" })).status).toBe(200);
    expect(rx.items.map((i) => (i as GaugePoint).value)).toEqual([41, 42]);
  });

  it("undoes stacked codings in reverse order of application", async () => {
    rx = await startReceiver();
    const body = gzipSync(zstdCompressSync(JSON.stringify(gauge(7))));
    expect((await post(rx.url, body, { ...JSON_CT, "content-encoding": "zstd, gzip" })).status).toBe(200);
    expect((rx.items[0] as GaugePoint).value).toBe(7);
  });

  it("answers 413 for a zstd bomb and 400 for a body that is not zstd", async () => {
    rx = await startReceiver({ max_request_body_size: 64 * 1024 });
    const bomb = zstdCompressSync(Buffer.alloc(16 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const big = await post(rx.url, bomb, { ...JSON_CT, "content-encoding": "zstd" });
    expect(big.status).toBe(413);
    expect(big.text).toContain("decompressed request body exceeds the limit of 65536 bytes");
    const bad = await post(rx.url, "not zstd at all", { ...JSON_CT, "content-encoding": "zstd" });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("invalid zstd body");
  });

  it("names the encodings it supports when refusing one", async () => {
    rx = await startReceiver();
    const res = await post(rx.url, "{}", { ...JSON_CT, "content-encoding": "br" });
    expect(res.status).toBe(415);
    expect(res.text).toContain('unsupported Content-Encoding \\"br\\"; use gzip, deflate, zstd or identity');
  });
});

describe("otlp receiver over protobuf HTTP keeps 64-bit integers exact", () => {
  it("a 998 ns span and a 64-bit id attribute arrive as sent", async () => {
    const rx = await startReceiver();
    try {
      const req = {
        resourceSpans: [
          {
            scopeSpans: [
              {
                spans: [
                  {
                    traceId: "0af7651916cd43dd8448eb211c80319c",
                    spanId: "b7ad6b7169203331",
                    name: "tiny",
                    startTimeUnixNano: "1700000000000000001",
                    endTimeUnixNano: "1700000000000000999",
                    attributes: [{ key: "order.id", value: { intValue: "9223372036854775807" } }],
                  },
                ],
              },
            ],
          },
        ],
      };
      const res = await post(rx.url, encodeProtobufRequest("traces", req), PB_CT, "/v1/traces");
      expect(res.status).toBe(200);
      const span = rx.items[0] as SpanSignal;
      expect(span.durationMs).toBe(0.000998);
      expect(span.startTime).toBe(1_700_000_000_000 + 0.000001);
      expect(span.attributes["order.id"]).toBe("9223372036854775807");
    } finally {
      await rx.stop();
    }
  });
});
