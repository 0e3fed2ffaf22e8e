import { describe, expect, it } from "vitest";
import { createStandaloneMonitoring } from "../src/monitoring-service.ts";
import type { Alert, Item } from "../src/signal.ts";
import { buildSeedProcessors } from "./support/seed-chain.ts";
import { gauge, MIN, VirtualClock } from "./support/virtual-clock.ts";

async function setup() {
  const clock = new VirtualClock();
  const p = await buildSeedProcessors(clock);
  const delivered: { at: number; item: Item }[] = [];
  const m = createStandaloneMonitoring({
    rules: p.rules,
    downstream: [p.cooldown, p.escalation, p.throttle],
    scheduler: clock.scheduler,
    deliver: (item) => delivered.push({ at: clock.now(), item }),
    cooldown: p.cooldown,
    throttle: p.throttle,
    escalation: p.escalation,
  });
  const alerts = () => delivered.map((d) => d.item).filter((i): i is Alert => i.kind === "alert");
  return { clock, ...p, ...m, delivered, alerts };
}

const memory = (v: number) =>
  gauge("system.memory.utilization", v, { "system.memory.state": "used" }, { "host.name": "h1" });
const disk = (v: number) =>
  gauge("system.filesystem.utilization", v, { "system.filesystem.mountpoint": "/" }, { "host.name": "h1" });

describe("ThresholdMonitoringService", () => {
  it("checkAllThresholds lists the rules' current breaches with their values", async () => {
    const t = await setup();
    t.ingest(memory(0.9));
    t.ingest(disk(0.5));
    const breaches = await t.service.checkAllThresholds();
    expect(breaches).toHaveLength(1);
    expect(breaches[0]).toMatchObject({
      rule: "memory_usage",
      fingerprint: 'memory_usage{host.name="h1"}',
      status: "firing",
      threshold: 85,
      severity: "warning",
      component: "system",
      labels: { "host.name": "h1" },
    });
    expect(breaches[0]?.value).toBeCloseTo(90);
  });

  it("processThresholdBreaches goes through the same cooldown, and notifies again after it", async () => {
    const t = await setup();
    t.ingest(memory(0.9));
    expect(t.alerts()).toHaveLength(1); // the rule's own streaming notice
    const breaches = await t.service.checkAllThresholds();
    expect(await t.service.processThresholdBreaches(breaches)).toBe(1);
    expect(t.alerts()).toHaveLength(1); // inside memory_usage's 30-minute cooldown
    expect(t.cooldown.status().suppressed).toBe(1);
    for (let m = 1; m <= 31; m++) {
      t.clock.advanceTo(m * MIN);
      t.ingest(memory(0.9));
    }
    // The suppressed copy was released at the end of the cooldown (still firing): nothing is lost.
    expect(t.alerts().map((a) => [a.status, t.delivered.find((d) => d.item === a)?.at])).toEqual([
      ["firing", 0],
      ["firing", 30 * MIN],
    ]);
    await t.service.processThresholdBreaches(await t.service.checkAllThresholds());
    expect(t.alerts()).toHaveLength(2); // a new cooldown started at 30 min
  });

  it("getMonitoringStatus reports the seed fields from the live processors", async () => {
    const t = await setup();
    t.ingest(memory(0.9));
    t.ingest(disk(0.95));
    await t.service.checkAllThresholds();
    const status = t.service.getMonitoringStatus();
    expect(status).toMatchObject({
      monitoring_active: true,
      thresholds_configured: 8,
      active_cooldowns: 2,
      firing: 2,
      pending: 0,
      last_check: new Date(0).toISOString(),
      last_check_breaches: 2,
      breaches_processed: 0,
    });
    expect(status.rules.map((r) => r.rule)).toEqual(
      expect.arrayContaining(["review_rate_spike", "memory_usage", "disk_usage", "database_failures"]),
    );
    expect(status.alert_throttle).toMatchObject({
      active_alerts: 2,
      max_per_window: 10,
      window_seconds: 300,
    });
    // disk is critical: the escalation chain behind the façade escalates it after 15 minutes.
    for (let m = 1; m <= 16; m++) {
      t.clock.advanceTo(m * MIN);
      t.ingest(disk(0.95));
      t.ingest(memory(0.9));
    }
    expect(
      t
        .alerts()
        .filter((a) => a.status === "escalated")
        .map((a) => a.rule),
    ).toEqual(["disk_usage"]);
    t.stop();
    expect(t.service.getMonitoringStatus().monitoring_active).toBe(false);
  });
});
