// Issue 9.2 in virtual time: the shipped pipeline's rules, cooldown, escalation and throttle on one
// SQLite file, as two processes. system_health (critical) fires, the first process dies, the
// second starts past the escalation delay. An alert is only as live as its data: with none it
// resolves once after the rule's stale time ("no data since restart") and never escalates; fresh
// data confirming the breach resume it (the overdue escalation goes at once); fresh data below the
// threshold resolve it. /status's firing count and the throttle's active alerts agree throughout.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Alert } from "../src/signal.ts";
import { SqliteStateStore } from "../src/state/sqlite-store.ts";
import { seedChain } from "./support/seed-chain.ts";
import { gauge, MIN, VirtualClock } from "./support/virtual-clock.ts";

let dir: string;
let path: string;
const stores: SqliteStateStore[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "alertpipe-liveness-"));
  path = join(dir, "state.db");
});
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A collector process starting at `at` on the shared SQLite file. */
async function boot(at: number) {
  const clock = new VirtualClock();
  clock.advanceTo(at);
  const state = new SqliteStateStore({ path });
  stores.push(state);
  const chain = await seedChain({}, { clock, state });
  const health = (value: number) => chain.input.next(gauge("pipeline.health.score", value, {}, scraper));
  const rule = () => chain.rules.find((r) => r.spec.rule === "system_health");
  /** What /status reports: the rules' firing count and the throttle's active alerts. */
  const counts = () => ({
    firing: chain.rules.reduce((n, r) => n + Number(r.status().firing), 0),
    active_alerts: chain.throttle.status().active_alerts,
  });
  const notices = () => chain.alerts().map((a) => [a.seenAt, a.status, a.summary]);
  return { ...chain, health, rule, counts, notices };
}

const scraper = { "service.name": "scraper" };
/** The first process: health 12 at 0 (critical, fires at once), killed at 5 min. */
async function firstProcess() {
  const a = await boot(0);
  a.health(12);
  a.clock.advanceTo(5 * MIN);
  expect(a.notices()).toEqual([[0, "firing", expect.stringContaining("system_health is 12")]]);
  expect(a.counts()).toEqual({ firing: 1, active_alerts: 1 });
  a.subscription.unsubscribe(); // killed: no shutdown
}

describe("a restart with SQLite state (system_health, escalation after 15 min)", () => {
  it("with no data since the restart: no escalation, one resolve after the stale time, counts agree", async () => {
    await firstProcess();
    const b = await boot(30 * MIN); // past the 15 min escalation delay
    b.clock.advanceTo(34 * MIN);
    expect(b.notices()).toEqual([]); // no [ESCALATED] for an alert nobody has data for
    expect(b.counts()).toEqual({ firing: 1, active_alerts: 1 });
    expect(b.rule()?.status()).toMatchObject({ firing_awaiting_data: 1, alerts_restored: 1 });
    expect(b.escalation.status()).toMatchObject({ awaiting_data: 1, pending_escalations: 0 });
    b.clock.advanceTo(37 * MIN); // the first check past the rule's stale time (300 s) after the restart
    expect(b.notices()).toEqual([
      [
        36 * MIN,
        "resolved",
        "system_health resolved: no data since restart (last data 1970-01-01T00:00:00.000Z) for service.name=scraper",
      ],
    ]);
    expect(b.alerts()[0]?.details).toMatchObject({ stale: true, no_data_since_restart: true });
    expect(b.counts()).toEqual({ firing: 0, active_alerts: 0 });
    expect(b.escalation.status()).toMatchObject({ tracked: 0, awaiting_data: 0 });
    b.clock.advanceTo(120 * MIN);
    expect(b.notices()).toHaveLength(1);
    b.subscription.unsubscribe();

    // Nothing is left for a third process to resurrect.
    const c = await boot(130 * MIN);
    c.clock.advanceTo(200 * MIN);
    expect(c.out).toEqual([]);
    expect(c.counts()).toEqual({ firing: 0, active_alerts: 0 });
  });

  it("fresh data confirming the breach resume it: the overdue escalation goes, no new firing notice", async () => {
    await firstProcess();
    const b = await boot(30 * MIN);
    b.clock.advanceTo(31 * MIN);
    b.health(10);
    b.clock.advanceBy(0);
    const escalated = b.alerts().find((a) => a.status === "escalated");
    expect(b.notices()).toEqual([[31 * MIN, "escalated", expect.stringContaining("system_health is 10")]]);
    expect(escalated).toMatchObject({ escalationLevel: 1, startsAt: 0, value: 10 });
    expect(b.counts()).toEqual({ firing: 1, active_alerts: 1 });
    expect(b.rule()?.status()).toMatchObject({ firing_awaiting_data: 0, alerts_confirmed: 1 });
    // It stays live on fresh data (no stale resolve), and resolves when the data say so.
    for (let m = 32; m <= 50; m++) {
      b.clock.advanceTo(m * MIN);
      b.health(m < 45 ? 10 : 80);
    }
    b.clock.advanceTo(52 * MIN);
    expect(b.notices().map(([, status]) => status)).toEqual(["escalated", "resolved"]);
    expect((b.alerts()[1] as Alert).summary).toContain("resolved (now 80)");
    expect(b.counts()).toEqual({ firing: 0, active_alerts: 0 });
  });

  it("fresh data below the threshold resolve it at the next check, without escalating", async () => {
    await firstProcess();
    const b = await boot(30 * MIN);
    b.clock.advanceTo(30 * MIN + 10_000);
    b.health(80);
    b.clock.advanceTo(40 * MIN);
    expect(b.notices()).toEqual([[31 * MIN, "resolved", expect.stringContaining("resolved (now 80)")]]);
    expect(b.counts()).toEqual({ firing: 0, active_alerts: 0 });
  });
});
