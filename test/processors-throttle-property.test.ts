// Property tests: for any arrival pattern, the throttle never sends more than max_per_window
// messages per rolling window per route, and every alert that enters it leaves it.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createThrottle } from "../processors/throttle.ts";
import type { Alert, Item } from "../src/signal.ts";
import { alert } from "./support/alerts.ts";
import { testContext } from "./support/context.ts";
import { harness, SEC, VirtualClock } from "./support/virtual-clock.ts";

const arrival = fc.record({
  gapMs: fc.integer({ min: 0, max: 120_000 }),
  route: fc.constantFrom("default", "escalation", "ops"),
  fingerprint: fc.integer({ min: 0, max: 6 }),
  status: fc.constantFrom<Alert["status"]>("firing", "resolved", "escalated"),
});
type Arrival = typeof arrival extends fc.Arbitrary<infer T> ? T : never;
const settings = fc.record({
  windowSeconds: fc.integer({ min: 1, max: 600 }),
  max: fc.integer({ min: 1, max: 5 }),
  maxDigest: fc.integer({ min: 1, max: 6 }),
});

function run(
  s: { windowSeconds: number; max: number; maxDigest: number; maxHeld?: number },
  arrivals: Arrival[],
) {
  const clock = new VirtualClock();
  const { logger } = testContext();
  const throttle = createThrottle(
    {
      window: s.windowSeconds,
      max_per_window: s.max,
      max_digest_alerts: s.maxDigest,
      // Every held alert listed, unless the property is about the bound.
      max_held_alerts: s.maxHeld ?? 1000,
    },
    clock.scheduler,
    logger,
  );
  const h = harness(clock);
  h.input.pipe(throttle.operator).subscribe(h.collect);
  const sent: Alert[] = [];
  let now = 0;
  arrivals.forEach((a, i) => {
    now += a.gapMs;
    clock.advanceTo(now);
    const item = alert(`rule${a.fingerprint}`, a.status, { route: a.route, summary: `#${i}` });
    sent.push(item);
    h.input.next(item);
  });
  return { clock, throttle, h, sent };
}

function messagesByRoute(out: { at: number; item: Item }[]): Map<string, number[]> {
  const byRoute = new Map<string, number[]>();
  for (const o of out) {
    const route =
      o.item.kind === "digest" ? o.item.route : o.item.kind === "alert" ? (o.item.route ?? "default") : "";
    byRoute.set(route, [...(byRoute.get(route) ?? []), o.at]);
  }
  return byRoute;
}

const delivered = (out: { item: Item }[]) =>
  out.flatMap((o) => (o.item.kind === "digest" ? o.item.alerts : o.item.kind === "alert" ? [o.item] : []));

/** Alerts accounted for per rule and status: listed, or counted in a digest's summary. */
function accounted(out: { item: Item }[]): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (key: string, n: number) => counts.set(key, (counts.get(key) ?? 0) + n);
  for (const a of delivered(out)) add(`${a.rule}/${a.status}`, 1);
  for (const o of out) {
    if (o.item.kind !== "digest") continue;
    for (const s of o.item.summarised ?? []) add(`${s.rule}/${s.status}`, s.count);
  }
  return counts;
}

function arrivedCounts(sent: Alert[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const a of sent) counts.set(`${a.rule}/${a.status}`, (counts.get(`${a.rule}/${a.status}`) ?? 0) + 1);
  return counts;
}

describe("throttle properties", () => {
  it("never exceeds max_per_window per rolling window per route, and loses nothing given time", () => {
    fc.assert(
      fc.property(settings, fc.array(arrival, { maxLength: 80 }), (s, arrivals) => {
        const { clock, h, sent } = run(s, arrivals);
        clock.advanceBy((arrivals.length + 2) * s.windowSeconds * SEC);
        const windowMs = s.windowSeconds * SEC;
        for (const times of messagesByRoute(h.out).values()) {
          for (const t of times) {
            const inWindow = times.filter((u) => u > t - windowMs && u <= t).length;
            expect(inWindow).toBeLessThanOrEqual(s.max);
          }
        }
        for (const o of h.out) {
          if (o.item.kind === "digest") expect(o.item.alerts.length).toBeLessThanOrEqual(s.maxDigest);
        }
        // Every alert left, exactly once, in arrival order per route.
        expect(new Set(delivered(h.out))).toEqual(new Set(sent));
        expect(delivered(h.out)).toHaveLength(sent.length);
        for (const route of ["default", "escalation", "ops"]) {
          const order = (list: Alert[]) => list.filter((a) => a.route === route).map((a) => a.summary);
          expect(order(delivered(h.out))).toEqual(order(sent));
        }
      }),
      { numRuns: 200 },
    );
  });

  it("past max_held_alerts counts alerts per rule and status: listed ones stay bounded, all are accounted for", () => {
    fc.assert(
      fc.property(
        settings,
        fc.integer({ min: 1, max: 8 }),
        fc.array(arrival, { maxLength: 80 }),
        (s, maxHeld, arrivals) => {
          const { clock, throttle, h, sent } = run({ ...s, maxHeld }, arrivals);
          expect(throttle.status().held - throttle.status().held_summarised).toBeLessThanOrEqual(3 * maxHeld);
          clock.advanceBy((arrivals.length + 2) * s.windowSeconds * SEC);
          expect(throttle.status().held).toBe(0);
          for (const o of h.out) {
            if (o.item.kind === "digest") expect(o.item.alerts.length).toBeLessThanOrEqual(s.maxDigest);
          }
          expect(accounted(h.out)).toEqual(arrivedCounts(sent));
        },
      ),
      { numRuns: 150 },
    );
  });

  it("shutdown flushes everything still held", async () => {
    await fc.assert(
      fc.asyncProperty(settings, fc.array(arrival, { maxLength: 60 }), async (s, arrivals) => {
        const { throttle, h, sent } = run(s, arrivals);
        await throttle.shutdown();
        expect(throttle.status().held).toBe(0);
        expect(delivered(h.out)).toHaveLength(sent.length);
        expect(new Set(delivered(h.out))).toEqual(new Set(sent));
      }),
      { numRuns: 150 },
    );
  });
});
