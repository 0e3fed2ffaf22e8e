// The `anomaly` rule in virtual time, fed one delta counter point a minute: no verdict before
// min_history; direction and `for`; what the alert says; memory per series as stated; a series
// that pauses keeps its model; local time zones across a DST change; weekly seasons; config errors.
import { describe, expect, it } from "vitest";
import { anomalyFactory } from "../processors/anomaly.ts";
import type { Alert } from "../src/signal.ts";
import { anomalyRule, THROUGHPUT as METRIC } from "./support/anomaly-rule.ts";
import { DAY, HOUR, MIN, usualRate } from "./support/synthetic-diurnal.ts";

const RULE = {
  metric: METRIC,
  aggregation: "rate",
  window: 300,
  unit: "/s",
  group_by: ["service.name"],
  min_history: "3d",
  for: 300,
};

const setup = (config: Record<string, unknown>, start = 0) => anomalyRule(config, { start });

/** The usual day, with `factor` applied from `at` for `length` ms. */
const withDip = (at: number, length: number, factor: number) => (t: number) =>
  usualRate(t) * (t >= at && t < at + length ? factor : 1);

describe("anomaly rule: learning, then verdicts", () => {
  it("gives no verdict before min_history, however far off the value; then fires within minutes, saying what was expected", async () => {
    const t = await setup(RULE);
    // Day 2, 14:00: throughput at 30 % for an hour, before three days of history: not judged.
    t.feed(0, 3 * DAY, withDip(2 * DAY + 14 * HOUR, HOUR, 0.3));
    expect(t.alerts()).toEqual([]);
    expect(t.rule.status()).toMatchObject({ models: 1, models_learning: 1, firing: 0 });
    // Day 3, the same collapse: found 5 minutes in (`for`), resolved once it is over.
    t.feed(3 * DAY, 4 * DAY, withDip(3 * DAY + 14 * HOUR, HOUR, 0.3));
    expect(t.rule.status()).toMatchObject({ models_learning: 0 });
    const [fired, resolved, ...rest] = t.alerts();
    expect(rest).toEqual([]);
    expect(fired).toMatchObject({ status: "firing", comparison: "below", unit: "/s" });
    expect((fired as Alert).at - (3 * DAY + 14 * HOUR)).toBeLessThanOrEqual(7 * MIN);
    expect(fired?.summary).toMatch(
      /^throughput unusually low: expected 1[5-7]\d–1[89]\d\/s at 14:0\d UTC, now [3-9]\d\/s \(\d+ robust deviations below\) for service\.name=scraper$/,
    );
    expect(fired?.threshold).toBeUndefined();
    expect(fired?.details).toMatchObject({
      sensitivity: 5,
      time_of_day: expect.stringMatching(/^14:0\d UTC$/),
    });
    expect(Number(fired?.details?.expected_low)).toBeLessThan(Number(fired?.baseline));
    expect(Number(fired?.details?.expected_high)).toBeGreaterThan(Number(fired?.baseline));
    expect(resolved).toMatchObject({ status: "resolved" });
    expect(resolved?.summary).toMatch(
      /^throughput back to normal: expected .*, now 1\d\d\/s for service\.name=scraper$/,
    );
    expect((resolved as Alert).at).toBeGreaterThan(3 * DAY + 15 * HOUR);
  });

  it("fires only on its direction, and not for a dip shorter than `for`", async () => {
    // A 3-minute dip keeps the 5-minute window low for about 8 minutes: shorter than `for`.
    const t = await setup({ ...RULE, direction: "below", for: 900 });
    t.feed(0, 3 * DAY, usualRate);
    const day = 3 * DAY;
    const shape = (x: number) => {
      const surge = withDip(day + 3 * HOUR, 30 * MIN, 2.5);
      const short = withDip(day + 10 * HOUR, 3 * MIN, 0.3);
      const collapse = withDip(day + 16 * HOUR, 30 * MIN, 0.4);
      return surge(x) * (short(x) / usualRate(x)) * (collapse(x) / usualRate(x));
    };
    t.feed(day, day + DAY, shape);
    expect(t.fired().map((a) => [a.comparison, Math.floor((a.at - day) / HOUR)])).toEqual([["below", 16]]);
  });

  it("states its memory per series (slots × seasons × 8 bytes + per-slot cache), one model per series", async () => {
    const t = await setup(RULE);
    for (let at = 0; at < 10 * MIN; at += MIN)
      for (const service of ["a", "b", "c"]) t.feed(at, at + 1, usualRate, service);
    const perSeries = 96 * 14 * 8 + 96 * 9 + 400;
    expect(t.rule.status()).toMatchObject({
      series: 3,
      models: 3,
      model_bytes_per_series: perSeries,
      model_bytes: 3 * perSeries,
      slot_seconds: 900,
      seasons: 14,
      seasonality: "1d",
      min_history_seconds: 3 * 86_400,
    });
    expect(Number(t.rule.status().state_bytes_estimate)).toBeGreaterThanOrEqual(3 * perSeries);
  });

  it("a series that pauses for an hour keeps its model: the first collapse after it is found at once", async () => {
    const t = await setup(RULE);
    t.feed(0, 4 * DAY + 9 * HOUR, usualRate);
    // 09:00–10:00 nothing arrives: the series goes stale (its group is dropped), not its model.
    t.clock.advanceTo(4 * DAY + 10 * HOUR);
    expect(t.rule.status()).toMatchObject({ series: 0, models: 1 });
    t.feed(4 * DAY + 10 * HOUR, 4 * DAY + 12 * HOUR, withDip(4 * DAY + 11 * HOUR, HOUR, 0.4));
    expect(t.fired().map((a) => Math.round((a.at - (4 * DAY + 11 * HOUR)) / MIN))).toEqual([5]);
  });
});

describe("anomaly rule: time zones and weekly seasons", () => {
  // Europe/Berlin went from UTC+1 to UTC+2 on 2025-03-30 at 01:00 UTC.
  const MONDAY = Date.UTC(2025, 2, 23, 23); // Monday 2025-03-24 00:00 in Berlin
  const DST = Date.UTC(2025, 2, 30, 1);
  const berlinRate = (t: number) => usualRate(t - MONDAY + (t >= DST ? HOUR : 0));

  it("follows local days across a DST change: a UTC model sees the shifted day as an anomaly, a Europe/Berlin one does not", async () => {
    const utc = await setup(RULE, MONDAY);
    const local = await setup({ ...RULE, timezone: "Europe/Berlin" }, MONDAY);
    utc.feed(MONDAY, MONDAY + 9 * DAY, berlinRate);
    local.feed(MONDAY, MONDAY + 9 * DAY, berlinRate);
    expect(local.fired()).toEqual([]);
    expect(utc.fired().length).toBeGreaterThan(0);
    expect(utc.fired().every((a) => a.at >= DST)).toBe(true);
    // A collapse on the day after the change, in local time, says so.
    local.feed(
      MONDAY + 9 * DAY,
      MONDAY + 10 * DAY,
      (x) =>
        berlinRate(x) * (x >= MONDAY + 9 * DAY + 13 * HOUR && x < MONDAY + 9 * DAY + 14 * HOUR ? 0.4 : 1),
    );
    expect(local.fired().map((a) => a.details?.time_of_day)).toEqual([
      expect.stringMatching(/^14:0\d Europe\/Berlin$/),
    ]);
  });

  it("1w learns weekdays apart from weekends: a 1d rule pages on Saturday, a 1w one only on the odd Wednesday", async () => {
    const weekly = (t: number) => {
      const weekday = Math.floor(t / DAY) % 7; // the clock starts on a Monday (1970-01-05)
      return usualRate(t) * (weekday >= 5 ? 0.4 : 1);
    };
    const start = Date.UTC(1970, 0, 5);
    const week = { ...RULE, seasonality: "1w", slot: "1h", seasons: 2, min_history: "1w" };
    const daily = await setup({ ...RULE, settle_after: "1d" }, start);
    const byWeek = await setup(week, start);
    const wednesday = start + 9 * DAY + 14 * HOUR;
    const rate = (x: number) => weekly(x - start) * (x >= wednesday && x < wednesday + HOUR ? 0.4 : 1);
    daily.feed(start, start + 14 * DAY, rate);
    byWeek.feed(start, start + 14 * DAY, rate);
    expect(daily.fired().some((a) => Math.floor((a.at - start) / DAY) % 7 === 5)).toBe(true);
    expect(byWeek.fired().map((a) => a.details?.time_of_day)).toEqual([
      expect.stringMatching(/^Wed 14:0\d UTC$/),
    ]);
  });
});

describe("anomaly rule: config", () => {
  const problems = (config: Record<string, unknown>) => {
    const parsed = anomalyFactory.configSchema.safeParse({ metric: METRIC, ...config });
    if (!parsed.success) return parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    return (anomalyFactory.validate?.(parsed.data) ?? []).map((i) => `${i.path.join(".")}: ${i.message}`);
  };

  it("takes durations as seconds or text, and fills the seasonality's defaults", () => {
    const parsed = anomalyFactory.configSchema.parse({ metric: METRIC, slot: "30m", min_history: 172800 });
    expect(parsed).toMatchObject({
      slot: 1800,
      min_history: 172_800,
      settle_after: 7200,
      sensitivity: 5,
      for: 300,
    });
    expect(problems({ seasonality: "1w" })).toEqual([]);
  });

  it("names what cannot work: a slot that does not divide the day, too big a profile, history out of range, settling within `for`, an unknown zone", () => {
    expect(problems({ slot: "7m" })).toEqual([
      "slot: expected a slot of at least 300 s that divides the 1d season (86400 s) into 4 or more, got 420 s",
    ]);
    expect(problems({ seasonality: "1w", slot: "5m", seasons: 12 })[0]).toMatch(
      /^seasons: 2016 slots × 12 seasons = 24192 values per series, more than 20160/,
    );
    expect(problems({ min_history: "12h" })[0]).toMatch(
      /^min_history: expected between one season \(86400 s\)/,
    );
    expect(problems({ min_history: "15d" })[0]).toMatch(/^min_history: .* got 1296000 s$/);
    expect(problems({ settle_after: 300 })).toEqual([
      "settle_after: must be longer than for (300 s), got 300 s",
    ]);
    expect(problems({ timezone: "Mars/Olympus" })).toEqual([
      "timezone: expected an IANA time zone such as UTC or Europe/Berlin",
    ]);
    expect(problems({ slot: "soon" })[0]).toMatch(/^slot: expected/);
  });
});
