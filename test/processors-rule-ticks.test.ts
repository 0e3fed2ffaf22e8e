// A rule's check_interval tick over weeks of virtual time (a replay of a fortnight): each tick is a
// fresh scheduler action, so closing the stream after 20 000 ticks neither overflows the stack nor
// leaves ticks behind.
import { describe, expect, it } from "vitest";
import type { RuleProcessor } from "../processors/rules/rule-engine.ts";
import { thresholdFactory } from "../processors/threshold.ts";
import { build } from "./support/processors.ts";
import { gauge, harness, MIN, VirtualClock } from "./support/virtual-clock.ts";

const DAY = 24 * 60 * MIN;

describe("rule ticks over weeks of virtual time", () => {
  it("tick every minute for 15 days, then close cleanly", async () => {
    const clock = new VirtualClock();
    const rule = await build<unknown, RuleProcessor>(
      thresholdFactory as never,
      "threshold/health",
      {
        metric: "pipeline.health.score",
        op: "below",
        threshold: 30,
        check_interval: 60,
        stale_after: 3 * DAY,
      },
      clock,
    );
    const h = harness(clock);
    const sub = h.input.pipe(rule.operator).subscribe(h.collect);
    h.input.next(gauge("pipeline.health.score", 20));
    clock.advanceTo(DAY);
    h.input.next(gauge("pipeline.health.score", 90)); // resolved on the next tick: ticks still run
    clock.advanceTo(15 * DAY);
    expect(h.alerts().map((a) => [a.status, a.at])).toEqual([
      ["firing", 0],
      ["resolved", DAY + MIN],
    ]);
    expect(() => sub.unsubscribe()).not.toThrow();
    const pending = clock.scheduler.actions.length;
    clock.advanceTo(16 * DAY);
    expect(clock.scheduler.actions.length).toBeLessThanOrEqual(pending);
    expect(h.alerts()).toHaveLength(2);
  });
});
