// The delivery outbox on the state store: written before delivery and removed on success, dead
// letters with reasons, resume in order after a crash (only the in-flight entry repeats), one sender
// per entry across instances, lease renewal while retrying. Virtual time over SQLite files; one
// real-time run on the local Redis.
import { mkdtempSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import { asyncScheduler, type SchedulerLike, VirtualTimeScheduler } from "rxjs";
import { afterEach, describe, expect, it } from "vitest";
import type { DeliveryOutcome } from "../src/delivery/outcome.ts";
import { type DeliveryDestination, DeliveryQueue } from "../src/delivery/queue.ts";
import { StoreOutbox } from "../src/delivery/store-outbox.ts";
import { openStateStore } from "../src/state/open.ts";
import { SqliteStateStore } from "../src/state/sqlite-store.ts";
import type { StateStore } from "../src/state/store.ts";
import { cleanupPrefix, REDIS_URL, randomPrefix, requireRedis } from "./state-redis-support.ts";
import { driveVirtualTime } from "./support/virtual-time.ts";

const logger = pino({ level: "silent" });
const redis = await requireRedis();
const KEY = "slack:default";
const LEASE_MS = 10_000;

const dirs: string[] = [];
const stores: StateStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function sqlitePath(): string {
  const dir = mkdtempSync(join(tmpdir(), "alertpipe-outbox-"));
  dirs.push(dir);
  return join(dir, "state.db");
}

/** A new connection to the file, as a (re)started process would open it. */
function openSqlite(path: string): SqliteStateStore {
  const store = new SqliteStateStore({ path });
  stores.push(store);
  return store;
}

interface Send {
  readonly by: string;
  readonly payload: string;
  readonly at: number;
}

/** A destination whose answers come from `answer`; every attempt is recorded with who made it. */
function destination(
  by: string,
  sends: Send[],
  scheduler: SchedulerLike,
  answer: (payload: string) => DeliveryOutcome | Promise<DeliveryOutcome>,
): DeliveryDestination<string> {
  return {
    key: KEY,
    label: "slack (test)",
    async send(payload) {
      sends.push({ by, payload, at: scheduler.now() });
      return answer(payload);
    },
  };
}

const ok: DeliveryOutcome = { ok: true, status: 200 };
const unavailable: DeliveryOutcome = {
  ok: false,
  kind: "transient",
  reason: "503 service_unavailable",
  status: 503,
};

/** A scheduler that stops running anything once killed: the process died (kill -9). */
function mortal(scheduler: SchedulerLike): { scheduler: SchedulerLike; kill(): void } {
  let dead = false;
  const wrapped = {
    now: () => scheduler.now(),
    schedule: (work: () => void, delay?: number) =>
      scheduler.schedule(() => {
        if (!dead) work();
      }, delay),
  } as SchedulerLike;
  return {
    scheduler: wrapped,
    kill: () => {
      dead = true;
    },
  };
}

function instance(store: StateStore, scheduler: SchedulerLike, owner: string, leaseMs = LEASE_MS) {
  const outbox = new StoreOutbox<string>({ store, scheduler, prefix: "slack:", owner, leaseMs });
  const queue = new DeliveryQueue<string>({
    scheduler,
    logger,
    outbox,
    ratePerSecond: 100,
    burst: 10,
    initialBackoffMs: 1000,
    maxBackoffMs: 4000,
    random: () => 0.5,
  });
  return { outbox, queue };
}

describe("StoreOutbox + DeliveryQueue", () => {
  it("writes each entry before delivery, removes it on success, dead-letters a permanent failure with its reason", async () => {
    const clock = new VirtualTimeScheduler();
    const store = openSqlite(sqlitePath());
    const sends: Send[] = [];
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const { queue } = instance(store, clock, "a");
    const dest = destination("a", sends, clock, async (payload) => {
      await gate;
      return payload === "b"
        ? { ok: false, kind: "permanent", reason: "400 invalid_payload", status: 400 }
        : ok;
    });
    const tickets = ["a", "b", "c"].map((p) => queue.enqueue(dest, p, { rule: "system_health" }));
    await Promise.all(tickets.map((t) => t.accepted));
    // Stored before anything was delivered; the first one is claimed by this instance.
    const stored = store.pending(KEY);
    expect(stored.map((e) => (e.payload as { payload: string }).payload)).toEqual(["a", "b", "c"]);
    expect(stored[0]?.owner).toBe("a");
    expect(JSON.stringify(stored)).not.toMatch(/https?:/);
    open();
    await driveVirtualTime(clock, { busy: () => queue.inFlight > 0, done: () => queue.pending === 0 });
    expect(await tickets[0]?.done).toMatchObject({ state: "delivered" });
    expect(await tickets[1]?.done).toMatchObject({ state: "failed", reason: "400 invalid_payload" });
    expect(store.pending(KEY)).toEqual([]);
    expect(store.deadLetters()).toEqual([
      expect.objectContaining({
        destination: KEY,
        reason: "400 invalid_payload",
        payload: expect.objectContaining({ payload: "b", rule: "system_health" }),
      }),
    ]);
    expect(queue.status()).toMatchObject({ outbox: "state", delivered: 2, failed: 1 });
    await queue.shutdown(0);
  });

  it("resumes after a crash in order; only the delivery in flight at the crash repeats, after its lease", async () => {
    const clock = new VirtualTimeScheduler();
    const path = sqlitePath();
    const sends: Send[] = [];
    const first = mortal(clock);
    const a = instance(openSqlite(path), first.scheduler, "a");
    // m0 goes through; m1 is on the wire when the process dies (its request never answers).
    const destA = destination("a", sends, clock, (payload) =>
      payload === "m0" ? ok : new Promise<DeliveryOutcome>(() => {}),
    );
    const tickets = ["m0", "m1", "m2", "m3", "m4"].map((p) => a.queue.enqueue(destA, p));
    await Promise.all(tickets.map((t) => t.accepted));
    await driveVirtualTime(clock, { busy: () => false, done: () => sends.length === 2 });
    const crashedAt = clock.now();
    first.kill();

    const store = openSqlite(path);
    expect(store.pending(KEY).map((e) => e.owner)).toEqual(["a", undefined, undefined, undefined]);
    const b = instance(store, clock, "b");
    const destB = destination("b", sends, clock, () => ok);
    expect(await b.queue.restore((key) => (key === KEY ? destB : undefined))).toBe(4);
    await driveVirtualTime(clock, {
      busy: () => b.queue.inFlight > 0,
      done: () => store.pending(KEY).length === 0 && b.queue.pending === 0,
    });
    expect(sends.map((s) => `${s.by}:${s.payload}`)).toEqual([
      "a:m0",
      "a:m1",
      "b:m1",
      "b:m2",
      "b:m3",
      "b:m4",
    ]);
    // The restarted instance took the dead one's entry only once its lease had run out.
    expect(sends[2]?.at).toBeGreaterThanOrEqual(crashedAt + LEASE_MS - LEASE_MS / 3);
    await b.queue.shutdown(0);
  });

  it("after a crash, status counts the stored entries waiting for the dead instance's lease", async () => {
    const clock = new VirtualTimeScheduler();
    const path = sqlitePath();
    const sends: Send[] = [];
    const first = mortal(clock);
    // Another host's instance: its lease cannot be judged from here, so it is waited out.
    const a = instance(openSqlite(path), first.scheduler, "otherhost-4242-abcdef/slack");
    const destA = destination("a", sends, clock, () => new Promise<DeliveryOutcome>(() => {}));
    const tickets = Array.from({ length: 11 }, (_, i) => a.queue.enqueue(destA, `m${i}`));
    await Promise.all(tickets.map((t) => t.accepted));
    await driveVirtualTime(clock, { busy: () => false, done: () => sends.length === 1 });
    first.kill();

    const b = instance(openSqlite(path), clock, `${hostname()}-${process.pid}-bbbbbb/slack`);
    const destB = destination("b", sends, clock, () => ok);
    await b.queue.restore((key) => (key === KEY ? destB : undefined));
    await Promise.resolve();
    expect(b.queue.status()).toMatchObject({ pending: 11, delivered: 0 });
    expect(b.queue.status().destinations[0]).toMatchObject({ pending: 11 });
    await driveVirtualTime(clock, {
      busy: () => b.queue.inFlight > 0,
      done: () => b.queue.status().delivered === 11,
    });
    await Promise.resolve();
    expect(b.queue.status()).toMatchObject({ pending: 0, delivered: 11 });
    await b.queue.shutdown(0);
  });

  it("a restarted instance takes back at once the lease its previous run held", async () => {
    const clock = new VirtualTimeScheduler();
    const path = sqlitePath();
    const sends: Send[] = [];
    const first = mortal(clock);
    // The same instance name, a pid that is ours now: that run is gone.
    const a = instance(openSqlite(path), first.scheduler, `${hostname()}-${process.pid}-aaaaaa/slack`);
    const destA = destination("a", sends, clock, () => new Promise<DeliveryOutcome>(() => {}));
    const tickets = Array.from({ length: 11 }, (_, i) => a.queue.enqueue(destA, `m${i}`));
    await Promise.all(tickets.map((t) => t.accepted));
    await driveVirtualTime(clock, { busy: () => false, done: () => sends.length === 1 });
    const crashedAt = clock.now();
    first.kill();

    const store = openSqlite(path);
    const leaseUntil = store.pending(KEY)[0]?.leaseUntilMs ?? 0;
    expect(leaseUntil).toBeGreaterThan(crashedAt);
    const b = instance(store, clock, `${hostname()}-${process.pid}-bbbbbb/slack`);
    const destB = destination("b", sends, clock, () => ok);
    await b.queue.restore((key) => (key === KEY ? destB : undefined));
    await driveVirtualTime(clock, {
      busy: () => b.queue.inFlight > 0,
      done: () => b.queue.status().delivered === 11,
    });
    expect(sends.map((s) => `${s.by}:${s.payload}`)).toEqual([
      "a:m0",
      ...Array.from({ length: 11 }, (_, i) => `b:m${i}`),
    ]);
    // All of it went out while the old lease would still have held the lane.
    expect(sends.at(-1)?.at).toBeLessThan(leaseUntil);
    await b.queue.shutdown(0);
  });

  it("two instances on one store: every entry is sent by exactly one, a notice enqueued by both once", async () => {
    const clock = new VirtualTimeScheduler();
    const path = sqlitePath();
    const sends: Send[] = [];
    const a = instance(openSqlite(path), clock, "a");
    const b = instance(openSqlite(path), clock, "b");
    const destA = destination("a", sends, clock, () => ok);
    const destB = destination("b", sends, clock, () => ok);
    const tickets = [];
    for (let i = 0; i < 20; i++) {
      tickets.push(a.queue.enqueue(destA, `a${i}`), b.queue.enqueue(destB, `b${i}`));
      // The same notice produced by both instances: same dedupe key.
      tickets.push(a.queue.enqueue(destA, `both${i}`, { key: `fp${i}|firing|0|0` }));
      tickets.push(b.queue.enqueue(destB, `both${i}`, { key: `fp${i}|firing|0|0` }));
    }
    await Promise.all(tickets.map((t) => t.accepted));
    const store = openSqlite(path);
    await driveVirtualTime(clock, {
      busy: () => a.queue.inFlight + b.queue.inFlight > 0,
      done: () => store.pending(KEY).length === 0 && a.queue.pending + b.queue.pending === 0,
    });
    const payloads = sends.map((s) => s.payload);
    expect(payloads).toHaveLength(60);
    expect(new Set(payloads).size).toBe(60);
    // Every ticket settles: delivered by its own instance, or handed off (its twin, or the other
    // instance sent it: one holder at a time per destination keeps the order).
    const results = await Promise.all(tickets.map((t) => t.done));
    const delivered = results.filter((r) => r.state === "delivered").length;
    expect(delivered + results.filter((r) => r.state === "handed_off").length).toBe(80);
    expect(a.queue.status().delivered + b.queue.status().delivered).toBe(60);
    await Promise.all([a.queue.shutdown(0), b.queue.shutdown(0)]);
  });

  it("renews the lease while a delivery retries, so another instance never takes it over", async () => {
    const clock = new VirtualTimeScheduler();
    const path = sqlitePath();
    const sends: Send[] = [];
    const recoversAt = 6 * LEASE_MS;
    const a = instance(openSqlite(path), clock, "a");
    const b = instance(openSqlite(path), clock, "b");
    const destA = destination("a", sends, clock, () => (clock.now() < recoversAt ? unavailable : ok));
    const destB = destination("b", sends, clock, () => ok);
    await a.queue.enqueue(destA, "held").accepted;
    await b.queue.restore((key) => (key === KEY ? destB : undefined));
    await driveVirtualTime(clock, {
      busy: () => a.queue.inFlight + b.queue.inFlight > 0,
      done: () => a.queue.pending === 0 && clock.now() > recoversAt,
    });
    expect(sends.filter((s) => s.by === "b")).toEqual([]);
    expect(sends.filter((s) => s.by === "a").length).toBeGreaterThan(10);
    expect(sends.at(-1)).toMatchObject({ by: "a", payload: "held" });
    expect(a.queue.status().delivered).toBe(1);
    await Promise.all([a.queue.shutdown(0), b.queue.shutdown(0)]);
  });

  it("drops an entry whose lease was lost while it retried; the instance now holding it sends it", async () => {
    const clock = new VirtualTimeScheduler();
    const path = sqlitePath();
    const sends: Send[] = [];
    const a = instance(openSqlite(path), clock, "a");
    // A stall (GC pause, frozen VM): a's first renewals never reach the store, its lease runs out and b
    // takes the entry; a's next renewal finds it lost.
    const renew = a.outbox.renew.bind(a.outbox);
    let stalled = 3;
    a.outbox.renew = async (id) => (stalled-- > 0 ? true : renew(id));
    const b = instance(openSqlite(path), clock, "b");
    const destA = destination("a", sends, clock, () => unavailable);
    const destB = destination("b", sends, clock, () => ok);
    const ticket = a.queue.enqueue(destA, "x");
    await ticket.accepted;
    await b.queue.restore((key) => (key === KEY ? destB : undefined));
    await driveVirtualTime(clock, {
      busy: () => a.queue.inFlight + b.queue.inFlight > 0,
      done: () => b.queue.status().delivered === 1 && a.queue.pending === 0,
    });
    expect(await ticket.done).toMatchObject({
      state: "handed_off",
      reason: "lease lost to another instance",
    });
    expect(sends.filter((s) => s.by === "b").map((s) => s.payload)).toEqual(["x"]);
    expect(a.queue.status().destinations[0]).toMatchObject({ delivered: 0, handed_off: 1 });
    await Promise.all([a.queue.shutdown(0), b.queue.shutdown(0)]);
  });

  it("gives claims back at shutdown, so the next start sends them at once", async () => {
    const clock = new VirtualTimeScheduler();
    const path = sqlitePath();
    const sends: Send[] = [];
    const a = instance(openSqlite(path), clock, "a");
    const destA = destination("a", sends, clock, () => unavailable);
    await a.queue.enqueue(destA, "x").accepted;
    await driveVirtualTime(clock, { busy: () => a.queue.inFlight > 0, done: () => sends.length >= 2 });
    let stopped = false;
    const report = a.queue.shutdown(1000).finally(() => {
      stopped = true;
    });
    await driveVirtualTime(clock, { busy: () => a.queue.inFlight > 0, done: () => stopped });
    expect(await report).toMatchObject({ pending: 1 });
    const store = openSqlite(path);
    await Promise.resolve();
    expect(store.pending(KEY).map((e) => [e.payload, e.owner])).toEqual([[expect.anything(), undefined]]);
  });
});

describe.runIf(redis)("StoreOutbox on Redis: two instances", () => {
  it("sends every entry once and a notice enqueued by both once (real time)", async () => {
    const prefix = randomPrefix();
    const url = `${REDIS_URL}?prefix=${encodeURIComponent(prefix)}`;
    const storeA = await openStateStore(url, { logger, instanceId: "a" });
    const storeB = await openStateStore(url, { logger, instanceId: "b" });
    const sends: Send[] = [];
    const a = instance(storeA, asyncScheduler, "a", 1000);
    const b = instance(storeB, asyncScheduler, "b", 1000);
    const destA = destination("a", sends, asyncScheduler, () => ok);
    const destB = destination("b", sends, asyncScheduler, () => ok);
    try {
      const tickets = [];
      for (let i = 0; i < 15; i++) {
        tickets.push(a.queue.enqueue(destA, `a${i}`), b.queue.enqueue(destB, `b${i}`));
        tickets.push(a.queue.enqueue(destA, `both${i}`, { key: `fp${i}` }));
        tickets.push(b.queue.enqueue(destB, `both${i}`, { key: `fp${i}` }));
      }
      const results = await Promise.all(tickets.map((t) => t.done));
      expect(results.every((r) => r.state === "delivered" || r.state === "handed_off")).toBe(true);
      // Handed-off entries are sent by whichever instance holds the destination next (polls included).
      for (let i = 0; i < 200 && (await storeA.pending(KEY)).length > 0; i++) await sleep(50);
      expect(await storeA.pending(KEY)).toEqual([]);
      const payloads = sends.map((s) => s.payload);
      expect(payloads).toHaveLength(45);
      expect(new Set(payloads).size).toBe(45);
    } finally {
      await Promise.all([a.queue.shutdown(0), b.queue.shutdown(0)]);
      await storeA.close();
      await storeB.close();
      await cleanupPrefix(prefix);
    }
  });
});
