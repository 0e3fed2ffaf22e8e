// Bad-input suite: 1 000 malformed, truncated, oversized and mistyped payloads. The receiver must
// answer every one with a 4xx (or a 200 when the mutation happened to stay valid), never crash or
// 5xx, keep its delta state bounded, and still serve a valid request afterwards.
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeProtobufRequest } from "../src/receivers/otlp/protobuf.ts";
import { type RunningReceiver, startReceiver } from "./otlp-support.ts";

const NOW = String(BigInt(Date.now()) * 1_000_000n);
const attrs = [
  { key: "roaster.id", value: { stringValue: "r1" } },
  { key: "n", value: { intValue: "3" } },
];

const METRICS = {
  resourceMetrics: [
    {
      resource: { attributes: [{ key: "service.name", value: { stringValue: "scraper" } }] },
      scopeMetrics: [
        {
          scope: { name: "fuzz", version: "1" },
          metrics: [
            {
              name: "g",
              unit: "1",
              gauge: { dataPoints: [{ asDouble: 0.5, timeUnixNano: NOW, attributes: attrs }] },
            },
            {
              name: "c",
              sum: {
                aggregationTemporality: 2,
                isMonotonic: true,
                dataPoints: [{ asInt: "12", startTimeUnixNano: NOW, timeUnixNano: NOW, attributes: attrs }],
              },
            },
            {
              name: "h",
              histogram: {
                aggregationTemporality: 1,
                dataPoints: [
                  {
                    count: "3",
                    sum: 6,
                    bucketCounts: ["1", "1", "1"],
                    explicitBounds: [1, 2],
                    timeUnixNano: NOW,
                  },
                ],
              },
            },
            {
              name: "e",
              exponentialHistogram: {
                aggregationTemporality: 2,
                dataPoints: [
                  {
                    count: "4",
                    scale: 3,
                    zeroCount: "1",
                    positive: { offset: -2, bucketCounts: ["1", "2"] },
                    negative: { offset: 1, bucketCounts: ["0"] },
                    startTimeUnixNano: NOW,
                    timeUnixNano: NOW,
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

const TRACES = {
  resourceSpans: [
    {
      resource: { attributes: [{ key: "service.name", value: { stringValue: "scraper" } }] },
      scopeSpans: [
        {
          scope: { name: "fuzz" },
          spans: [
            {
              traceId: "0123456789abcdef0123456789abcdef",
              spanId: "0123456789abcdef",
              name: "s",
              kind: 3,
              startTimeUnixNano: NOW,
              endTimeUnixNano: NOW,
              status: { code: 2, message: "x" },
              events: [
                {
                  name: "exception",
                  timeUnixNano: NOW,
                  attributes: [{ key: "exception.type", value: { stringValue: "E" } }],
                },
              ],
            },
          ],
        },
      ],
    },
  ],
};

const LOGS = {
  resourceLogs: [
    {
      resource: { attributes: [{ key: "service.name", value: { stringValue: "scraper" } }] },
      scopeLogs: [
        {
          scope: { name: "pino" },
          logRecords: [
            {
              timeUnixNano: NOW,
              severityNumber: 17,
              severityText: "error",
              body: { stringValue: "failed" },
              traceId: "0123456789abcdef0123456789abcdef",
              spanId: "0123456789abcdef",
              attributes: [
                { key: "exception.type", value: { stringValue: "E" } },
                { key: "n", value: { intValue: "9223372036854775807" } },
              ],
            },
          ],
        },
      ],
    },
  ],
};

const VALID = { metrics: METRICS, traces: TRACES, logs: LOGS } as const;
const PROTO = {
  metrics: encodeProtobufRequest("metrics", METRICS),
  traces: encodeProtobufRequest("traces", TRACES),
  logs: encodeProtobufRequest("logs", LOGS),
} as const;

type FuzzSignal = keyof typeof VALID;

interface Payload {
  readonly signal: FuzzSignal;
  readonly body: Uint8Array | string;
  readonly headers: Record<string, string>;
}

const JSON_CT = { "content-type": "application/json" };
const PB_CT = { "content-type": "application/x-protobuf" };
const signal = fc.constantFrom<FuzzSignal>("metrics", "traces", "logs");

/** Every (parent, key) slot of a JSON tree, to replace one at random. */
function slots(v: unknown, out: Array<[Record<string, unknown> | unknown[], string | number]> = []) {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      out.push([v, i]);
      slots(v[i], out);
    }
  } else if (v && typeof v === "object") {
    for (const [k, e] of Object.entries(v)) {
      out.push([v as Record<string, unknown>, k]);
      slots(e, out);
    }
  }
  return out;
}

const payloads: fc.Arbitrary<Payload> = fc.oneof(
  // random bytes as protobuf (sometimes gzipped)
  fc.record({ signal, bytes: fc.uint8Array({ maxLength: 2048 }), gz: fc.boolean() }).map(
    ({ signal, bytes, gz }): Payload => ({
      signal,
      body: gz ? gzipSync(bytes) : bytes,
      headers: gz ? { ...PB_CT, "content-encoding": "gzip" } : PB_CT,
    }),
  ),
  // truncated protobuf of a valid request
  fc.record({ signal, cut: fc.nat() }).map(
    ({ signal, cut }): Payload => ({
      signal,
      body: PROTO[signal].subarray(0, cut % PROTO[signal].length),
      headers: PB_CT,
    }),
  ),
  // valid protobuf with a flipped byte
  fc
    .record({ signal, at: fc.nat(), to: fc.integer({ min: 0, max: 255 }) })
    .map(({ signal, at, to }): Payload => {
      const body = PROTO[signal].slice();
      body[at % body.length] = to;
      return { signal, body, headers: PB_CT };
    }),
  // structurally mutated valid JSON: one subtree replaced by a random JSON value
  fc
    .record({ signal, at: fc.nat(), value: fc.jsonValue({ maxDepth: 3 }) })
    .map(({ signal, at, value }): Payload => {
      const tree = structuredClone(VALID[signal]) as unknown;
      const all = slots(tree);
      const [parent, key] = all[at % all.length] as [Record<string | number, unknown>, string | number];
      parent[key] = value;
      return { signal, body: JSON.stringify(tree), headers: JSON_CT };
    }),
  // textually mutated / truncated JSON
  fc
    .record({ signal, at: fc.nat(), len: fc.nat({ max: 20 }), insert: fc.string({ maxLength: 8 }) })
    .map(({ signal, at, len, insert }): Payload => {
      const s = JSON.stringify(VALID[signal]);
      const i = at % s.length;
      return { signal, body: s.slice(0, i) + insert + s.slice(i + len), headers: JSON_CT };
    }),
  // random JSON values
  fc.record({ signal, value: fc.jsonValue({ maxDepth: 4 }) }).map(
    ({ signal, value }): Payload => ({
      signal,
      body: JSON.stringify(value) ?? "null",
      headers: JSON_CT,
    }),
  ),
  // wrong content types and encodings
  fc.record({ signal, ct: fc.string({ maxLength: 30 }), enc: fc.constantFrom("", "br", "gzip", "zstd") }).map(
    ({ signal, ct, enc }): Payload => ({
      signal,
      body: JSON.stringify(VALID[signal]),
      headers: enc
        ? { "content-type": ct || "text/plain", "content-encoding": enc }
        : { "content-type": ct || "text/plain" },
    }),
  ),
  // oversized bodies, raw or as small gzip bombs
  fc
    .record({ signal, kb: fc.integer({ min: 257, max: 600 }), gz: fc.boolean() })
    .map(({ signal, kb, gz }): Payload => {
      const big = Buffer.alloc(kb * 1024, 0x20);
      return {
        signal,
        body: gz ? gzipSync(big) : big,
        headers: gz ? { ...JSON_CT, "content-encoding": "gzip" } : JSON_CT,
      };
    }),
  // many distinct series (attribute values vary) to exercise the delta state bound
  fc.record({ id: fc.string({ maxLength: 12 }) }).map(({ id }): Payload => {
    const req = structuredClone(METRICS);
    const c = req.resourceMetrics[0]?.scopeMetrics[0]?.metrics[1] as {
      sum: { dataPoints: Array<{ attributes: unknown }> };
    };
    c.sum.dataPoints[0] = { ...c.sum.dataPoints[0], attributes: [{ key: "k", value: { stringValue: id } }] };
    return { signal: "metrics" as const, body: JSON.stringify(req), headers: JSON_CT };
  }),
);

describe("otlp receiver under bad input", () => {
  let rx: RunningReceiver;
  beforeAll(async () => {
    rx = await startReceiver({ max_request_body_size: 256 * 1024, delta: { max_series: 50 } });
  });
  afterAll(async () => {
    await rx.stop();
  });

  it("accepts the unmutated base requests in both encodings", async () => {
    for (const sig of ["metrics", "traces", "logs"] as const) {
      const json = await fetch(`${rx.url}/v1/${sig}`, {
        method: "POST",
        headers: JSON_CT,
        body: JSON.stringify(VALID[sig]),
      });
      expect([json.status, await json.text()]).toEqual([200, "{}"]);
      const pb = await fetch(`${rx.url}/v1/${sig}`, { method: "POST", headers: PB_CT, body: PROTO[sig] });
      expect(pb.status).toBe(200);
      expect((await pb.arrayBuffer()).byteLength).toBe(0); // empty Export*ServiceResponse: no partial success
    }
    expect(rx.items.filter((i) => i.kind === "span")).toHaveLength(2);
    expect(rx.items.filter((i) => i.kind === "log")).toHaveLength(2);
    expect(rx.items.filter((i) => i.kind === "metric").length).toBeGreaterThanOrEqual(4);
  });

  it("answers 1 000 bad payloads with 4xx (or a valid 200), never crashing", async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(payloads, async (p) => {
        const res = await fetch(`${rx.url}/v1/${p.signal}`, {
          method: "POST",
          headers: p.headers,
          body: p.body,
        });
        const text = await res.text();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect(res.status === 200 || (res.status >= 400 && res.status < 500)).toBe(true);
        if (res.status === 200 && res.headers.get("content-type") === "application/json") {
          const body = JSON.parse(text) as { partialSuccess?: unknown };
          expect(body.partialSuccess === undefined || typeof body.partialSuccess === "object").toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
    // Still serving, state bounded, heap not leaking.
    const ok = await fetch(`${rx.url}/v1/metrics`, {
      method: "POST",
      headers: JSON_CT,
      body: JSON.stringify(METRICS),
    });
    expect(ok.status).toBe(200);
    expect(rx.receiver.normalizer.seriesCount).toBeLessThanOrEqual(50);
    gc?.();
    const growth = process.memoryUsage().heapUsed - heapBefore;
    expect(growth).toBeLessThan(gc ? 64 * 1024 * 1024 : 256 * 1024 * 1024);
    const status = rx.receiver.status() as { requests: number; bad_requests: number };
    expect(status.requests).toBe(1007); // 6 base requests, 1 000 fuzzed, 1 after
    expect([...statuses.keys()].every((s) => s === 200 || (s >= 400 && s < 500))).toBe(true);
    expect(statuses.get(400)).toBeGreaterThan(100);
    expect(statuses.get(413)).toBeGreaterThan(0);
    expect(statuses.get(415)).toBeGreaterThan(0);
  });
});
