// Memory by attacker-chosen size: attribute bytes per point and per series key are bounded (partial
// success naming the limit), delta baselines are kept by hash in compact form under a byte budget,
// and timestamps past int64 nanoseconds are rejected.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { BaselinePersistence, baselineNamespace } from "../src/receivers/otlp/baseline-store.ts";
import { CumulativeToDelta, seriesHash } from "../src/receivers/otlp/cumulative.ts";
import type { MetricDraft } from "../src/receivers/otlp/metric-drafts.ts";
import { OtlpNormalizer } from "../src/receivers/otlp/normalize.ts";
import { SqliteStateStore } from "../src/state/sqlite-store.ts";
import { type RunningReceiver, startReceiver } from "./otlp-support.ts";
import { VirtualClock } from "./support/virtual-clock.ts";

const NOW = 1_700_000_000_000;
const ns = (ms: number): string => String(BigInt(ms) * 1_000_000n);
const kv = (key: string, stringValue: string) => ({ key, value: { stringValue } });

/** `series` cumulative sums, each with `attrs` attributes (one of them the series id), the others of `chars` characters. */
function cumulativeSeries(series: number, attrs: number, chars: number, offset = 0, time = NOW) {
  const value = "v".repeat(chars);
  const attributes = Array.from({ length: attrs - 1 }, (_, i) => kv(`attr.${i}`, value));
  return {
    resourceMetrics: [
      {
        resource: { attributes: [kv("service.name", "scraper")] },
        scopeMetrics: [
          {
            scope: { name: "s" },
            metrics: [
              {
                name: "pipeline.artifacts.processed",
                sum: {
                  aggregationTemporality: 2,
                  isMonotonic: true,
                  dataPoints: Array.from({ length: series }, (_, i) => ({
                    asInt: 1,
                    timeUnixNano: ns(time),
                    attributes: [kv("series", String(offset + i)), ...attributes],
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

let rx: RunningReceiver | undefined;
let dir: string | undefined;
afterEach(async () => {
  await rx?.stop();
  rx = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe("attribute bytes", () => {
  it("rejects 128 attributes of 4 000 characters with a partial success naming max_attributes_bytes", async () => {
    rx = await startReceiver();
    const res = await fetch(`${rx.url}/v1/metrics`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(cumulativeSeries(3, 128, 4000)),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      partialSuccess?: { rejectedDataPoints: number; errorMessage: string };
    };
    expect(body.partialSuccess?.rejectedDataPoints).toBe(3);
    expect(body.partialSuccess?.errorMessage).toMatch(
      /attributes of \d{6} bytes exceed max_attributes_bytes \(16384\)/,
    );
    expect(rx.receiver.status()).toMatchObject({ rejected_points: 3, accepted_points: 0, delta_series: 0 });
  });

  it("the 300 × 128 × 4 000 payload leaves no state behind", () => {
    const n = new OtlpNormalizer({ now: () => NOW });
    let rejected = 0;
    for (let batch = 0; batch < 30; batch++)
      rejected += n.metrics(cumulativeSeries(10, 128, 4000, batch * 10)).rejected;
    expect(rejected).toBe(300);
    expect(n.seriesCount).toBe(0);
    expect(n.cumulative.bytes).toBe(0);
  });

  it("rejects a series whose identity (name, scope, resource, attributes) exceeds max_series_key_bytes", () => {
    const n = new OtlpNormalizer({ now: () => NOW, maxSeriesKeyBytes: 1500 });
    const req = cumulativeSeries(1, 4, 300) as {
      resourceMetrics: Array<{ resource: { attributes: unknown[] } }>;
    };
    const first = n.metrics(req);
    expect(first.rejected).toBe(0);
    req.resourceMetrics[0]?.resource.attributes.push(kv("process.command_line", "x".repeat(1000)));
    const second = n.metrics(req);
    expect(second.rejected).toBe(1);
    expect(second.errors[0]).toMatch(/series key of \d+ bytes .* exceeds max_series_key_bytes \(1500\)/);
  });
});

describe("delta baselines", () => {
  it("are kept by a fixed-size hash, without attributes: their size does not grow with the attributes", () => {
    const big = new OtlpNormalizer({ now: () => NOW, maxAttributesBytes: 1e9, maxSeriesKeyBytes: 1e9 });
    const small = new OtlpNormalizer({ now: () => NOW });
    big.metrics(cumulativeSeries(100, 128, 4000));
    small.metrics(cumulativeSeries(100, 2, 10));
    expect(big.seriesCount).toBe(100);
    expect(big.cumulative.bytes).toBe(small.cumulative.bytes);
    expect(big.cumulative.bytes).toBeLessThan(100 * 1024);
    for (const [key, { draft }] of big.cumulative.baselines()) {
      expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(draft.base).toEqual({ time: NOW, startTime: undefined });
    }
  });

  it("stay under delta.max_bytes, least recently seen dropped first", () => {
    const deltas = new CumulativeToDelta({
      ttlMs: 3_600_000,
      maxSeries: 100_000,
      maxBytes: 20_000,
      initialValue: "auto",
      startedAt: 0,
    });
    const bounds = Array.from({ length: 200 }, (_, i) => i);
    const histogram = (i: number): MetricDraft => ({
      type: "histogram",
      base: {
        kind: "metric",
        name: "h",
        unit: "s",
        attributes: {},
        resource: {},
        scope: { name: "s" },
        time: NOW + i,
      },
      count: 1,
      bounds,
      bucketCounts: [...bounds, 0].map(() => 0),
    });
    for (let i = 0; i < 50; i++) deltas.convert(seriesHash(`h${i}`), histogram(i) as never, NOW + i);
    expect(deltas.bytes).toBeLessThanOrEqual(20_000);
    expect(deltas.size).toBeGreaterThan(0);
    expect(deltas.size).toBeLessThan(50);
    expect(deltas.baseline(seriesHash("h49"))).toBeDefined();
    expect(deltas.baseline(seriesHash("h0"))).toBeUndefined();
  });

  it("persist in a SQLite file whose size does not grow with attribute size, and restore", async () => {
    dir = mkdtempSync(join(tmpdir(), "alertpipe-limits-"));
    const sizeAfter = async (chars: number, name: string) => {
      const store = new SqliteStateStore({ path: join(dir as string, `${name}.db`) });
      const clock = new VirtualClock();
      clock.advanceTo(NOW);
      const n = new OtlpNormalizer({ now: () => clock.now() });
      const persistence = new BaselinePersistence(n.cumulative, {
        store,
        namespace: baselineNamespace("otlp"),
        scheduler: clock.scheduler,
        logger: pino({ level: "silent" }),
      });
      n.metrics(cumulativeSeries(300, 100, chars));
      await persistence.stop();
      const again = new OtlpNormalizer({ now: () => clock.now() });
      const restored = await new BaselinePersistence(again.cumulative, {
        store,
        namespace: baselineNamespace("otlp"),
        scheduler: clock.scheduler,
        logger: pino({ level: "silent" }),
      }).restore();
      await store.close();
      return { restored, bytes: statSync(join(dir as string, `${name}.db`)).size };
    };
    const short = await sizeAfter(1, "short");
    const long = await sizeAfter(150, "long"); // 100 × 150 chars: 15 KB of attributes per point
    expect(short.restored).toBe(300);
    expect(long.restored).toBe(300);
    expect(long.bytes).toBeLessThan(short.bytes * 1.5);
    expect(long.bytes).toBeLessThan(512 * 1024);
  });
});

describe("timestamps", () => {
  it("rejects a timestamp past int64 nanoseconds (1e23 ns) as a partial success, keeps the rest", () => {
    const n = new OtlpNormalizer({ now: () => NOW });
    const gauge = (times: unknown[]) => ({
      resourceMetrics: [
        {
          scopeMetrics: [
            {
              metrics: [
                {
                  name: "pipeline.health.score",
                  gauge: { dataPoints: times.map((t) => ({ asDouble: 50, timeUnixNano: t })) },
                },
              ],
            },
          ],
        },
      ],
    });
    const out = n.metrics(
      gauge([1e23, "100000000000000000000000", "9223372036854775808", ns(NOW), "9223372036854775807"]),
    );
    expect(out.rejected).toBe(3);
    expect(out.items).toHaveLength(2);
    expect(out.errors[0]).toMatch(/timeUnixNano: timestamp out of range \(past the year 2262/);
    const spans = n.traces({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                {
                  traceId: "0af7651916cd43dd8448eb211c80319c",
                  spanId: "b7ad6b7169203331",
                  name: "a",
                  endTimeUnixNano: 1e23,
                },
                {
                  traceId: "0af7651916cd43dd8448eb211c80319c",
                  spanId: "b7ad6b7169203332",
                  name: "b",
                  endTimeUnixNano: ns(NOW),
                },
              ],
            },
          ],
        },
      ],
    });
    expect(spans.rejected).toBe(1);
    expect(spans.items).toHaveLength(1);
  });
});
