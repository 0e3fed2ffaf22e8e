// Durations the Collector's way (`30s`, `5m`, `1h30m`, Go's syntax) wherever a number of seconds or
// minutes is accepted, bare numbers keeping their unit; the guide's variables take both forms.
import { readFile } from "node:fs/promises";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type CooldownProcessor, cooldownFactory } from "../processors/cooldown.ts";
import { thresholdFactory } from "../processors/threshold.ts";
import { duration, durationMs, parseDuration } from "../src/config/duration.ts";
import { formatProblem } from "../src/config/errors.ts";
import { loadConfigFile, type ResolvedConfig } from "../src/config/load.ts";
import { Registry } from "../src/registry.ts";
import { DEFAULT_CONFIG_PATH } from "../src/service.ts";
import type { Item } from "../src/signal.ts";
import { alert } from "./support/alerts.ts";
import { build } from "./support/processors.ts";
import { harness, MIN, SEC, VirtualClock } from "./support/virtual-clock.ts";

const registry = new Registry();
const shipped = async (env: Record<string, string>) => {
  const result = await loadConfigFile(DEFAULT_CONFIG_PATH, { env, registry });
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join("\n"));
  return result.config;
};
const configOf = (config: ResolvedConfig, key: string) =>
  config.components.get(key)?.config as Record<string, unknown>;

describe("duration syntax", () => {
  it("reads Go's time.ParseDuration forms plus d and w, and nothing else", () => {
    expect(parseDuration("300ms")).toBe(300);
    expect(parseDuration("1.5h")).toBe(5_400_000);
    expect(parseDuration("2h45m")).toBe(9_900_000);
    expect(parseDuration("1h30m15s500ms")).toBe(5_415_500);
    expect(parseDuration(".5s")).toBe(500);
    expect(parseDuration("250us")).toBe(0.25);
    expect(parseDuration("250µs")).toBe(0.25);
    expect(parseDuration("1000000ns")).toBe(1);
    expect(parseDuration("1d")).toBe(86_400_000);
    expect(parseDuration("1w")).toBe(604_800_000);
    expect(parseDuration("0")).toBe(0);
    for (const bad of ["", "5", "5 m", "-1s", "5min", "1h-5m", "s", "1.2.3s", "5M"])
      expect(parseDuration(bad), bad).toBeUndefined();
  });

  it("a bare number keeps the field's unit; text numbers too (env values)", () => {
    expect(durationMs(30, "s")).toBe(30_000);
    expect(durationMs("0.5", "m")).toBe(30_000);
    expect(durationMs("90s", "m")).toBe(90_000);
    expect(durationMs("ninety", "s")).toBeUndefined();
    const minutes = duration("m", { zero: true });
    expect(minutes.parse(30)).toBe(30);
    expect(minutes.parse("90s")).toBe(1.5);
    expect(minutes.parse("1h30m")).toBe(90);
    expect(minutes.parse(0)).toBe(0);
    expect(minutes.parse("0s")).toBe(0);
    const seconds = duration("s");
    expect(seconds.parse("500ms")).toBe(0.5);
    expect(seconds.safeParse(0).success).toBe(false);
    expect(seconds.safeParse("0s").success).toBe(false);
    expect(seconds.safeParse(-5).success).toBe(false);
    expect(seconds.safeParse("5 minutes").error?.issues[0]?.message).toBe(
      "expected a positive number of seconds or a duration (e.g. 30s, 5m, 1h30m)",
    );
  });
});

describe("durations in pipeline.yaml", () => {
  it("the shipped pipeline reads the guide's variables as before and as durations", async () => {
    const before = await shipped({
      ALERT_MEMORY_USAGE_COOLDOWN: "0.5",
      ALERT_THROTTLE_WINDOW: "120",
      ALERT_CHECK_INTERVAL: "0.5",
      ALERT_RATE_WINDOW: "600",
      ALERT_ESCALATION_DELAY: "20",
      METRICS_COLLECTION_INTERVAL: "15",
    });
    const after = await shipped({
      ALERT_MEMORY_USAGE_COOLDOWN: "30s",
      ALERT_THROTTLE_WINDOW: "2m",
      ALERT_CHECK_INTERVAL: "500ms",
      ALERT_RATE_WINDOW: "10m",
      ALERT_ESCALATION_DELAY: "20m",
      METRICS_COLLECTION_INTERVAL: "15s",
    });
    for (const config of [before, after]) {
      expect(configOf(config, "processors:cooldown").rules).toMatchObject({ memory_usage: 0.5 });
      expect(configOf(config, "processors:throttle").window).toBe(120);
      expect(configOf(config, "processors:threshold/memory_usage").check_interval).toBe(0.5);
      expect(configOf(config, "processors:threshold/rpc_error_rate").window).toBe(600);
      expect(configOf(config, "processors:escalation").delay).toBe(20);
      expect(configOf(config, "receivers:hostmetrics").collection_interval).toBe(15);
    }
    const hours = await shipped({ ALERT_BASELINE_WINDOW: "2h", ALERT_DISK_USAGE_COOLDOWN: "1h30m" });
    expect(configOf(hours, "processors:spike/review_rate_spike").baseline_window).toBe(7200);
    expect(configOf(hours, "processors:cooldown").rules).toMatchObject({ disk_usage: 90 });
  });

  it("a value that is neither is an error naming the file, line, key and variable", async () => {
    const result = await loadConfigFile(DEFAULT_CONFIG_PATH, {
      env: { ALERT_THROTTLE_WINDOW: "5 minutes" },
      registry,
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map(formatProblem)).toEqual([
      expect.stringMatching(
        /^pipeline\.yaml:\d+:13 processors\.throttle\.window: expected a positive number of seconds or a duration \(e\.g\. 30s, 5m, 1h30m\), got "5 minutes" \(from \$\{env:ALERT_THROTTLE_WINDOW\}\)$/,
      ),
    ]);
  });

  it("every time field takes a duration: rules, delivery, receivers, status", () => {
    const rule = thresholdFactory.configSchema.parse({
      metric: "m",
      threshold: 1,
      window: "5m",
      for: "2m",
      keep_firing_for: "30s",
      stale_after: "1h",
      check_interval: "250ms",
    });
    expect(rule).toMatchObject({
      window: 300,
      for: 120,
      keep_firing_for: 30,
      stale_after: 3600,
      check_interval: 0.25,
    });
    const slack = registry.get("exporter", "slack")?.configSchema.parse({
      webhook_url: "",
      timeout: "2500ms",
      max_retry_time: "2h",
      lease: "1m",
    });
    expect(slack).toMatchObject({ timeout: 2.5, max_retry_time: 7200, lease: 60 });
    const otlp = registry.get("receiver", "otlp")?.configSchema.parse({ delta: { series_ttl: "2h" } });
    expect(otlp).toMatchObject({ delta: { series_ttl: 7200 } });
  });

  it("a cooldown of 90s holds a re-fire for 90 seconds, in virtual time", async () => {
    const clock = new VirtualClock();
    const cooldown = await build<unknown, CooldownProcessor>(
      cooldownFactory as never,
      "cooldown",
      { default: "90s" },
      clock,
    );
    const h = harness(clock);
    (h.input.pipe(cooldown.operator as never) as import("rxjs").Observable<Item>).subscribe(h.collect);
    h.input.next(alert("memory_usage"));
    clock.advanceTo(MIN);
    h.input.next(alert("memory_usage")); // inside 90 s: held
    expect(h.alerts()).toHaveLength(1);
    clock.advanceTo(90 * SEC); // released when the cooldown ends, still firing
    expect(h.alerts()).toHaveLength(2);
  });
});

describe("durations in pipeline.schema.json", () => {
  it("editors accept both forms and refuse what the loader refuses", async () => {
    const schema = JSON.parse(await readFile("pipeline.schema.json", "utf8")) as object;
    const validate = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema);
    const valid = (processors: string) =>
      validate(
        parse(`receivers: { otlp: {} }
processors:
${processors}
exporters: { console: {} }
service: { pipelines: { alerts: { receivers: [otlp], exporters: [console] } } }
`),
      );
    expect(valid("  throttle: { window: 5m }")).toBe(true);
    expect(valid("  throttle: { window: 300 }")).toBe(true);
    expect(valid("  cooldown: { rules: { memory_usage: 1h30m } }")).toBe(true);
    expect(valid("  throttle: { window: '${env:WINDOW}m' }")).toBe(true);
    expect(valid("  escalation: { levels: [15m, 1h] }")).toBe(true);
    expect(valid("  throttle: { window: 5 minutes }")).toBe(false);
    expect(valid("  throttle: { window: -5 }")).toBe(false);
  });
});
