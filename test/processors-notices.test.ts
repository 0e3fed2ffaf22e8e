import { describe, expect, it } from "vitest";
import { type CooldownProcessor, cooldownFactory } from "../processors/cooldown.ts";
import { type EscalationProcessor, escalationFactory } from "../processors/escalation.ts";
import { type ThrottleProcessor, throttleFactory } from "../processors/throttle.ts";
import { type Alert, type Digest, fingerprintHash, type Item } from "../src/signal.ts";
import { alert } from "./support/alerts.ts";
import { build } from "./support/processors.ts";
import { gauge, harness, MIN, SEC, VirtualClock } from "./support/virtual-clock.ts";

async function chain<P extends { operator: (s: never) => unknown }>(factory: unknown, config: unknown) {
  const clock = new VirtualClock();
  const p = await build<unknown, P>(factory as never, "x", config, clock);
  const h = harness(clock);
  const sub = (h.input.pipe(p.operator as never) as import("rxjs").Observable<Item>).subscribe(h.collect);
  return { clock, p, ...h, sub };
}

describe("cooldown", () => {
  it("suppresses a re-fire of the same fingerprint inside its rule's cooldown; resolves and other items pass", async () => {
    const t = await chain<CooldownProcessor>(cooldownFactory, { default: 5, rules: { memory_usage: 30 } });
    const point = gauge("x", 1);
    t.input.next(point);
    t.input.next(alert("memory_usage"));
    t.clock.advanceTo(MIN);
    t.input.next(alert("memory_usage", "resolved"));
    t.clock.advanceTo(2 * MIN);
    t.input.next(alert("memory_usage")); // flaps back within 30 minutes: held
    t.clock.advanceTo(3 * MIN);
    t.input.next(alert("memory_usage", "resolved")); // its resolve goes with it
    expect(t.out.map((o) => o.item)).toEqual([
      point,
      alert("memory_usage"),
      alert("memory_usage", "resolved"),
    ]);
    expect(t.p.status()).toMatchObject({ active_cooldowns: 1, suppressed: 2 });
    expect(t.p.status().cooldowns).toEqual([
      // Shown hashed: /status is unauthenticated and fingerprints carry label values.
      {
        fingerprint: fingerprintHash("memory_usage"),
        rule: "memory_usage",
        until: new Date(30 * MIN).toISOString(),
      },
    ]);
    // After 30 minutes the cooldown is over: a new firing passes.
    t.clock.advanceTo(31 * MIN);
    t.input.next(alert("memory_usage"));
    expect(t.alerts().filter((a) => a.status === "firing")).toHaveLength(2);
    // Other fingerprints have their own cooldowns (default 5 minutes).
    t.input.next(alert("disk_usage"));
    expect(t.alerts().at(-1)?.fingerprint).toBe("disk_usage");
  });

  it("a repeated firing of a notified alert does not swallow its resolve", async () => {
    const t = await chain<CooldownProcessor>(cooldownFactory, { default: 5 });
    t.input.next(alert("system_failure"));
    t.clock.advanceTo(MIN);
    t.input.next(alert("system_failure")); // the same firing again (an API re-send): held, not sent
    t.clock.advanceTo(2 * MIN);
    t.input.next(alert("system_failure", "resolved"));
    t.clock.advanceTo(10 * MIN);
    expect(t.out.map((o) => [o.at, (o.item as Alert).status])).toEqual([
      [0, "firing"],
      [2 * MIN, "resolved"],
    ]);
  });

  it("a firing released at the cooldown's end, then repeated, still gets its resolve", async () => {
    const t = await chain<CooldownProcessor>(cooldownFactory, { default: 1 });
    t.input.next(alert("rpc_error_rate"));
    t.input.next(alert("rpc_error_rate", "resolved"));
    t.clock.advanceTo(10 * SEC);
    t.input.next(alert("rpc_error_rate")); // re-fire inside the cooldown: held, released at 60 s
    t.clock.advanceTo(70 * SEC);
    t.input.next(alert("rpc_error_rate")); // the same firing repeated inside the new cooldown: held
    t.clock.advanceTo(80 * SEC);
    t.input.next(alert("rpc_error_rate", "resolved"));
    expect(t.out.map((o) => [o.at, (o.item as Alert).status])).toEqual([
      [0, "firing"],
      [0, "resolved"],
      [60 * SEC, "firing"],
      [80 * SEC, "resolved"],
    ]);
  });

  it("releases a suppressed firing that is still firing when the cooldown ends", async () => {
    const t = await chain<CooldownProcessor>(cooldownFactory, { default: 0.5 }); // 30 s
    t.input.next(alert("rpc_error_rate"));
    t.input.next(alert("rpc_error_rate", "resolved"));
    t.clock.advanceTo(10 * SEC);
    t.input.next(alert("rpc_error_rate", "firing", { startsAt: 10 * SEC }));
    t.clock.advanceTo(5 * MIN);
    expect(t.out.map((o) => [o.at, (o.item as Alert).status])).toEqual([
      [0, "firing"],
      [0, "resolved"],
      [30 * SEC, "firing"],
    ]);
  });

  it("passes escalations inside the cooldown", async () => {
    const t = await chain<CooldownProcessor>(cooldownFactory, {});
    t.input.next(alert("disk_usage"));
    t.input.next(alert("disk_usage", "escalated", { route: "escalation" }));
    expect(t.alerts().map((a) => a.status)).toEqual(["firing", "escalated"]);
  });

  it("rejects a non-numeric cooldown", () => {
    const r = cooldownFactory.configSchema.safeParse({ rules: { memory_usage: "ten" } });
    expect(r.error?.issues[0]).toMatchObject({
      path: ["rules", "memory_usage"],
      message: "expected a non-negative number of minutes or a duration (e.g. 30s, 5m, 1h30m)",
    });
  });
});

describe("escalation", () => {
  it("re-sends a critical alert still firing after the delay as escalated on the escalation route", async () => {
    const t = await chain<EscalationProcessor>(escalationFactory, { delay: 15, levels: [15, 60] });
    t.input.next(alert("disk_usage", "firing", { severity: "critical" }));
    t.clock.advanceTo(14 * MIN);
    expect(t.alerts()).toHaveLength(1);
    t.clock.advanceTo(15 * MIN);
    const escalated = t.alerts()[1];
    expect(escalated).toMatchObject({
      status: "escalated",
      escalationLevel: 1,
      route: "escalation",
      at: 15 * MIN,
      severity: "critical",
    });
    t.clock.advanceTo(2 * 60 * MIN);
    expect(t.alerts().map((a) => [a.status, a.escalationLevel, a.at])).toEqual([
      ["firing", undefined, 0],
      ["escalated", 1, 15 * MIN],
      ["escalated", 2, 60 * MIN],
    ]);
  });

  it("a one-shot notice (sent through the API, no resolve will follow) never escalates", async () => {
    const t = await chain<EscalationProcessor>(escalationFactory, {});
    t.input.next(alert("system_failure", "firing", { severity: "critical", oneShot: true }));
    t.clock.advanceTo(60 * MIN);
    expect(t.alerts().map((a) => a.status)).toEqual(["firing"]);
    expect(t.p.status()).toMatchObject({ tracked: 0 });
  });

  it("a resolve cancels the pending escalation; warnings never escalate", async () => {
    const t = await chain<EscalationProcessor>(escalationFactory, {});
    t.input.next(alert("rpc_error_rate", "firing", { severity: "critical" }));
    t.input.next(alert("memory_usage", "firing", { severity: "warning" }));
    t.clock.advanceTo(10 * MIN);
    t.input.next(alert("rpc_error_rate", "resolved", { severity: "critical" }));
    t.clock.advanceTo(60 * MIN);
    expect(t.alerts().map((a) => a.status)).toEqual(["firing", "firing", "resolved"]);
    expect(t.p.status()).toMatchObject({ tracked: 0, cancelled: 1, escalated: 0 });
  });
});

describe("throttle", () => {
  it("holds alerts over the limit and releases them as one digest when the rolling window allows", async () => {
    const t = await chain<ThrottleProcessor>(throttleFactory, { window: 300, max_per_window: 3 });
    for (let i = 0; i < 8; i++) {
      t.clock.advanceTo(i * SEC);
      t.input.next(alert(`r${i}`));
    }
    expect(t.out).toHaveLength(3);
    expect(t.p.status()).toMatchObject({ held: 5, sent_in_window: { default: 3 }, max_per_window: 3 });
    t.clock.advanceTo(300 * SEC);
    expect(t.out).toHaveLength(4);
    const released = t.out[3] as { at: number; item: Digest };
    expect(released.at).toBe(300 * SEC);
    expect(released.item.kind).toBe("digest");
    expect(released.item.alerts.map((a) => a.fingerprint)).toEqual(["r3", "r4", "r5", "r6", "r7"]);
    expect(t.p.status()).toMatchObject({ held: 0, digested: 5, active_alerts: 8 });
  });

  it("keeps routes apart and passes non-alert items", async () => {
    const t = await chain<ThrottleProcessor>(throttleFactory, { max_per_window: 1 });
    t.input.next(alert("a"));
    t.input.next(alert("a", "escalated", { route: "escalation" }));
    t.input.next(gauge("g", 1));
    expect(t.out.map((o) => o.item.kind)).toEqual(["alert", "alert", "metric"]);
  });

  it("splits big digests at max_digest_alerts and flushes what is held on shutdown", async () => {
    const t = await chain<ThrottleProcessor>(throttleFactory, {
      max_per_window: 1,
      max_digest_alerts: 2,
      max_held_alerts: 10,
    });
    for (let i = 0; i < 6; i++) t.input.next(alert(`r${i}`));
    await t.p.shutdown();
    const kinds = t.out.map((o) => (o.item.kind === "digest" ? o.item.alerts.length : 1));
    expect(kinds).toEqual([1, 2, 2, 1]);
    expect(t.p.status().held).toBe(0);
  });

  it("flushes held alerts as digests when the stream completes", async () => {
    const t = await chain<ThrottleProcessor>(throttleFactory, { max_per_window: 1 });
    for (let i = 0; i < 3; i++) t.input.next(alert(`r${i}`));
    t.input.complete();
    expect(t.out.map((o) => o.item.kind)).toEqual(["alert", "digest"]);
  });

  it('rejects max_per_window: "ten" with a readable message', () => {
    const r = throttleFactory.configSchema.safeParse({ max_per_window: "ten" });
    expect(r.error?.issues[0]?.message).toBe("expected a positive integer");
    expect(throttleFactory.configSchema.safeParse({ max_per_window: 2.5 }).success).toBe(false);
  });
});
