import { Subject, VirtualAction, VirtualTimeScheduler } from "rxjs";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { builtinFactories } from "../src/builtins.ts";
import { defineFactory, type Exporter, type Receiver } from "../src/component.ts";
import { createLogger } from "../src/log.ts";
import { Registry } from "../src/registry.ts";
import { startAlertPipeline } from "../src/service.ts";
import type { Alert, GaugePoint, Item, SumPoint } from "../src/signal.ts";

const source = new Subject<Item>();
const exported: Item[] = [];
const testReceiver = defineFactory({
  kind: "receiver",
  type: "test_source",
  configSchema: z.strictObject({}),
  create: (): Receiver => ({ signals: source, start: async () => {}, shutdown: async () => {} }),
});
const captureExporter = defineFactory({
  kind: "exporter",
  type: "capture",
  configSchema: z.strictObject({}),
  create: (): Exporter => ({
    configured: true,
    accepts: new Set(["alert", "digest", "error"]),
    export: async (batch) => {
      exported.push(...batch);
    },
    shutdown: async () => {},
  }),
});

const config = `receivers:
  test_source: {}
processors:
  threshold/system_health:
    metric: pipeline.health.score
    op: below
    threshold: 30
    severity: critical
    component: system
    check_interval: 60
  cooldown:
    default: 5
    rules: { system_health: 30 }
  escalation:
    delay: 15
exporters:
  capture: {}
service:
  pipelines:
    alerts:
      receivers: [test_source]
      processors: [threshold/system_health, cooldown, escalation]
      exporters: [capture]
`;

function gauge(value: number, time: number): GaugePoint {
  return {
    kind: "metric",
    type: "gauge",
    name: "pipeline.health.score",
    unit: "1",
    value,
    attributes: {},
    resource: { "service.name": "scraper" },
    scope: { name: "test" },
    time,
  };
}

describe("pipeline assembly in virtual time", () => {
  it("runs a 30-minute episode through rules → cooldown → escalation with no wall-clock time", async () => {
    const scheduler = new VirtualTimeScheduler(VirtualAction, 0);
    const advance = (ms: number) => {
      scheduler.maxFrames = scheduler.now() + ms;
      scheduler.flush();
    };
    const registry = new Registry([...builtinFactories, testReceiver, captureExporter]);
    const handle = await startAlertPipeline({
      configText: config,
      registry,
      scheduler,
      env: {},
      logger: createLogger({ level: "silent" }),
      statusServer: false,
    });
    const alerts = () => exported.filter((i): i is Alert => i.kind === "alert");

    // Every minute for 30 virtual minutes the health score stays at 10: one notice, one escalation.
    for (let minute = 0; minute < 30; minute++) {
      source.next(gauge(10, scheduler.now()));
      advance(60_000);
    }
    await Promise.resolve();
    expect(alerts().map((a) => `${a.status}@${Math.round(a.at / 60_000)}`)).toEqual([
      "firing@0",
      "escalated@15",
    ]);

    source.next(gauge(90, scheduler.now()));
    advance(60_000);
    await Promise.resolve();
    expect(alerts().at(-1)?.status).toBe("resolved");
    expect(handle.status()).toMatchObject({ thresholds_configured: 1 });
    await handle.shutdown();
  });

  it("judges the last batch of a ratio rule at shutdown instead of losing it", async () => {
    exported.length = 0;
    const scheduler = new VirtualTimeScheduler(VirtualAction, 0);
    const registry = new Registry([...builtinFactories, testReceiver, captureExporter]);
    const handle = await startAlertPipeline({
      configText: `receivers:
  test_source: {}
processors:
  threshold/rpc_error_rate:
    ratio:
      numerator: { metric: pipeline.rpc.calls, where: { error.type: { exists: true } } }
      denominator: { metric: pipeline.rpc.calls }
    scale: 100
    op: above
    threshold: 10
    severity: critical
    component: database
exporters:
  capture: {}
service:
  pipelines:
    alerts:
      receivers: [test_source]
      processors: [threshold/rpc_error_rate]
      exporters: [capture]
`,
      registry,
      scheduler,
      env: {},
      logger: createLogger({ level: "silent" }),
      statusServer: false,
    });
    const calls = (value: number, attributes: Record<string, string>): SumPoint => ({
      kind: "metric",
      type: "sum",
      name: "pipeline.rpc.calls",
      unit: "{call}",
      value,
      monotonic: true,
      attributes,
      resource: {},
      scope: { name: "test" },
      time: 0,
    });
    source.next(calls(5, { "error.type": "timeout" }));
    source.next(calls(5, {}));
    await handle.shutdown(); // no scheduler flush: the batch's check is still pending
    expect(exported.filter((i) => i.kind === "alert").map((a) => (a as Alert).rule)).toEqual([
      "rpc_error_rate",
    ]);
  });
});
