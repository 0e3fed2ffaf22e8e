// Store-backed notice processors on Redis, in real time with short windows: two instances (two
// pipelines, two store connections) fed the same breaches notify each fingerprint once and together
// stay within max_per_window; with Redis killed they keep alerting on local state, degraded.
import { pino } from "pino";
import { asyncScheduler, type SchedulerLike, Subject } from "rxjs";
import { afterEach, describe, expect, it } from "vitest";
import { cooldownFactory } from "../processors/cooldown.ts";
import { firingNamespace } from "../processors/rules/firing-records.ts";
import type { RuleProcessor } from "../processors/rules/rule-engine.ts";
import { thresholdFactory } from "../processors/threshold.ts";
import { throttleFactory } from "../processors/throttle.ts";
import type { Processor } from "../src/component.ts";
import type { Alert, Item } from "../src/signal.ts";
import { newInstanceId } from "../src/state/instance-id.ts";
import { openStateStore } from "../src/state/open.ts";
import type { StateStore } from "../src/state/store.ts";
import { create, freePort, startRedis, stopRedis, until } from "./state-processors-support.ts";
import { cleanupPrefix, REDIS_URL, randomPrefix, requireRedis } from "./state-redis-support.ts";
import { alert } from "./support/alerts.ts";
import { captureLogger } from "./support/capture-logger.ts";
import { gauge, VirtualClock } from "./support/virtual-clock.ts";

const available = await requireRedis();
const scheduler = asyncScheduler as SchedulerLike;
const silent = pino({ level: "silent" });

interface Instance {
  readonly state: StateStore;
  readonly cooldown: Processor & { shutdown(): Promise<void> };
  readonly throttle: Processor & { shutdown(): Promise<void> };
  readonly input: Subject<Item>;
  /** Messages leaving the chain, with the wall-clock time they left. */
  readonly out: Array<{ at: number; item: Item }>;
}

/** One alertpipe instance: cooldown ▸ throttle on its own store connection. */
async function instance(
  url: string,
  keyPrefix: string,
  name: string,
  throttle: unknown,
  logger = silent,
): Promise<Instance> {
  const state = await openStateStore(url, { logger, instanceId: name, keyPrefix });
  const cooldown = await create<unknown, Instance["cooldown"]>(
    cooldownFactory,
    { default: 1 },
    { scheduler, state, id: "cooldown" },
  );
  const throttled = await create<unknown, Instance["throttle"]>(throttleFactory, throttle, {
    scheduler,
    state,
    id: "throttle",
  });
  const out: Array<{ at: number; item: Item }> = [];
  const input = new Subject<Item>();
  input.pipe(cooldown.operator, throttled.operator).subscribe((item) => out.push({ at: Date.now(), item }));
  return { state, cooldown, throttle: throttled, input, out };
}

const noticesOf = (out: Instance["out"]): Alert[] =>
  out.flatMap(({ item }) => (item.kind === "alert" ? [item] : item.kind === "digest" ? item.alerts : []));

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

describe.runIf(available)("cooldown and throttle shared on Redis by two instances", () => {
  it("notifies each fingerprint once and never more than max_per_window per window together", async () => {
    const prefix = randomPrefix();
    cleanups.push(() => cleanupPrefix(prefix));
    const throttle = { window: 2, max_per_window: 3 };
    const a = await instance(REDIS_URL, prefix, "a", throttle);
    const b = await instance(REDIS_URL, prefix, "b", throttle);
    cleanups.push(async () => {
      for (const i of [a, b]) {
        i.input.complete();
        await i.cooldown.shutdown();
        await i.throttle.shutdown();
        await i.state.close();
      }
    });

    const fingerprints = ["f1", "f2", "f3", "f4", "f5", "f6", "f7"];
    // Each instance sees every breach, in a different order (as if scraped at different moments).
    const odd = fingerprints.filter((_, n) => n % 2 === 0);
    const even = fingerprints.filter((_, n) => n % 2 === 1);
    for (const fp of [...odd, ...even]) a.input.next(alert(fp));
    for (const fp of [...even, ...odd]) b.input.next(alert(fp));
    // A second burst of the same breaches inside the 1-minute cooldown: nothing new.
    for (const fp of fingerprints) b.input.next(alert(fp));
    const all = () => [...a.out, ...b.out].sort((x, y) => x.at - y.at);
    await until(() => noticesOf(all()).length >= 7, "every notice", 10_000);
    await new Promise((resolve) => setTimeout(resolve, 500)); // any duplicate would arrive by now

    const notices = noticesOf(all());
    expect(notices.map((n) => n.fingerprint).sort()).toEqual(fingerprints);
    // Messages (alerts and digests) in any rolling 2 s window, both instances together: at most 3.
    // Times are taken on arrival, after the admission round trip: allow 150 ms of it.
    const times = all().map((o) => o.at);
    for (const t of times) {
      expect(times.filter((u) => u > t - (2000 - 150) && u <= t).length).toBeLessThanOrEqual(3);
    }
    expect(times.length).toBeGreaterThanOrEqual(4); // 7 alerts in ≥ 2 windows: some went as digests
    expect(all().some((o) => o.item.kind === "digest")).toBe(true);
    // Both instances sent some: the window really was shared.
    expect(a.out.length).toBeGreaterThan(0);
    expect(b.out.length).toBeGreaterThan(0);
  });
});

describe.runIf(available)("processors on a FallbackStore when Redis dies", () => {
  it("keep alerting on local state, keep cooldowns, and show degraded", async () => {
    const port = await freePort();
    const server = await startRedis(port);
    cleanups.push(() => stopRedis(server));
    const capture = captureLogger("warn");
    const url = `redis://127.0.0.1:${port}/0`;
    const i = await instance(url, randomPrefix(), "solo", { window: 2, max_per_window: 10 }, capture.logger);
    cleanups.push(async () => {
      i.input.complete();
      await i.cooldown.shutdown();
      await i.throttle.shutdown();
      await i.state.close();
    });

    i.input.next(alert("memory_usage"));
    await until(() => i.out.length === 1, "the first notice");
    expect(i.state.status().degraded).toBe(false);

    await stopRedis(server);
    i.input.next(alert("disk_usage"));
    i.input.next(alert("memory_usage")); // still inside its cooldown, known locally
    i.input.next(alert("rpc_error_rate"));
    await until(() => i.out.length === 3, "notices during the outage");
    expect(i.out.map((o) => (o.item as Alert).fingerprint)).toEqual([
      "memory_usage",
      "disk_usage",
      "rpc_error_rate",
    ]);
    expect(i.state.status()).toMatchObject({ backend: "redis", degraded: true });
    expect(capture.records().some((r) => String(r.msg).includes("unreachable"))).toBe(true);
  });
});

describe.runIf(available)("a rule's firing records on Redis, shared by instances", () => {
  it("a restarted instance leaves a live instance's firing alone and resolves an orphaned one stale", async () => {
    const prefix = randomPrefix();
    cleanups.push(() => cleanupPrefix(prefix));
    const clock = new VirtualClock();
    clock.advanceTo(1_000_000);
    const config = {
      metric: "pipeline.health.score",
      group_by: ["service.name"],
      op: "below",
      threshold: 30,
      severity: "critical",
      component: "system",
    };
    const ruleOn = async (name: string) => {
      const state = await openStateStore(REDIS_URL, { logger: silent, instanceId: name, keyPrefix: prefix });
      const rule = await create<unknown, RuleProcessor>(thresholdFactory, config, {
        scheduler: clock.scheduler,
        state,
        id: "threshold/system_health",
      });
      const input = new Subject<Item>();
      const out: Item[] = [];
      const subscription = input.pipe(rule.operator).subscribe((item) => out.push(item));
      cleanups.push(async () => {
        subscription.unsubscribe();
        await state.close();
      });
      return { state, rule, input, out, subscription };
    };
    const records = async (i: { state: StateStore }) =>
      (await i.state.list(firingNamespace("threshold/system_health"), clock.now())).length;

    const a = await ruleOn("a");
    a.input.next(gauge("pipeline.health.score", 12, {}, { "service.name": "scraper" }));
    await until(async () => (await records(a)) === 1, "a's firing record");

    // b starts while a is live (its record is fresh): b does not take a's firing over.
    clock.advanceBy(10_000);
    const b = await ruleOn("b");
    await new Promise((r) => setTimeout(r, 200));
    clock.advanceBy(0);
    expect(b.rule.status()).toMatchObject({ firing: 0, alerts_restored: 0 });

    // a dies; once nobody refreshed the record for 2 check intervals + 1 min, b holds it, awaiting data…
    a.subscription.unsubscribe();
    clock.advanceBy(180_000);
    await until(() => b.rule.status().alerts_restored === 1, "b restores the orphaned firing");
    clock.advanceBy(0);
    expect(b.out).toEqual([expect.objectContaining({ kind: "liveness", state: "restored" })]);
    // …and, with no data, resolves it once after the stale time (300 s).
    for (let s = 0; s < 6; s++) clock.advanceBy(60_000);
    const resolved = b.out.filter((i): i is Alert => i.kind === "alert");
    expect(resolved.map((r) => [r.status, r.summary])).toEqual([
      ["resolved", expect.stringContaining("no data since restart")],
    ]);
    await until(async () => (await records(b)) === 0, "the record is gone");
  });
});

describe.runIf(available)("throttle on Redis across a restart", () => {
  it("a restarted instance takes back its previous run's held alerts at once, not after they go stale", async () => {
    const prefix = randomPrefix();
    cleanups.push(() => cleanupPrefix(prefix));
    const throttle = { window: 60, max_per_window: 1 };
    const held = (i: Instance) => Number(i.throttle.status?.().held ?? -1);
    const a = await instance(REDIS_URL, prefix, newInstanceId("alertpipe-restart"), throttle);
    for (const fp of ["f1", "f2", "f3", "f4"]) a.input.next(alert(fp));
    await until(() => held(a) === 3, "three held");
    await new Promise((resolve) => setTimeout(resolve, 200)); // the held entries reach Redis
    await a.state.close(); // killed: no shutdown flush

    // Same instance name, a new run: it adopts at once (another instance would wait 2 windows + 1 min).
    const b = await instance(REDIS_URL, prefix, newInstanceId("alertpipe-restart"), throttle);
    cleanups.push(async () => {
      b.input.complete();
      await b.cooldown.shutdown();
      await b.throttle.shutdown();
      await b.state.close();
    });
    await until(() => held(b) === 3, "the previous run's held alerts adopted", 3000);
  });
});
