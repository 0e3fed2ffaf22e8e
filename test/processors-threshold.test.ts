import { TestScheduler } from "rxjs/testing";
import { describe, expect, it } from "vitest";
import type { RuleProcessor } from "../processors/rules/rule-engine.ts";
import { thresholdFactory } from "../processors/threshold.ts";
import { testContext } from "./support/context.ts";
import { build } from "./support/processors.ts";
import { gauge, harness, MIN, SEC, VirtualClock } from "./support/virtual-clock.ts";

const memoryRule = {
  metric: "system.memory.utilization",
  where: { "system.memory.state": "used" },
  aggregation: "last",
  scale: 100,
  unit: "%",
  op: "above",
  threshold: 85,
  severity: "warning",
  component: "system",
  check_interval: 60,
};

async function setup(config: unknown, id = "threshold/memory_usage") {
  const clock = new VirtualClock();
  const rule = await build<unknown, RuleProcessor>(thresholdFactory as never, id, config, clock);
  const h = harness(clock);
  const sub = h.input.pipe(rule.operator).subscribe(h.collect);
  return { clock, rule, ...h, sub };
}

describe("threshold: gauges with last", () => {
  it("fires in the same virtual instant as the breaching point, once per episode, then resolves once", async () => {
    const t = await setup(memoryRule);
    t.clock.advanceTo(10 * SEC);
    t.input.next(gauge("system.memory.utilization", 0.5, { "system.memory.state": "used" }));
    expect(t.alerts()).toHaveLength(0);
    t.clock.advanceTo(20 * SEC);
    const breaching = gauge("system.memory.utilization", 0.91, { "system.memory.state": "used" });
    t.input.next(breaching);
    // The point passes through, and the alert follows it synchronously at the same instant.
    expect(t.out.at(-2)?.item).toBe(breaching);
    const [alert] = t.alerts();
    expect(alert).toMatchObject({
      rule: "memory_usage",
      fingerprint: "memory_usage",
      status: "firing",
      severity: "warning",
      component: "system",
      threshold: 85,
      unit: "%",
      comparison: "above",
      startsAt: 20 * SEC,
      at: 20 * SEC,
      route: "default",
    });
    expect(alert?.value).toBeCloseTo(91);
    expect(t.out.at(-1)?.at).toBe(20 * SEC);
    // Further breaching points and ticks do not re-fire.
    for (let i = 1; i <= 5; i++) {
      t.clock.advanceTo(20 * SEC + i * 30 * SEC);
      t.input.next(gauge("system.memory.utilization", 0.95, { "system.memory.state": "used" }));
    }
    expect(t.alerts().filter((a) => a.status === "firing")).toHaveLength(1);
    // Back to normal: resolved at the next tick, once.
    t.input.next(gauge("system.memory.utilization", 0.4, { "system.memory.state": "used" }));
    t.clock.advanceTo(10 * MIN);
    const resolved = t.alerts().filter((a) => a.status === "resolved");
    expect(resolved).toHaveLength(1);
    expect(resolved[0]).toMatchObject({ fingerprint: "memory_usage", startsAt: 20 * SEC });
    expect(resolved[0]?.at).toBe(3 * MIN);
  });

  it("ignores other states and metrics, passing everything through", async () => {
    const t = await setup(memoryRule);
    const items = [
      gauge("system.memory.utilization", 0.99, { "system.memory.state": "free" }),
      gauge("system.cpu.utilization", 0.99),
    ];
    for (const i of items) t.input.next(i);
    expect(t.out.map((o) => o.item)).toEqual(items);
  });

  it("`below` fires for system health under 30, per service", async () => {
    const t = await setup(
      {
        metric: "pipeline.health.score",
        op: "below",
        threshold: 30,
        severity: "critical",
        component: "system",
        group_by: ["service.name"],
      },
      "threshold/system_health",
    );
    t.input.next(gauge("pipeline.health.score", 80, {}, { "service.name": "a" }));
    t.input.next(gauge("pipeline.health.score", 12, {}, { "service.name": "b" }));
    expect(t.alerts()).toEqual([
      expect.objectContaining({
        rule: "system_health",
        fingerprint: 'system_health{service.name="b"}',
        labels: { "service.name": "b" },
        value: 12,
        comparison: "below",
        severity: "critical",
      }),
    ]);
    expect(t.rule.breaches().map((b) => b.fingerprint)).toEqual(['system_health{service.name="b"}']);
  });

  it("a stale series resolves at the tick and never fires from old data", async () => {
    const t = await setup({ ...memoryRule, stale_after: 120 });
    t.input.next(gauge("system.memory.utilization", 0.9, { "system.memory.state": "used" }));
    expect(t.alerts().map((a) => a.status)).toEqual(["firing"]);
    t.clock.advanceTo(30 * MIN);
    const statuses = t.alerts().map((a) => a.status);
    expect(statuses).toEqual(["firing", "resolved"]);
    expect(t.alerts()[1]?.details).toEqual({ stale: true });
    expect(t.rule.status()).toMatchObject({ series: 0, firing: 0 });
    expect(t.rule.breaches()).toEqual([]);
  });

  it("`for` keeps a breach pending until it has lasted, then the tick fires it", async () => {
    const t = await setup({ ...memoryRule, for: 120 });
    t.input.next(gauge("system.memory.utilization", 0.9, { "system.memory.state": "used" }));
    expect(t.alerts()).toHaveLength(0);
    expect(t.rule.status()).toMatchObject({ pending: 1 });
    t.clock.advanceTo(60 * SEC);
    t.input.next(gauge("system.memory.utilization", 0.9, { "system.memory.state": "used" }));
    t.clock.advanceTo(2 * MIN);
    expect(t.alerts().map((a) => [a.status, a.at])).toEqual([["firing", 2 * MIN]]);
  });

  it("keep_firing_for holds a firing alert through a short dip", async () => {
    const t = await setup({ ...memoryRule, keep_firing_for: 300 });
    t.input.next(gauge("system.memory.utilization", 0.9, { "system.memory.state": "used" }));
    t.clock.advanceTo(30 * SEC);
    t.input.next(gauge("system.memory.utilization", 0.5, { "system.memory.state": "used" }));
    t.clock.advanceTo(2 * MIN);
    t.input.next(gauge("system.memory.utilization", 0.92, { "system.memory.state": "used" }));
    t.clock.advanceTo(3 * MIN);
    t.input.next(gauge("system.memory.utilization", 0.5, { "system.memory.state": "used" }));
    t.clock.advanceTo(5 * MIN);
    expect(t.alerts().map((a) => a.status)).toEqual(["firing"]);
    for (let m = 5; m <= 9; m++) {
      t.clock.advanceTo(m * MIN + 1);
      t.input.next(gauge("system.memory.utilization", 0.5, { "system.memory.state": "used" }));
    }
    t.clock.advanceTo(10 * MIN);
    expect(t.alerts().map((a) => [a.status, a.at])).toEqual([
      ["firing", 0],
      ["resolved", 8 * MIN],
    ]);
  });
});

describe("threshold: attribute alternatives (a|b)", () => {
  const diskRule = {
    metric: "system.filesystem.utilization",
    where: { "system.filesystem.mode|mode": { not: "ro" } },
    group_by: ["host.name", "system.filesystem.mountpoint|mountpoint"],
    aggregation: "last",
    scale: 100,
    op: "above",
    threshold: 90,
  };
  const host = { "host.name": "h1" };

  it("matches and groups on whichever name a point carries, labelled and fingerprinted by the first", async () => {
    const t = await setup(diskRule, "threshold/disk_usage");
    t.input.next(gauge("system.filesystem.utilization", 0.95, { mountpoint: "/data", mode: "rw" }, host));
    t.input.next(
      gauge("system.filesystem.utilization", 0.97, { "system.filesystem.mountpoint": "/var" }, host),
    );
    t.input.next(gauge("system.filesystem.utilization", 1, { mountpoint: "/snap/x", mode: "ro" }, host));
    expect(t.alerts().map((a) => [a.fingerprint, a.labels])).toEqual([
      [
        'disk_usage{host.name="h1",system.filesystem.mountpoint="/data"}',
        { "host.name": "h1", "system.filesystem.mountpoint": "/data" },
      ],
      [
        'disk_usage{host.name="h1",system.filesystem.mountpoint="/var"}',
        { "host.name": "h1", "system.filesystem.mountpoint": "/var" },
      ],
    ]);
    // The same series under either name is one group: no second alert for /data.
    t.input.next(
      gauge("system.filesystem.utilization", 0.99, { "system.filesystem.mountpoint": "/data" }, host),
    );
    expect(t.alerts()).toHaveLength(2);
  });

  it("the first name wins when a point carries both", async () => {
    const t = await setup({ ...memoryRule, where: { "system.memory.state|state": "used" } });
    t.input.next(gauge("system.memory.utilization", 0.95, { "system.memory.state": "free", state: "used" }));
    expect(t.alerts()).toHaveLength(0);
    t.input.next(gauge("system.memory.utilization", 0.95, { state: "used" }));
    expect(t.alerts()).toHaveLength(1);
  });

  it("an empty alternative is a config error at the key", () => {
    const parsed = thresholdFactory.configSchema.safeParse({ ...diskRule, group_by: ["mountpoint|"] });
    expect(parsed.error?.issues[0]).toMatchObject({
      path: ["group_by", 0],
      message: '"mountpoint|" has an empty attribute name (alternatives are written a|b)',
    });
  });
});

describe("threshold: streaming (marble test)", () => {
  it("emits the alert in the same frame as the breaching point, not at the next tick", () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    const config = thresholdFactory.configSchema.parse(memoryRule);
    const rule = thresholdFactory.create(
      config,
      testContext({ id: "threshold/memory_usage", scheduler }),
    ) as RuleProcessor;
    const ok = gauge("system.memory.utilization", 0.5, { "system.memory.state": "used" });
    const high = gauge("system.memory.utilization", 0.93, { "system.memory.state": "used" });
    scheduler.run(({ hot, expectObservable }) => {
      const source = hot("a 10s b", { a: ok, b: high });
      const fired = expect.objectContaining({ status: "firing", at: 10_001, startsAt: 10_001 });
      expectObservable(source.pipe(rule.operator), "^ 20s !").toBe("a 10s (bf)", {
        a: ok,
        b: high,
        f: fired,
      });
    });
  });
});

describe("threshold: config schema", () => {
  const parse = (raw: unknown) => thresholdFactory.configSchema.safeParse(raw);

  it("fills defaults and rejects unknown keys", () => {
    const ok = parse({ metric: "m", threshold: 1 });
    expect(ok.success && ok.data).toMatchObject({
      window: 300,
      check_interval: 60,
      op: "above",
      resolve: true,
    });
    const bad = parse({ metric: "m", threshold: 1, treshold: 2 });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.code).toBe("unrecognized_keys");
  });

  it('a string where a number belongs fails with "expected a positive number"', () => {
    const bad = parse({ metric: "m", threshold: 1, window: "ten" });
    expect(bad.error?.issues[0]).toMatchObject({
      path: ["window"],
      message: "expected a positive number of seconds or a duration (e.g. 30s, 5m, 1h30m)",
    });
    expect(parse({ metric: "m", threshold: "ten" }).error?.issues[0]?.message).toBe("expected a number");
    expect(parse({ metric: "m", threshold: 1, check_interval: 0.5 }).success).toBe(true);
  });

  it("validate requires exactly one selection and a fitting aggregation", () => {
    const v = (raw: unknown) => thresholdFactory.validate?.(thresholdFactory.configSchema.parse(raw)) ?? [];
    expect(v({ threshold: 1 })).toEqual([expect.objectContaining({ path: ["metric"] })]);
    expect(v({ metric: "m", threshold: 1, aggregation: "ratio" })).toEqual([
      expect.objectContaining({ path: ["aggregation"] }),
    ]);
    expect(v({ metric: "m", threshold: 1 })).toEqual([]);
  });
});

describe("threshold: bounded state", () => {
  it("tracks at most max_series groups; points of further series are counted and logged, not kept", async () => {
    const t = await setup({ ...memoryRule, group_by: ["host.name"], max_series: 3 });
    for (let i = 0; i < 5; i++)
      t.input.next(
        gauge("system.memory.utilization", 0.95, { "system.memory.state": "used" }, { "host.name": `h${i}` }),
      );
    expect(t.alerts().map((a) => a.labels["host.name"])).toEqual(["h0", "h1", "h2"]);
    expect(t.rule.status()).toMatchObject({ series: 3, max_series: 3, series_over_limit: 2 });
    // Known series keep being evaluated.
    t.clock.advanceTo(MIN);
    t.input.next(
      gauge("system.memory.utilization", 0.5, { "system.memory.state": "used" }, { "host.name": "h0" }),
    );
    t.clock.advanceTo(2 * MIN);
    expect(
      t
        .alerts()
        .filter((a) => a.status === "resolved")
        .map((a) => a.labels["host.name"]),
    ).toEqual(["h0"]);
  });

  it("defaults max_series to 20 000", async () => {
    const t = await setup(memoryRule);
    expect(t.rule.status()).toMatchObject({ max_series: 20_000, series_over_limit: 0 });
  });
});
