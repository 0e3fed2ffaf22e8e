// The anomaly rule's models in the state store: a restart (a new processor and a new store
// connection on the same SQLite file, or the same Redis) keeps four days of learning, so the first
// anomaly after it is found at once instead of after min_history again; a crash keeps what the
// write-behind flushed; a model of other readings (a changed window) is not used.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { anomalyNamespace } from "../processors/anomaly/model-store.ts";
import { anomalyFactory } from "../processors/anomaly.ts";
import type { RuleProcessor } from "../processors/rules/rule-engine.ts";
import type { Alert } from "../src/signal.ts";
import { openStateStore } from "../src/state/open.ts";
import { SqliteStateStore } from "../src/state/sqlite-store.ts";
import type { StateStore } from "../src/state/store.ts";
import { type Wired, wire } from "./state-processors-support.ts";
import { cleanupPrefix, REDIS_URL, randomPrefix, requireRedis, until } from "./state-redis-support.ts";
import { DAY, HOUR, MIN, usualRate } from "./support/synthetic-diurnal.ts";
import { counter, VirtualClock } from "./support/virtual-clock.ts";

const METRIC = "pipeline.artifacts.processed";
const RULE = { metric: METRIC, aggregation: "rate", window: 300, unit: "/s", min_history: "3d" };
const ID = "anomaly/throughput";
const COLLAPSE = 4 * DAY + 14 * HOUR;
const redis = await requireRedis();
const silent = pino({ level: "silent" });

let dir: string;
let path: string;
const open: StateStore[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "alertpipe-anomaly-state-"));
  path = join(dir, "state.db");
});
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A process: its own clock, starting at `at`, and the rule on `state` (none: memory only). */
async function boot(at: number, state: StateStore | undefined, rule: Record<string, unknown> = RULE) {
  const clock = new VirtualClock(at);
  if (state) open.push(state);
  const w = await wire<unknown, RuleProcessor>(anomalyFactory, rule, {
    scheduler: clock.scheduler,
    state,
    id: ID,
  });
  const feed = (from: number, to: number, factor: (t: number) => number = () => 1) => {
    for (let t = from; t < to; t += MIN) {
      clock.advanceTo(t);
      w.input.next(counter(METRIC, Math.round(usualRate(t) * factor(t) * 60), {}, {}));
    }
  };
  return { clock, w, feed };
}

const sqlite = () => new SqliteStateStore({ path });
const fired = (w: Wired<RuleProcessor>) =>
  w.out.flatMap(({ at, item }) =>
    item.kind === "alert" && item.status === "firing" ? [{ at, alert: item as Alert }] : [],
  );
/** An hour at 40 % from 14:00 on day 4. */
const collapse = (t: number) => (t >= COLLAPSE && t < COLLAPSE + HOUR ? 0.4 : 1);

describe("anomaly models across a restart (SQLite)", () => {
  it("a graceful restart keeps four days of learning: the collapse after it is found within minutes", async () => {
    const first = await boot(0, sqlite());
    first.feed(0, 4 * DAY);
    await first.w.processor.shutdown();
    expect(first.w.processor.status()).toMatchObject({ models: 1, model_write_failures: 0 });
    first.w.subscription.unsubscribe();

    const second = await boot(4 * DAY, sqlite());
    expect(second.w.processor.status()).toMatchObject({ models: 1, models_restored: 1, models_learning: 0 });
    second.feed(4 * DAY, 5 * DAY, collapse);
    const [alert, ...rest] = fired(second.w);
    expect(rest).toEqual([]);
    expect(alert?.at).toBeGreaterThan(COLLAPSE);
    expect((alert?.at ?? 0) - COLLAPSE).toBeLessThanOrEqual(10 * MIN);
    expect(alert?.alert.summary).toMatch(/^throughput unusually low: expected 1\d\d–1\d\d\/s at 14:0\d UTC/);

    // Without the store the restarted rule knows nothing: no verdict for another three days.
    const forgetful = await boot(4 * DAY, undefined);
    forgetful.feed(4 * DAY, 5 * DAY, collapse);
    expect(fired(forgetful.w)).toEqual([]);
  });

  it("a crash keeps what the write-behind flushed (every completed slot)", async () => {
    const first = await boot(0, sqlite());
    first.feed(0, 4 * DAY);
    first.w.subscription.unsubscribe(); // no shutdown: nothing written at the end
    expect(Number(first.w.processor.status().models_written)).toBeGreaterThan(300); // ~ one per quarter hour

    const second = await boot(4 * DAY, sqlite());
    expect(second.w.processor.status()).toMatchObject({ models_restored: 1, models_learning: 0 });
    second.feed(4 * DAY, 5 * DAY, collapse);
    expect(fired(second.w).map(({ at }) => Math.round((at - COLLAPSE) / MIN))).toEqual([5]);
  });

  it("a model learned from other readings (another window) is not used: the rule learns afresh", async () => {
    const first = await boot(0, sqlite());
    first.feed(0, 4 * DAY);
    await first.w.processor.shutdown();
    first.w.subscription.unsubscribe();

    const second = await boot(4 * DAY, sqlite(), { ...RULE, window: 600 });
    expect(second.w.processor.status()).toMatchObject({ models: 0, models_restored: 0, models_discarded: 1 });
    second.feed(4 * DAY, 5 * DAY, collapse);
    expect(fired(second.w)).toEqual([]);
  });
});

describe.runIf(redis)("anomaly models across a restart (Redis)", () => {
  it("restores asynchronously, one key per series, and judges with the restored model", async () => {
    const keyPrefix = randomPrefix();
    try {
      const state1 = await openStateStore(REDIS_URL, { logger: silent, instanceId: "a", keyPrefix });
      const first = await boot(0, state1);
      first.feed(0, 4 * DAY);
      await until(() => Number(first.w.processor.status().models_written) > 0, "write-behind to Redis");
      const written = Number(first.w.processor.status().models_written);
      await first.w.processor.shutdown();
      await until(() => Number(first.w.processor.status().models_written) > written, "the shutdown's write");
      first.w.subscription.unsubscribe();
      const keys = await state1.list(anomalyNamespace(ID), 4 * DAY);
      expect(keys.map((k) => k.key)).toEqual(["throughput"]);

      const state2 = await openStateStore(REDIS_URL, { logger: silent, instanceId: "b", keyPrefix });
      const second = await boot(4 * DAY, state2);
      await until(() => second.w.processor.status().models_restored === 1, "model restored from Redis");
      second.feed(4 * DAY, 5 * DAY, collapse);
      expect(fired(second.w).map(({ at }) => Math.round((at - COLLAPSE) / MIN))).toEqual([5]);
    } finally {
      await cleanupPrefix(keyPrefix);
    }
  });
});
