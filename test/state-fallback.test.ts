// Redis outage: a redis-server child process is killed mid-run; the store keeps answering from local
// state (degraded, warned once), and when the server is back on the same port it reconciles.
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FallbackStore } from "../src/state/fallback-store.ts";
import { openStateStore } from "../src/state/open.ts";
import { storeReadiness } from "../src/state/store.ts";
import { freePort, requireRedis, startRedis, stopRedis, until } from "./state-redis-support.ts";

await requireRedis();

describe("FallbackStore across a Redis outage", () => {
  let dir: string;
  let port: number;
  let server: ChildProcess | undefined;
  let store: FallbackStore | undefined;
  let warnings: Array<{ level: number; msg: string }>;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "alertpipe-redis-"));
    port = await freePort();
    server = await startRedis(port, dir);
    warnings = [];
  });
  afterEach(async () => {
    await store?.close();
    if (server) await stopRedis(server);
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps answering while Redis is down and reconciles when it returns", async () => {
    const logger = pino(
      { level: "warn" },
      { write: (line: string) => warnings.push(JSON.parse(line) as { level: number; msg: string }) },
    );
    const url = `redis://127.0.0.1:${port}/0`;
    store = (await openStateStore(url, { logger, instanceId: "inst-1" })) as FallbackStore;
    expect(store.status().degraded).toBe(false);

    // Healthy: a cooldown, an admission, and an alert claimed for delivery (in flight at the outage).
    expect(await store.tryAcquireCooldown("memory_usage|host1", 1_800_000, 0)).toBe(true);
    expect(await store.throttleAdmit("slack", 0, 60_000, 3, "m0")).toBe(true);
    const inFlight = await store.enqueue("slack", { text: "in flight" }, 0);
    expect((await store.claim("slack", "inst-1", 60_000, 1, 0)).map((entry) => entry.id)).toEqual([inFlight]);

    // Kill Redis while a steady stream of operations runs; none of them may fail.
    let running = true;
    let operations = 0;
    const active = store;
    const load = (async () => {
      for (let t = 1; running; t++) {
        await active.getCooldown("memory_usage|host1", t);
        await active.throttleWindow("slack", t, 60_000);
        operations++;
        await sleep(5);
      }
    })();
    await sleep(50);
    if (server) await stopRedis(server);
    await until(() => active.status().degraded, "degraded mode");
    running = false;
    await load;
    expect(operations).toBeGreaterThan(0);

    // Degraded: this instance still honours its own cooldown and window, and keeps alerting.
    expect(store.status()).toMatchObject({ backend: "redis", degraded: true });
    expect(await store.tryAcquireCooldown("memory_usage|host1", 1_800_000, 1000)).toBe(false);
    expect(await store.tryAcquireCooldown("disk_usage|/", 901_000, 1000)).toBe(true);
    expect(await store.throttleAdmit("slack", 1000, 60_000, 3, "m1")).toBe(true);
    expect(await store.throttleAdmit("slack", 1000, 60_000, 3, "m2")).toBe(true);
    expect(await store.throttleAdmit("slack", 1000, 60_000, 3, "m3")).toBe(false);
    await store.ack(inFlight);
    const queued = await store.enqueue("slack", { text: "during outage" }, 1000);
    await store.set("escalation", "disk_usage|/", { firstNoticeMs: 1000 });
    expect((await store.pending("slack")).map((entry) => entry.payload)).toEqual([{ text: "during outage" }]);
    expect(warnings.filter((line) => line.msg.includes("unreachable"))).toHaveLength(1);

    // Redis returns on the same port (with its data): the store reconciles and leaves degraded mode.
    server = await startRedis(port, dir);
    await until(() => !active.status().degraded, "reconciliation");
    expect(store.status()).toMatchObject({ degraded: false, reconciliations: 1 });

    // A second instance now sees everything the first did during the outage.
    const other = await openStateStore(url, { logger, instanceId: "inst-2" });
    try {
      expect(await other.tryAcquireCooldown("disk_usage|/", 2_000_000, 2000)).toBe(false);
      expect(await other.getCooldown("memory_usage|host1", 2000)).toBe(1_800_000);
      expect(await other.throttleWindow("slack", 2000, 60_000)).toEqual([0, 1000, 1000]);
      expect(await other.get("escalation", "disk_usage|/", 2000)).toEqual({ firstNoticeMs: 1000 });
      // The acked in-flight alert is gone; the alert queued locally is now shared, exactly once.
      const pending = await other.pending("slack");
      expect(pending.map((entry) => entry.payload)).toEqual([{ text: "during outage" }]);
      expect(pending[0]?.id).not.toBe(queued);
      expect((await store.pending("slack")).map((entry) => entry.payload)).toEqual([
        { text: "during outage" },
      ]);
      await store.reconcile();
      expect((await other.pending("slack")).length).toBe(1);
    } finally {
      await other.close();
    }
  });

  it("starts degraded when Redis is unreachable and reconciles once it appears", async () => {
    if (server) await stopRedis(server);
    server = undefined;
    const logger = pino({ level: "silent" });
    const openedAt = Date.now();
    store = (await openStateStore(`redis://127.0.0.1:${port}/0`, { logger })) as FallbackStore;
    expect(store.status().degraded).toBe(true);
    // Degraded before any operation brought the caller's time: still a real time, not 0.
    expect(store.status().degraded_since_ms).toBeGreaterThanOrEqual(openedAt);
    expect(storeReadiness(store.status())).toEqual({
      ready: false,
      reason: expect.stringMatching(
        /^redis at redis:\/\/127\.0\.0\.1:\d+\/0 unavailable \(.+\): serving local state$/,
      ),
    });
    const id = await store.enqueue("sentry", { event: "boom" }, 5);
    expect(id.startsWith("local:")).toBe(true);
    server = await startRedis(port, dir);
    const active = store;
    await until(() => !active.status().degraded, "reconciliation");
    expect(store.status()).not.toHaveProperty("degraded_since_ms");
    expect(store.status()).not.toHaveProperty("degraded_reason");
    expect(storeReadiness(store.status())).toEqual({ ready: true });
    const check = new Redis(`redis://127.0.0.1:${port}/0`);
    try {
      expect(await check.hget("alertpipe:meta", "schema_version")).toBe("1");
    } finally {
      check.disconnect();
    }
    expect((await store.pending("sentry")).map((entry) => [entry.payload, entry.enqueuedAtMs])).toEqual([
      [{ event: "boom" }, 5],
    ]);
  });

  it("gives a Redis that restarted empty back this instance's cooldowns and window", async () => {
    const logger = pino({ level: "silent" });
    const url = `redis://127.0.0.1:${port}/0`;
    store = (await openStateStore(url, { logger })) as FallbackStore;
    expect(await store.tryAcquireCooldown("system_health|-", 300_000, 0)).toBe(true);
    expect(await store.throttleAdmit("slack", 0, 60_000, 1, "m0")).toBe(true);
    if (server) await stopRedis(server);
    const active = store;
    await until(async () => {
      await active.getCooldown("system_health|-", 1);
      return active.status().degraded;
    }, "degraded mode");
    const emptyDir = mkdtempSync(join(tmpdir(), "alertpipe-redis-empty-"));
    try {
      server = await startRedis(port, emptyDir);
      await until(() => !active.status().degraded, "reconciliation");
      const other = await openStateStore(url, { logger });
      expect(await other.tryAcquireCooldown("system_health|-", 600_000, 1000)).toBe(false);
      expect(await other.throttleAdmit("slack", 1000, 60_000, 1, "m1")).toBe(false);
      await other.close();
    } finally {
      if (server) await stopRedis(server);
      server = undefined;
      rmSync(emptyDir, { recursive: true, force: true });
    }
  });

  it("enqueues again what a Redis that restarted empty lost: the claimed entry stays claimed", async () => {
    const logger = pino({ level: "silent" });
    const url = `redis://127.0.0.1:${port}/0`;
    store = (await openStateStore(url, { logger, instanceId: "inst-1" })) as FallbackStore;
    const owner = "inst-1/slack";
    const first = await store.enqueue("slack", { n: 1 }, 0);
    const second = await store.enqueue("slack", { n: 2 }, 1);
    await store.enqueue("slack", { n: 3 }, 2);
    expect((await store.claim("slack", owner, 60_000, 1, 10)).map((e) => e.id)).toEqual([first]);

    if (server) await stopRedis(server);
    const active = store;
    await until(() => active.status().degraded, "degraded mode");
    // While it is away: one entry fails for good, one more is enqueued locally.
    expect(await store.claim("slack", owner, 60_000, 1, 20)).toEqual([]);
    await store.fail(second, "403 action_prohibited", 30);
    await store.enqueue("slack", { n: 4 }, 40);

    const emptyDir = mkdtempSync(join(tmpdir(), "alertpipe-redis-empty-"));
    try {
      server = await startRedis(port, emptyDir);
      await until(() => !active.status().degraded, "reconciliation");
      // The lost entries are back in their order, the one being delivered still held by its owner.
      const pending = await store.pending("slack");
      expect(pending.map((e) => [e.payload, e.owner ?? null])).toEqual([
        [{ n: 1 }, owner],
        [{ n: 3 }, null],
        [{ n: 4 }, null],
      ]);
      expect(pending[0]?.enqueuedAtMs).toBe(0);
      // The old id still names it: the lease renews and the ack removes it.
      expect(await store.renew(first, owner, 60_000, 50)).toBe(true);
      expect((await store.deadLetters()).map((d) => [d.payload, d.reason])).toEqual([
        [{ n: 2 }, "403 action_prohibited"],
      ]);
      await store.ack(first);
      const other = await openStateStore(url, { logger, instanceId: "inst-2" });
      try {
        expect((await other.pending("slack")).map((e) => e.payload)).toEqual([{ n: 3 }, { n: 4 }]);
        expect((await other.deadLetters()).map((d) => d.reason)).toEqual(["403 action_prohibited"]);
      } finally {
        await other.close();
      }
      // A repeated reconciliation adds nothing twice.
      await store.reconcile();
      expect((await store.pending("slack")).map((e) => e.payload)).toEqual([{ n: 3 }, { n: 4 }]);
    } finally {
      if (server) await stopRedis(server);
      server = undefined;
      rmSync(emptyDir, { recursive: true, force: true });
    }
  });

  it("notices a flushed Redis without a dropped connection, and restores what it knew", async () => {
    const logger = pino({ level: "silent" });
    const url = `redis://127.0.0.1:${port}/0`;
    store = (await openStateStore(url, { logger, instanceId: "inst-1" })) as FallbackStore;
    const held = await store.enqueue("slack", { n: 1 }, 0);
    await store.enqueue("slack", { n: 2 }, 1);
    expect((await store.claim("slack", "inst-1/slack", 60_000, 1, 5)).map((e) => e.id)).toEqual([held]);
    const admin = new Redis(url);
    try {
      await admin.flushall();
    } finally {
      admin.disconnect();
    }
    // The first use of an id from before the flush reports it; the store restores its entries.
    expect(await store.renew(held, "inst-1/slack", 60_000, 10)).toBe(true);
    const active = store;
    await until(async () => {
      const pending = await active.pending("slack");
      return !active.status().degraded && pending.length === 2;
    }, "restored entries");
    expect((await store.pending("slack")).map((e) => [e.payload, e.owner ?? null])).toEqual([
      [{ n: 1 }, "inst-1/slack"],
      [{ n: 2 }, null],
    ]);
    await store.ack(held);
    expect((await store.pending("slack")).map((e) => e.payload)).toEqual([{ n: 2 }]);
  });
});
