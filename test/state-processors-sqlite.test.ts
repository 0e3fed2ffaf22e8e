// Store-backed notice processors on SQLite, in virtual time: a restart (new processor instance and
// new store connection on the same file) keeps cooldowns, the throttle window, held alerts and
// escalation timers.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type CooldownProcessor, cooldownFactory } from "../processors/cooldown.ts";
import { type EscalationProcessor, escalationFactory } from "../processors/escalation.ts";
import { type ThrottleProcessor, throttleFactory } from "../processors/throttle.ts";
import type { Alert } from "../src/signal.ts";
import { SqliteStateStore } from "../src/state/sqlite-store.ts";
import { type Wired, wire } from "./state-processors-support.ts";
import { alert, liveness } from "./support/alerts.ts";
import { MIN, SEC, VirtualClock } from "./support/virtual-clock.ts";

let dir: string;
let path: string;
const open: SqliteStateStore[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "alertpipe-procstate-"));
  path = join(dir, "state.db");
});
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A process: its own clock (starting where the previous one stopped) and store connection. */
function boot(at: number) {
  const clock = new VirtualClock();
  clock.advanceTo(at);
  const state = new SqliteStateStore({ path });
  open.push(state);
  return { clock, state, scheduler: clock.scheduler };
}

/** Simulated crash: the stream is dropped without completing (no shutdown flush). */
function crash(w: Wired<unknown>) {
  w.subscription.unsubscribe();
}

const statuses = (w: Wired<unknown>) => w.out.map((o) => [o.at, (o.item as Alert).status]);

describe("cooldown on SQLite across a restart", () => {
  it("a firing announced before the restart still gets its resolve after it", async () => {
    const first = boot(0);
    const a = await wire<unknown, CooldownProcessor>(cooldownFactory, { default: 10 }, first);
    a.input.next(alert("system_health"));
    crash(a);

    const second = boot(2 * MIN);
    const b = await wire<unknown, CooldownProcessor>(cooldownFactory, { default: 10 }, second);
    b.input.next(alert("system_health")); // the restarted rule fires again: held by the stored cooldown
    second.clock.advanceTo(3 * MIN);
    b.input.next(alert("system_health", "resolved"));
    expect(statuses(b)).toEqual([[3 * MIN, "resolved"]]); // the reader saw it fire: the resolve is owed
  });

  it("a notice before the restart is not repeated inside its cooldown after it, and is released at its end", async () => {
    const first = boot(0);
    const a = await wire<unknown, CooldownProcessor>(cooldownFactory, { default: 10 }, first);
    a.input.next(alert("system_health"));
    expect(statuses(a)).toEqual([[0, "firing"]]);
    crash(a);

    const second = boot(2 * MIN);
    const b = await wire<unknown, CooldownProcessor>(cooldownFactory, { default: 10 }, second);
    b.input.next(alert("system_health")); // the restarted rule fires again at once
    second.clock.advanceTo(9 * MIN);
    expect(b.out).toEqual([]);
    expect(b.processor.status().suppressed).toBe(1);
    second.clock.advanceTo(10 * MIN); // cooldown over, still firing: released once
    expect(statuses(b)).toEqual([[10 * MIN, "firing"]]);
    second.clock.advanceTo(30 * MIN);
    expect(b.out).toHaveLength(1);
  });

  it("a held re-fire survives the restart, released once fresh data confirm it; a resolve drops it", async () => {
    const first = boot(0);
    const a = await wire<unknown, CooldownProcessor>(cooldownFactory, { default: 10 }, first);
    a.input.next(alert("disk_usage"));
    first.clock.advanceTo(MIN);
    a.input.next(alert("disk_usage", "resolved"));
    first.clock.advanceTo(2 * MIN);
    a.input.next(alert("disk_usage")); // flaps back: held until 10 min
    a.input.next(alert("rpc_error_rate"));
    first.clock.advanceTo(3 * MIN);
    a.input.next(alert("rpc_error_rate", "resolved"));
    first.clock.advanceTo(4 * MIN);
    a.input.next(alert("rpc_error_rate")); // held until 12 min
    expect(a.out).toHaveLength(4);
    crash(a);

    const second = boot(5 * MIN);
    const b = await wire<unknown, CooldownProcessor>(cooldownFactory, { default: 10 }, second);
    second.clock.advanceTo(6 * MIN);
    b.input.next(alert("rpc_error_rate", "resolved")); // resolved while held: both go
    second.clock.advanceTo(12 * MIN);
    expect(b.out).toEqual([]); // disk_usage's deadline passed, but nothing confirmed it since the restart
    b.input.next(liveness("confirmed", alert("disk_usage")));
    second.clock.advanceTo(20 * MIN);
    const notices = b.out.filter((o) => o.item.kind === "alert");
    expect(notices.map((o) => [o.at, (o.item as Alert).fingerprint, (o.item as Alert).status])).toEqual([
      [12 * MIN, "disk_usage", "firing"],
    ]);
    // Nothing left held in the store for a third process.
    const third = boot(21 * MIN);
    const c = await wire<unknown, CooldownProcessor>(cooldownFactory, { default: 10 }, third);
    third.clock.advanceTo(60 * MIN);
    expect(c.out).toEqual([]);
  });
});

describe("throttle on SQLite across a restart", () => {
  const config = { window: 60, max_per_window: 2 };

  it("the window outlives the restart and held alerts go out as one digest when it allows", async () => {
    const first = boot(0);
    const a = await wire<unknown, ThrottleProcessor>(throttleFactory, config, first);
    for (const fp of ["a", "b", "c", "d", "e"]) a.input.next(alert(fp));
    expect(a.out.map((o) => (o.item as Alert).fingerprint)).toEqual(["a", "b"]);
    expect(a.processor.status().held).toBe(3);
    first.clock.advanceTo(10 * SEC);
    crash(a);

    const second = boot(20 * SEC);
    const b = await wire<unknown, ThrottleProcessor>(throttleFactory, config, second);
    expect(b.processor.status().held).toBe(3); // restored
    second.clock.advanceTo(30 * SEC);
    b.input.next(alert("f")); // the window is still full: held with the others
    second.clock.advanceTo(59 * SEC);
    expect(b.out).toEqual([]);
    second.clock.advanceTo(60 * SEC);
    expect(b.digests()).toHaveLength(1);
    expect(b.digests()[0]?.alerts.map((x) => x.fingerprint)).toEqual(["c", "d", "e", "f"]);
    expect(b.digests()[0]?.windowStart).toBe(0);
    expect(b.processor.status()).toMatchObject({ held: 0, digests_sent: 1, digested: 4 });
    // Within one rolling window, never more than two messages across both processes.
    second.clock.advanceTo(61 * SEC);
    b.input.next(alert("g"));
    second.clock.advanceTo(62 * SEC);
    b.input.next(alert("h"));
    expect(b.out.map((o) => o.at)).toEqual([60 * SEC, 61 * SEC]);
    second.clock.advanceTo(121 * SEC);
    expect(b.notices().map((x) => x.fingerprint)).toEqual(["c", "d", "e", "f", "g", "h"]);
  });

  it("shutdown flushes held alerts and clears them from the store", async () => {
    const first = boot(0);
    const a = await wire<unknown, ThrottleProcessor>(throttleFactory, config, first);
    for (const fp of ["a", "b", "c", "d"]) a.input.next(alert(fp));
    a.input.complete();
    expect(a.notices().map((x) => x.fingerprint)).toEqual(["a", "b", "c", "d"]);
    const second = boot(10 * SEC);
    const b = await wire<unknown, ThrottleProcessor>(throttleFactory, config, second);
    second.clock.advanceTo(10 * MIN);
    expect(b.processor.status().held).toBe(0);
    expect(b.out).toEqual([]);
  });
});

describe("escalation on SQLite across a restart", () => {
  const config = { levels: [15, 30] };
  const critical = (status: Alert["status"] = "firing") =>
    alert("system_health", status, { severity: "critical" });
  const escalations = (w: Wired<unknown>) =>
    w.out.flatMap(({ at, item }) =>
      item.kind === "alert" && item.status === "escalated" ? [[at, item.escalationLevel]] : [],
    );

  it("an escalation due while the process was down waits for fresh data, then fires; later levels keep the first notice's clock", async () => {
    const first = boot(0);
    const a = await wire<unknown, EscalationProcessor>(escalationFactory, config, first);
    a.input.next(critical());
    first.clock.advanceTo(5 * MIN);
    crash(a);

    const second = boot(20 * MIN); // level 1 fell due at 15 min, while nothing ran
    const b = await wire<unknown, EscalationProcessor>(escalationFactory, config, second);
    expect(b.processor.status()).toMatchObject({ tracked: 1, pending_escalations: 0, awaiting_data: 1 });
    second.clock.advanceTo(22 * MIN);
    expect(escalations(b)).toEqual([]); // nobody has seen data for it since the restart
    b.input.next(liveness("confirmed", critical())); // the rule's fresh data breach again
    second.clock.advanceBy(0);
    expect(escalations(b)).toEqual([[22 * MIN, 1]]);
    expect(b.processor.status()).toMatchObject({ pending_escalations: 1, awaiting_data: 0 });
    second.clock.advanceTo(30 * MIN);
    expect(escalations(b)).toEqual([
      [22 * MIN, 1],
      [30 * MIN, 2],
    ]);
    second.clock.advanceTo(90 * MIN);
    expect(escalations(b)).toHaveLength(2);
  });

  it("a level sent before the restart is not sent again, and a resolve after the restart cancels the rest", async () => {
    const first = boot(0);
    const a = await wire<unknown, EscalationProcessor>(escalationFactory, config, first);
    a.input.next(critical());
    first.clock.advanceTo(16 * MIN);
    expect(escalations(a)).toEqual([[15 * MIN, 1]]);
    crash(a);

    const second = boot(17 * MIN);
    const b = await wire<unknown, EscalationProcessor>(escalationFactory, config, second);
    second.clock.advanceTo(20 * MIN);
    b.input.next(critical("resolved"));
    second.clock.advanceTo(60 * MIN);
    expect(escalations(b)).toEqual([]);
    expect(b.processor.status()).toMatchObject({ tracked: 0, cancelled: 1 });
  });

  it("an escalation whose alert was resolved before the restart is dropped", async () => {
    const first = boot(0);
    const a = await wire<unknown, EscalationProcessor>(escalationFactory, config, first);
    a.input.next(critical());
    first.clock.advanceTo(5 * MIN);
    a.input.next(critical("resolved"));
    crash(a);

    const second = boot(20 * MIN);
    const b = await wire<unknown, EscalationProcessor>(escalationFactory, config, second);
    second.clock.advanceTo(60 * MIN);
    expect(b.processor.status().tracked).toBe(0);
    expect(escalations(b)).toEqual([]);
  });
});
