import { describe, expect, it } from "vitest";
import { histogramQuantile } from "../processors/rules/quantile.ts";
import type { RuleProcessor } from "../processors/rules/rule-engine.ts";
import { RingWindow } from "../processors/rules/window.ts";
import { spikeFactory } from "../processors/spike.ts";
import { thresholdFactory } from "../processors/threshold.ts";
import type { SpanSignal } from "../src/signal.ts";
import { build } from "./support/processors.ts";
import { counter, gauge, harness, histogram, MIN, SEC, VirtualClock } from "./support/virtual-clock.ts";

async function setup(factory: typeof thresholdFactory | typeof spikeFactory, id: string, config: unknown) {
  const clock = new VirtualClock();
  const rule = await build<unknown, RuleProcessor>(factory as never, id, config, clock);
  const h = harness(clock);
  h.input.pipe(rule.operator).subscribe(h.collect);
  return { clock, rule, ...h };
}

describe("RingWindow", () => {
  it("keeps running totals over the window and evicts slot by slot", () => {
    const w = new RingWindow(
      { windowMs: 300_000, baselineMs: 0, resolution: 30 },
      {
        count: true,
        minMax: true,
        histogram: false,
      },
    );
    w.add(0, 5);
    w.add(100_000, 7);
    w.add(200_000, 1);
    expect([w.recentSum, w.recentCount, w.recentMax(), w.recentMin()]).toEqual([13, 3, 7, 1]);
    w.advance(305_000); // the point at 0 s has left the window
    expect([w.recentSum, w.recentCount, w.recentMax(), w.recentMin()]).toEqual([8, 2, 7, 1]);
    w.advance(10_000_000);
    expect([w.recentSum, w.recentCount]).toEqual([0, 0]);
    expect(Number.isNaN(w.recentMax())).toBe(true);
  });

  it("moves evicted slots into the baseline and reports how much baseline history exists", () => {
    const w = new RingWindow(
      { windowMs: 60_000, baselineMs: 600_000, resolution: 30 },
      {
        count: true,
        minMax: false,
        histogram: false,
      },
    );
    w.add(0, 4);
    w.advance(62_000);
    expect([w.recentSum, w.baseSum]).toEqual([0, 4]);
    expect(w.baselineCoveredSeconds()).toBeCloseTo(4, 5); // slots 0 and 1 (2 s each) are behind the window
    w.advance(700_000);
    expect([w.recentSum, w.baseSum]).toEqual([0, 0]);
  });
});

const observed = (max: number) => ({ recentMax: () => max, recentMin: () => Number.NaN });

describe("histogramQuantile", () => {
  it("interpolates inside a bucket", () => {
    // 100 observations: 50 in (0,1], 50 in (1,5]: p95 sits at 90 % of the second bucket.
    expect(histogramQuantile(0.95, [1, 5], [50, 50, 0])).toBeCloseTo(1 + 4 * 0.9);
  });
  it("falls back to the observed max past the last bound, else the last bound", () => {
    expect(histogramQuantile(0.95, [1, 5], [10, 0, 90], observed(120))).toBe(120);
    expect(histogramQuantile(0.95, [1, 5], [10, 0, 90], observed(Number.NaN))).toBe(5);
    expect(Number.isNaN(histogramQuantile(0.5, [1], [0, 0], observed(3)))).toBe(true);
  });
});

describe("aggregations", () => {
  it("fetch latency p95 merges buckets across the window; past the last bucket it is the window max", async () => {
    const t = await setup(thresholdFactory, "threshold/fetch_latency", {
      metric: "http.client.request.duration",
      aggregation: "p95",
      unit: "s",
      threshold: 60,
      severity: "warning",
      component: "fetcher",
    });
    const bounds = [0.5, 1, 5, 10, 30];
    t.input.next(
      histogram("http.client.request.duration", bounds, [80, 10, 5, 0, 0, 0], { sum: 60, max: 4 }),
    );
    expect(t.alerts()).toHaveLength(0);
    t.clock.advanceTo(30 * SEC);
    // 40 slow fetches past the last bucket: p95 over the merged 135 lies in +Inf → the max, 95 s.
    t.input.next(
      histogram("http.client.request.duration", bounds, [0, 0, 0, 0, 0, 40], { sum: 3000, max: 95 }),
    );
    expect(t.alerts()).toEqual([expect.objectContaining({ status: "firing", value: 95, unit: "s" })]);
  });

  it("a histogram point without min/max leaves the window's extremes unknown, never smaller", async () => {
    for (const order of ["with-max first", "without-max first"]) {
      const t = await setup(thresholdFactory, "threshold/fetch_latency", {
        metric: "http.client.request.duration",
        aggregation: "p95",
        unit: "s",
        threshold: 2,
        severity: "warning",
        component: "fetcher",
      });
      const bounds = [0.1, 1, 5];
      const fast = histogram("http.client.request.duration", bounds, [10, 0, 0, 0], {
        sum: 0.5,
        min: 0.05,
        max: 0.05,
      });
      const slow = histogram("http.client.request.duration", bounds, [0, 0, 100, 0], { sum: 300 }); // no min/max
      for (const point of order === "with-max first" ? [fast, slow] : [slow, fast]) t.input.next(point);
      // p95 of 110 lies in (1, 5]: interpolated, not clamped to the 0.05 s that only the fast point knew.
      expect(
        t.alerts().map((a) => a.status),
        order,
      ).toEqual(["firing"]);
      expect(t.rule.breaches()[0]?.value, order).toBeCloseTo(1 + (4 * (104.5 - 10)) / 100, 5);
    }
  });

  it("judges a ratio once the batch is in: failures arriving before successes are no 100 % spike", async () => {
    const t = await setup(thresholdFactory, "threshold/rpc_error_rate", {
      ratio: {
        numerator: { metric: "pipeline.rpc.calls", where: { "error.type": { exists: true } } },
        denominator: { metric: "pipeline.rpc.calls" },
      },
      scale: 100,
      threshold: 10,
      severity: "critical",
      component: "database",
    });
    // One export: the failing series first, then the succeeding one (5 of 100 = 5 %).
    t.input.next(counter("pipeline.rpc.calls", 5, { "error.type": "timeout" }));
    t.input.next(counter("pipeline.rpc.calls", 95, {}));
    t.clock.advanceBy(0);
    expect(t.alerts()).toEqual([]);
  });

  it("rpc error rate = calls with error.type / all calls, as percent", async () => {
    const t = await setup(thresholdFactory, "threshold/rpc_error_rate", {
      ratio: {
        numerator: { metric: "pipeline.rpc.calls", where: { "error.type": { exists: true } } },
        denominator: { metric: "pipeline.rpc.calls" },
      },
      scale: 100,
      unit: "%",
      threshold: 10,
      severity: "critical",
      component: "database",
    });
    t.input.next(counter("pipeline.rpc.calls", 95, { "rpc.method": "upsert" }));
    t.input.next(counter("pipeline.rpc.calls", 5, { "rpc.method": "upsert", "error.type": "timeout" }));
    t.clock.advanceBy(0); // the batch is in: ratios are judged at the same instant, after it
    expect(t.alerts()).toHaveLength(0); // 5 %
    t.clock.advanceTo(MIN);
    t.input.next(counter("pipeline.rpc.calls", 10, { "error.type": "timeout" }));
    t.clock.advanceBy(0);
    const [alert] = t.alerts();
    expect(t.out.find((o) => o.item.kind === "alert")?.at).toBe(MIN);
    expect(alert?.value).toBeCloseTo((15 / 110) * 100);
    expect(alert).toMatchObject({ rule: "rpc_error_rate", severity: "critical", status: "firing" });
  });

  it("a counter reset (negative delta) never fires a rate rule", async () => {
    const t = await setup(thresholdFactory, "threshold/db_rate", {
      metric: "pipeline.db.failures",
      aggregation: "rate",
      threshold: 0.01,
    });
    t.input.next(counter("pipeline.db.failures", -5000));
    t.input.next(counter("pipeline.db.failures", -1));
    t.clock.advanceTo(10 * MIN);
    expect(t.alerts()).toEqual([]);
    expect(t.rule.status()).toMatchObject({ negative_deltas_ignored: 2, series: 0 });
  });

  it("database_failures sums deltas in the window and forgets failures older than it", async () => {
    const t = await setup(thresholdFactory, "threshold/database_failures", {
      metric: "pipeline.db.failures",
      aggregation: "sum",
      threshold: 5,
      severity: "critical",
      component: "database",
    });
    t.input.next(counter("pipeline.db.failures", 3));
    t.clock.advanceTo(6 * MIN);
    t.input.next(counter("pipeline.db.failures", 3)); // the first 3 left the 5-minute window
    expect(t.alerts()).toHaveLength(0);
    t.clock.advanceTo(7 * MIN);
    t.input.next(counter("pipeline.db.failures", 3));
    expect(t.alerts()).toEqual([expect.objectContaining({ status: "firing", value: 6 })]);
  });

  it("avg/max/min/count and spans (count of failed client spans, duration in seconds)", async () => {
    const avg = await setup(thresholdFactory, "threshold/a", {
      metric: "g",
      aggregation: "avg",
      threshold: 10,
    });
    for (const v of [5, 10, 20]) avg.input.next(gauge("g", v));
    expect(avg.alerts()[0]?.value).toBeCloseTo(35 / 3);
    const min = await setup(thresholdFactory, "threshold/m", {
      metric: "g",
      aggregation: "min",
      op: "below",
      threshold: 2,
    });
    for (const v of [5, 1.5, 20]) min.input.next(gauge("g", v));
    expect(min.alerts()[0]?.value).toBe(1.5);
    const span = (status: "error" | "ok", ms: number): SpanSignal => ({
      kind: "span",
      name: "SELECT",
      spanKind: "client",
      status: { code: status },
      traceId: "t",
      spanId: "s",
      startTime: 0,
      endTime: ms,
      durationMs: ms,
      attributes: { "db.system": "postgresql" },
      resource: {},
      scope: { name: "pg" },
      events: [],
    });
    const failed = await setup(thresholdFactory, "threshold/db_spans", {
      spans: { where: { "db.system": { exists: true } }, status: "error", kind: "client" },
      threshold: 2,
    });
    for (const s of [span("error", 5), span("ok", 5), span("error", 5), span("error", 5)])
      failed.input.next(s);
    expect(failed.alerts().map((a) => a.value)).toEqual([3]);
    const slow = await setup(thresholdFactory, "threshold/slow", {
      spans: { value: "duration" },
      aggregation: "max",
      threshold: 2,
      unit: "s",
    });
    slow.input.next(span("ok", 2500));
    expect(slow.alerts()[0]?.value).toBe(2.5);
  });
});

describe("spike", () => {
  const reviewSpike = {
    ratio: {
      numerator: { metric: "pipeline.artifacts.review_flagged" },
      denominator: { metric: "pipeline.artifacts.processed" },
    },
    group_by: ["roaster.id", "platform"],
    window: 300,
    baseline_window: 3600,
    threshold: 50,
    min_samples: 10,
    scale: 100,
    unit: "%",
    severity: "warning",
    component: "normalizer",
  };
  const roaster = (id: string) => ({ "roaster.id": id, platform: "shopify" });

  it("fires per roaster when the review rate rises > 50 % over its baseline, steady roasters stay quiet", async () => {
    const t = await setup(spikeFactory, "spike/review_rate_spike", reviewSpike);
    // A covered baseline (window + baseline = 65 min of history): both roasters flag 10 of 100 per minute (10 %).
    for (let m = 0; m < 66; m++) {
      t.clock.advanceTo(m * MIN);
      for (const id of ["a", "b"]) {
        t.input.next(counter("pipeline.artifacts.processed", 100, roaster(id)));
        t.input.next(counter("pipeline.artifacts.review_flagged", 10, roaster(id)));
      }
    }
    expect(t.alerts()).toEqual([]);
    // Roaster a now flags 20 of 100 per minute; b stays at 10 %.
    for (let m = 66; m < 72; m++) {
      t.clock.advanceTo(m * MIN);
      for (const id of ["a", "b"]) {
        t.input.next(counter("pipeline.artifacts.processed", 100, roaster(id)));
        t.input.next(counter("pipeline.artifacts.review_flagged", id === "a" ? 20 : 10, roaster(id)));
      }
    }
    const alerts = t.alerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      rule: "review_rate_spike",
      fingerprint: 'review_rate_spike{platform="shopify",roaster.id="a"}',
      labels: roaster("a"),
      comparison: "increase",
      threshold: 50,
      baseline: 10,
      severity: "warning",
      component: "normalizer",
    });
    expect(alerts[0]?.details?.increase_percent).toBeGreaterThan(50);
  });

  it("gives no verdict until the baseline is covered on both sides, then judges like with like", async () => {
    const t = await setup(spikeFactory, "spike/review_rate_spike", {
      ...reviewSpike,
      window: 60,
      baseline_window: 300,
    });
    // Exports every 10 s: 25 processed from the first one, the flagged series from the second (4 %).
    const exportAt = (s: number, flagged: number) => {
      t.clock.advanceTo(s * SEC);
      t.input.next(counter("pipeline.artifacts.processed", s === 0 ? 24 : 25, roaster("a")));
      if (s > 0) t.input.next(counter("pipeline.artifacts.review_flagged", flagged, roaster("a")));
      t.clock.advanceBy(0);
    };
    const baselineOf = () => t.rule.breaches()[0]?.baseline;
    for (let s = 0; s <= 360; s += 10) exportAt(s, 1);
    // Before the flagged series' first export slid out of the baseline (370 s), no baseline at all…
    expect(t.alerts()).toEqual([]);
    for (let s = 370; s <= 600; s += 10) exportAt(s, 1);
    expect(t.alerts()).toEqual([]);
    // …after it, a steady 4 % baseline: a real doubling fires, against it.
    for (let s = 610; s <= 660; s += 10) exportAt(s, 3);
    expect(t.alerts().map((a) => [a.status, a.baseline])).toEqual([["firing", 4]]);
    expect(baselineOf()).toBe(4);
  });

  it("a ratio leaves out numerator data from before its denominator's first data", async () => {
    const t = await setup(thresholdFactory, "threshold/review_rate", {
      ratio: {
        numerator: { metric: "pipeline.artifacts.review_flagged" },
        denominator: { metric: "pipeline.artifacts.processed" },
      },
      window: 60,
      scale: 100,
      threshold: 3,
      min_samples: 10,
      severity: "warning",
      component: "normalizer",
    });
    // The flagged stream's first delta arrives an export before the processed stream's first one
    // (that one only set a baseline): 5 flagged with nothing processed to divide them by.
    t.input.next(counter("pipeline.artifacts.review_flagged", 5));
    t.clock.advanceTo(10 * SEC);
    t.input.next(counter("pipeline.artifacts.processed", 100));
    t.input.next(counter("pipeline.artifacts.review_flagged", 2));
    t.clock.advanceBy(0);
    expect(t.rule.breaches()).toEqual([]);
    expect(t.alerts()).toEqual([]); // 2 of 100, not 7 of 100
    t.clock.advanceTo(20 * SEC);
    t.input.next(counter("pipeline.artifacts.processed", 100));
    t.input.next(counter("pipeline.artifacts.review_flagged", 6));
    t.clock.advanceBy(0);
    expect(t.alerts().map((a) => a.value)).toEqual([4]); // 8 of 200
  });

  it("does not fire without a baseline, nor on fewer than min_samples", async () => {
    const t = await setup(spikeFactory, "spike/review_rate_spike", reviewSpike);
    // No history at all: 100 % flagged is not a spike over nothing.
    t.input.next(counter("pipeline.artifacts.processed", 50, roaster("new")));
    t.input.next(counter("pipeline.artifacts.review_flagged", 50, roaster("new")));
    t.clock.advanceBy(0);
    expect(t.alerts()).toEqual([]);
    // A baseline of 20 % (an hour, then quiet past the window), then 1 flagged of 1 processed: below min_samples.
    const u = await setup(spikeFactory, "spike/review_rate_spike", reviewSpike);
    for (let m = 0; m < 60; m++) {
      u.clock.advanceTo(m * MIN);
      u.input.next(counter("pipeline.artifacts.processed", 100, roaster("c")));
      u.input.next(counter("pipeline.artifacts.review_flagged", 20, roaster("c")));
    }
    u.clock.advanceTo(66 * MIN);
    u.input.next(counter("pipeline.artifacts.processed", 1, roaster("c")));
    u.input.next(counter("pipeline.artifacts.review_flagged", 1, roaster("c")));
    u.clock.advanceBy(0);
    expect(u.alerts()).toEqual([]);
    u.input.next(counter("pipeline.artifacts.processed", 9, roaster("c")));
    u.input.next(counter("pipeline.artifacts.review_flagged", 9, roaster("c")));
    u.clock.advanceBy(0);
    expect(u.alerts().map((a) => a.status)).toEqual(["firing"]);
  });

  it("a counter rate spike compares per-second rates (baseline normalised to its length)", async () => {
    const t = await setup(spikeFactory, "spike/errors", {
      metric: "errors",
      window: 60,
      baseline_window: 600,
      threshold: 100,
      min_samples: 1,
    });
    for (let s = 0; s < 680; s += 10) {
      t.clock.advanceTo(s * SEC);
      t.input.next(counter("errors", 1));
    }
    expect(t.alerts()).toEqual([]);
    for (let s = 680; s < 740; s += 10) {
      t.clock.advanceTo(s * SEC);
      t.input.next(counter("errors", 4));
    }
    expect(t.alerts().map((a) => a.status)).toEqual(["firing"]);
  });
});
