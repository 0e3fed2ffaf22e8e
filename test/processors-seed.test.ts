// The eight seed alerts end to end through cooldown → escalation → throttle, in virtual time.
import { describe, expect, it } from "vitest";
import type { Item } from "../src/signal.ts";
import { seedChain } from "./support/seed-chain.ts";
import { counter, gauge, histogram, MIN, SEC } from "./support/virtual-clock.ts";

interface Scenario {
  rule: string;
  severity: "warning" | "critical";
  component: string;
  threshold: number;
  env?: Record<string, string>;
  /** Every minute of history and between phases. */
  normal(): Item[];
  breach(): Item[];
  /** Brings the rule back under its threshold at the next tick(s). */
  calm(): Item[];
  expectValue?: number;
  labels?: Record<string, string>;
}

const used = { "system.memory.state": "used" };
const host = { "host.name": "h1" };
const bounds = [0.5, 1, 5, 10, 30];
const fast = (n: number) =>
  histogram("http.client.request.duration", bounds, [n, 0, 0, 0, 0, 0], { sum: n * 0.2, max: 0.4 });
const rpc = (n: number, failed = false) =>
  counter("pipeline.rpc.calls", n, failed ? { "error.type": "timeout" } : {});
const checks = (n: number, outcome: "pass" | "fail") =>
  counter("pipeline.validation.checks", n, { "validation.outcome": outcome });
const reviews = (id: string, processed: number, flagged: number) => [
  counter("pipeline.artifacts.processed", processed, { "roaster.id": id, platform: "shopify" }),
  counter("pipeline.artifacts.review_flagged", flagged, { "roaster.id": id, platform: "shopify" }),
];

const scenarios: Scenario[] = [
  {
    rule: "memory_usage",
    severity: "warning",
    component: "system",
    threshold: 85,
    // utilization is 0–1: 0.9 is 90 % (> 85 %); the free state at 0.99 is not "used"
    normal: () => [
      gauge("system.memory.utilization", 0.5, used, host),
      gauge("system.memory.utilization", 0.99, { "system.memory.state": "free" }, host),
    ],
    breach: () => [gauge("system.memory.utilization", 0.9, used, host)],
    calm: () => [gauge("system.memory.utilization", 0.5, used, host)],
    expectValue: 90,
    labels: { "host.name": "h1" },
  },
  {
    rule: "disk_usage",
    severity: "critical",
    component: "system",
    threshold: 90,
    normal: () => [
      gauge("system.filesystem.utilization", 0.5, { "system.filesystem.mountpoint": "/" }, host),
      gauge("system.filesystem.utilization", 0.6, { "system.filesystem.mountpoint": "/data" }, host),
    ],
    breach: () => [
      gauge("system.filesystem.utilization", 0.95, { "system.filesystem.mountpoint": "/" }, host),
      gauge("system.filesystem.utilization", 0.6, { "system.filesystem.mountpoint": "/data" }, host),
    ],
    calm: () => [gauge("system.filesystem.utilization", 0.5, { "system.filesystem.mountpoint": "/" }, host)],
    expectValue: 95,
    labels: { "host.name": "h1", "system.filesystem.mountpoint": "/" },
  },
  {
    rule: "system_health",
    severity: "critical",
    component: "system",
    threshold: 30,
    normal: () => [gauge("pipeline.health.score", 80)],
    breach: () => [gauge("pipeline.health.score", 12)],
    calm: () => [gauge("pipeline.health.score", 80)],
    expectValue: 12,
  },
  {
    rule: "fetch_latency",
    severity: "warning",
    component: "fetcher",
    threshold: 60,
    normal: () => [fast(100)],
    breach: () => [
      histogram("http.client.request.duration", bounds, [0, 0, 0, 0, 0, 100], { sum: 9000, max: 95 }),
    ],
    calm: () => [fast(5000)],
    expectValue: 95,
  },
  {
    rule: "rpc_error_rate",
    severity: "critical",
    component: "database",
    threshold: 10,
    normal: () => [rpc(100)],
    breach: () => [rpc(100, true), rpc(100)],
    calm: () => [rpc(2000)],
  },
  {
    rule: "validation_error_rate",
    severity: "warning",
    component: "validator",
    threshold: 20,
    normal: () => [checks(100, "pass")],
    breach: () => [checks(400, "fail"), checks(100, "pass")],
    calm: () => [checks(2000, "pass")],
  },
  {
    rule: "database_failures",
    severity: "critical",
    component: "database",
    threshold: 5,
    // failures can only leave the window with time: a longer cooldown lets the flap fall inside it
    env: { ALERT_DATABASE_FAILURE_COOLDOWN: "20" },
    normal: () => [counter("pipeline.db.failures", 0)],
    breach: () => [counter("pipeline.db.failures", 6)],
    calm: () => [counter("pipeline.db.failures", 0)],
    expectValue: 6,
  },
  {
    rule: "review_rate_spike",
    severity: "warning",
    component: "normalizer",
    threshold: 50,
    normal: () => [...reviews("a", 100, 10), ...reviews("b", 100, 10)],
    breach: () => [...reviews("a", 500, 500), ...reviews("b", 100, 10)],
    calm: () => [...reviews("a", 2000, 0), ...reviews("b", 100, 10)],
    labels: { "roaster.id": "a", platform: "shopify" },
  },
];

describe.each(scenarios)("seed rule $rule", (s) => {
  it("fires once at once, stays quiet inside its cooldown, resolves once, escalates only if critical", async () => {
    const t = await seedChain(s.env);
    const rule = t.rules.find((r) => r.spec.rule === s.rule);
    expect(rule).toBeDefined();
    // One export batch; ratio rules judge it once it is in, at the same instant.
    const push = (items: Item[]) => {
      for (const i of items) t.input.next(i);
      t.clock.advanceBy(0);
    };
    const mine = () => t.alerts().filter((a) => a.rule === s.rule);
    const calmUntilResolved = () => {
      for (let i = 0; i < 15 && rule?.status().firing !== 0; i++) {
        t.clock.advanceBy(30 * SEC);
        push(s.calm());
        t.clock.advanceBy(30 * SEC);
      }
      expect(rule?.status().firing).toBe(0);
    };

    // Past window + baseline (65 min): a spike's baseline is covered, on both sides.
    for (let m = 0; m < 66; m++) {
      t.clock.advanceTo(m * MIN);
      push(s.normal());
    }
    expect(t.alerts()).toEqual([]);

    // Phase A: fire in the same instant, resolve, flap inside the cooldown: nothing more is sent.
    const T = 66 * MIN + 30 * SEC;
    t.clock.advanceTo(T);
    push(s.breach());
    expect(mine()).toHaveLength(1);
    const first = mine()[0];
    expect(first).toMatchObject({
      status: "firing",
      severity: s.severity,
      component: s.component,
      threshold: s.threshold,
      seenAt: T,
      route: "default",
    });
    if (s.expectValue !== undefined) expect(first?.value).toBeCloseTo(s.expectValue);
    if (s.labels) expect(first?.labels).toEqual(s.labels);
    expect(t.alerts()).toHaveLength(1); // steady series (other roasters, mountpoints, states) stay quiet
    calmUntilResolved();
    expect(mine().map((a) => a.status)).toEqual(["firing", "resolved"]);
    t.clock.advanceBy(20 * SEC);
    for (let k = 0; k < 5; k++) push(s.breach());
    expect(rule?.status().firing).toBe(1); // the rule re-fired…
    calmUntilResolved();
    t.clock.advanceBy(5 * MIN);
    expect(mine().map((a) => a.status)).toEqual(["firing", "resolved"]); // …but cooldown held it back
    expect(t.cooldown.status()).toMatchObject({ suppressed: 2 }); // the flap's firing and its resolve

    // Phase B: past every cooldown, a long breach: one new notice, escalation at +15 min if critical.
    for (let m = 0; m < 45; m++) {
      t.clock.advanceBy(MIN);
      push(s.normal());
    }
    const T2 = t.clock.now();
    push(s.breach());
    for (let m = 1; m <= 20; m++) {
      t.clock.advanceTo(T2 + m * MIN);
      push(s.breach());
    }
    const phaseB = mine().slice(2);
    if (s.severity === "critical") {
      expect(phaseB.map((a) => [a.status, a.seenAt, a.route])).toEqual([
        ["firing", T2, "default"],
        ["escalated", T2 + 15 * MIN, "default"], // no SLACK_ESCALATION_WEBHOOK_URL: same channel
      ]);
      expect(phaseB[1]?.escalationLevel).toBe(1);
    } else {
      expect(phaseB.map((a) => [a.status, a.seenAt])).toEqual([["firing", T2]]);
    }
    calmUntilResolved();
    expect(mine().filter((a) => a.status === "resolved")).toHaveLength(2);
  });
});

describe("seed rules YAML", () => {
  it("routes escalations apart (their own throttle window) only with SLACK_ESCALATION_WEBHOOK_URL", async () => {
    const t = await seedChain({
      SLACK_ESCALATION_WEBHOOK_URL: "https://hooks.slack.com/services/T/B/escalate",
    });
    for (let m = 0; m <= 15; m++) {
      t.clock.advanceTo(m * MIN);
      t.input.next(
        gauge("system.filesystem.utilization", 0.97, { "system.filesystem.mountpoint": "/" }, host),
      );
    }
    expect(t.alerts().map((a) => [a.status, a.route])).toEqual([
      ["firing", "default"],
      ["escalated", "escalation"],
    ]);
  });

  it("honours ALERT_* overrides (thresholds, cooldown minutes with fractions)", async () => {
    const t = await seedChain({ ALERT_MEMORY_USAGE_THRESHOLD: "95", ALERT_MEMORY_USAGE_COOLDOWN: "0.5" });
    t.input.next(gauge("system.memory.utilization", 0.9, used, host));
    expect(t.alerts()).toEqual([]);
    t.input.next(gauge("system.memory.utilization", 0.96, used, host));
    expect(t.alerts()).toHaveLength(1);
    expect(t.cooldown.status().cooldowns[0]?.until).toBe(new Date(30 * SEC).toISOString());
  });
});
