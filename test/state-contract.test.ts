// One contract, every backend: memory, SQLite (a real file), Redis (raw) and Redis via the factory
// (FallbackStore). Every call is awaited, which also works for the synchronous backends.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isPromise, type StateStore } from "../src/state/store.ts";
import { requireRedis } from "./state-redis-support.ts";
import { stateBackends } from "./support/state-backends.ts";

const redis = await requireRedis();

const backends = stateBackends(redis);

describe.each(backends)("StateStore contract: $name", (backend) => {
  let store: StateStore;
  let cleanup: () => Promise<void>;

  beforeEach(async (context) => {
    if (!backend.available) context.skip();
    ({ store, cleanup } = await backend.open());
  });
  afterEach(async () => {
    if (!backend.available) return;
    await store.close();
    await cleanup();
  });

  it("answers synchronously exactly when the backend is synchronous", () => {
    expect(isPromise(store.getCooldown("fp", 0))).toBe(!backend.synchronous);
  });

  it("reports status without problems", async () => {
    const status = store.status();
    expect(status.backend).toBe(backend.name.split(" ")[0]);
    expect(status.degraded).toBe(false);
    expect(status.schema_version).toBe(1);
    expect(status.dead_letters).toBe(0);
  });

  describe("key-value namespaces", () => {
    it("sets, gets, lists in key order and deletes JSON values", async () => {
      await store.set("cooldown", "b", { until: 5, labels: ["x"] });
      await store.set("cooldown", "a", 42);
      await store.set("other", "a", "elsewhere");
      expect(await store.get("cooldown", "b", 0)).toEqual({ until: 5, labels: ["x"] });
      expect(await store.list("cooldown", 0)).toEqual([
        { key: "a", value: 42 },
        { key: "b", value: { until: 5, labels: ["x"] } },
      ]);
      await store.delete("cooldown", "a");
      expect(await store.get("cooldown", "a", 0)).toBeUndefined();
      expect(await store.get("other", "a", 0)).toBe("elsewhere");
    });

    it("stores a copy, not the caller's object", async () => {
      const value = { count: 1 };
      await store.set("ns", "k", value);
      value.count = 2;
      expect(await store.get("ns", "k", 0)).toEqual({ count: 1 });
    });

    it("expires entries by the caller's clock", async () => {
      await store.set("ns", "short", true, { ttlMs: 1000, nowMs: 10_000 });
      await store.set("ns", "forever", true);
      expect(await store.get("ns", "short", 10_999)).toBe(true);
      expect(await store.list("ns", 10_999)).toEqual([
        { key: "forever", value: true },
        { key: "short", value: true, expiresAtMs: 11_000 },
      ]);
      expect(await store.get("ns", "short", 11_000)).toBeUndefined();
      expect(await store.list("ns", 11_000)).toEqual([{ key: "forever", value: true }]);
    });
  });

  describe("cooldowns", () => {
    it("acquires once until the deadline passes", async () => {
      expect(await store.tryAcquireCooldown("fp1", 60_000, 0)).toBe(true);
      expect(await store.tryAcquireCooldown("fp1", 90_000, 30_000)).toBe(false);
      expect(await store.getCooldown("fp1", 30_000)).toBe(60_000);
      expect(await store.tryAcquireCooldown("fp2", 60_000, 30_000)).toBe(true);
      expect(await store.getCooldown("fp1", 60_000)).toBeUndefined();
      expect(await store.tryAcquireCooldown("fp1", 120_000, 60_000)).toBe(true);
      expect(await store.getCooldown("fp1", 60_000)).toBe(120_000);
    });

    it("can be cleared", async () => {
      expect(await store.tryAcquireCooldown("fp", 60_000, 0)).toBe(true);
      await store.clearCooldown("fp");
      expect(await store.getCooldown("fp", 1)).toBeUndefined();
      expect(await store.tryAcquireCooldown("fp", 60_000, 1)).toBe(true);
    });
  });

  describe("throttle window", () => {
    it("admits at most max per rolling window and frees slots as it rolls", async () => {
      const admitted: boolean[] = [];
      for (let i = 0; i < 5; i++)
        admitted.push(await store.throttleAdmit("slack", 1000 + i, 60_000, 3, `m${i}`));
      expect(admitted).toEqual([true, true, true, false, false]);
      expect(await store.throttleWindow("slack", 1004, 60_000)).toEqual([1000, 1001, 1002]);
      // At 61_000 the admission at 1000 has left the window (window is (now - 60s, now]).
      expect(await store.throttleAdmit("slack", 61_000, 60_000, 3, "m5")).toBe(true);
      expect(await store.throttleAdmit("slack", 61_000, 60_000, 3, "m6")).toBe(false);
      expect(await store.throttleWindow("slack", 61_000, 60_000)).toEqual([1001, 1002, 61_000]);
      expect(await store.throttleAdmit("sentry", 61_000, 60_000, 3, "m6")).toBe(true);
    });

    it("is idempotent per message id, keeping the latest time (a send re-stamps its admission)", async () => {
      expect(await store.throttleAdmit("r", 0, 1000, 1, "same")).toBe(true);
      expect(await store.throttleAdmit("r", 10, 1000, 1, "same")).toBe(true);
      expect(await store.throttleAdmit("r", 20, 1000, 1, "other")).toBe(false);
      expect(await store.throttleWindow("r", 20, 1000)).toEqual([10]);
      // Never moved back; and re-stamped it stays in the window until 1010, not 1000.
      expect(await store.throttleAdmit("r", 5, 1000, 1, "same")).toBe(true);
      expect(await store.throttleAdmit("r", 1005, 1000, 1, "other")).toBe(false);
      expect(await store.throttleWindow("r", 1005, 1000)).toEqual([10]);
      expect(await store.throttleAdmit("r", 1010, 1000, 1, "other")).toBe(true);
    });
  });

  describe("outbox", () => {
    it("claims in enqueue order per destination, each entry once while leased", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await store.enqueue("slack", { n: i }, 100 + i));
      await store.enqueue("sentry", { n: 99 }, 100);
      expect(new Set(ids).size).toBe(5);
      const first = await store.claim("slack", "a", 30_000, 2, 1000);
      expect(first.map((entry) => entry.payload)).toEqual([{ n: 0 }, { n: 1 }]);
      expect(first[0]).toMatchObject({
        destination: "slack",
        owner: "a",
        leaseUntilMs: 31_000,
        attempts: 1,
        enqueuedAtMs: 100,
      });
      expect(first[0]?.seq).toBeLessThan(first[1]?.seq ?? 0);
      const second = await store.claim("slack", "b", 30_000, 10, 1000);
      expect(second.map((entry) => entry.payload)).toEqual([{ n: 2 }, { n: 3 }, { n: 4 }]);
      expect(await store.claim("slack", "c", 30_000, 10, 1000)).toEqual([]);
      expect((await store.pending("slack")).map((entry) => entry.owner)).toEqual(["a", "a", "b", "b", "b"]);
      expect(await store.pendingCount("slack")).toBe(5);
      expect(await store.pendingCount("sentry")).toBe(1);
      expect(await store.pendingCount("nowhere")).toBe(0);
      expect(await store.listDestinations()).toEqual(["sentry", "slack"]);
    });

    it("lets another owner take an expired lease, and renew keeps it", async () => {
      const id = await store.enqueue("slack", "x", 0);
      await store.enqueue("slack", "y", 0);
      const [first, second] = await store.claim("slack", "a", 1000, 2, 0);
      expect(await store.renew(first?.id ?? "", "a", 5000, 500)).toBe(true);
      expect(await store.renew(first?.id ?? "", "b", 5000, 500)).toBe(false);
      const taken = await store.claim("slack", "b", 1000, 10, 1000);
      expect(taken.map((entry) => entry.id)).toEqual([second?.id]);
      expect(taken[0]?.attempts).toBe(2);
      expect(await store.renew(second?.id ?? "", "a", 1000, 1000)).toBe(false);
      // b's lease on the second entry ran out at 2000; a's renewed lease on the first lasts to 5500.
      expect((await store.claim("slack", "c", 1000, 10, 5499)).map((entry) => entry.id)).toEqual([
        second?.id,
      ]);
      expect((await store.claim("slack", "d", 1000, 10, 5500)).map((entry) => entry.id)).toEqual([id]);
    });

    it("release gives a claim back only for its owner", async () => {
      const id = await store.enqueue("slack", "x", 0);
      await store.claim("slack", "a", 60_000, 1, 0);
      await store.release(id, "b");
      expect(await store.claim("slack", "b", 60_000, 1, 1)).toEqual([]);
      await store.release(id, "a");
      const again = await store.claim("slack", "b", 60_000, 1, 2);
      expect(again.map((entry) => [entry.id, entry.attempts])).toEqual([[id, 2]]);
    });

    it("ack removes; fail moves to the dead-letter list", async () => {
      const delivered = await store.enqueue("slack", { a: 1 }, 10);
      const broken = await store.enqueue("slack", { b: 2 }, 20);
      await store.claim("slack", "a", 60_000, 2, 30);
      await store.ack(delivered);
      await store.ack(delivered);
      await store.fail(broken, "invalid_payload (400)", 40);
      await store.fail("12345678", "unknown ids are ignored", 40);
      expect(await store.pending("slack")).toEqual([]);
      expect(await store.pendingCount("slack")).toBe(0);
      expect(await store.listDestinations()).toEqual([]);
      expect(await store.deadLetters()).toEqual([
        {
          id: broken,
          destination: "slack",
          payload: { b: 2 },
          reason: "invalid_payload (400)",
          enqueuedAtMs: 20,
          failedAtMs: 40,
          attempts: 1,
        },
      ]);
      expect(await store.deadLetters("sentry")).toEqual([]);
      expect(store.status().dead_letters).toBe(1);
    });
  });
});
