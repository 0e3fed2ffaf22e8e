import { timer } from "rxjs";
import { describe, expect, it } from "vitest";
import { inprocReceiverIds, toInprocessConfig } from "../src/inproc/config.ts";
import { UnrefScheduler } from "../src/inproc/unref-scheduler.ts";
import { DEFAULT_CONFIG_PATH, loadConfig } from "../src/service.ts";

describe("toInprocessConfig", () => {
  it("replaces the default pipeline's OTLP receiver with an inproc receiver, keeping hostmetrics", async () => {
    const loaded = await loadConfig({ configPath: DEFAULT_CONFIG_PATH, env: {} });
    const { config, replaced } = toInprocessConfig(loaded, { METRICS_COLLECTION_INTERVAL: "15" });
    expect(replaced).toEqual(["otlp"]);
    const alerts = config.pipelines.find((p) => p.name === "alerts");
    expect(alerts?.receivers).toEqual(["inproc", "hostmetrics"]);
    expect(config.components.get("receivers:inproc")?.config).toEqual({ export_interval: 15 });
    expect(inprocReceiverIds(config)).toEqual(["inproc"]);
    // The loaded config itself is untouched.
    expect(loaded.pipelines.find((p) => p.name === "alerts")?.receivers).toContain("otlp");
  });

  it("reads METRICS_COLLECTION_INTERVAL as seconds or as a duration, and names it when it is neither", async () => {
    const loaded = await loadConfig({ configPath: DEFAULT_CONFIG_PATH, env: {} });
    const interval = (value: string) =>
      toInprocessConfig(loaded, { METRICS_COLLECTION_INTERVAL: value }).config.components.get(
        "receivers:inproc",
      )?.config;
    expect(interval("2.5")).toEqual({ export_interval: 2.5 });
    expect(interval("30s")).toEqual({ export_interval: 30 });
    expect(interval("2m")).toEqual({ export_interval: 120 });
    expect(interval("")).toEqual({ export_interval: 30 });
    expect(() => interval("ten")).toThrow(/METRICS_COLLECTION_INTERVAL: expected .* got "ten"/);
    expect(() => interval("0s")).toThrow(/METRICS_COLLECTION_INTERVAL/);
  });

  it("uses a declared inproc receiver and leaves pipelines without OTLP alone", async () => {
    const loaded = await loadConfig({
      configText: [
        "receivers:",
        "  otlp: {}",
        "  inproc/app: { export_interval: 5 }",
        "  hostmetrics: {}",
        "exporters:",
        "  console: {}",
        "service:",
        "  pipelines:",
        "    app: { receivers: [otlp, inproc/app], exporters: [console] }",
        "    host: { receivers: [hostmetrics], exporters: [console] }",
      ].join("\n"),
      env: {},
    });
    const { config } = toInprocessConfig(loaded, {});
    expect(config.pipelines.map((p) => [p.name, p.receivers])).toEqual([
      ["app", ["inproc/app"]],
      ["host", ["hostmetrics"]],
    ]);
    expect(inprocReceiverIds(config)).toEqual(["inproc/app"]);
  });
});

describe("UnrefScheduler", () => {
  it("runs periodic timers without keeping the event loop alive", async () => {
    const scheduler = new UnrefScheduler();
    const ticks: number[] = [];
    const sub = timer(0, 5, scheduler).subscribe((n) => ticks.push(n));
    await new Promise((r) => setTimeout(r, 60));
    sub.unsubscribe();
    const seen = ticks.length;
    expect(ticks.slice(0, 3)).toEqual([0, 1, 2]);
    await new Promise((r) => setTimeout(r, 30));
    expect(ticks.length).toBe(seen); // unsubscribed: no more ticks
    const handles = process.getActiveResourcesInfo();
    const pending = scheduler.schedule(() => undefined, 60_000);
    // An unref'd timer is not listed among the resources keeping the process alive.
    expect(process.getActiveResourcesInfo()).toEqual(handles);
    pending.unsubscribe();
  });
});
