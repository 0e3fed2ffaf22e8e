// Bounded retries: Retry-After capped by max_retry_after, waits counted against max_retry_time, and
// a lane stuck behind its head entry giving up on everything that waited that long together.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { asyncScheduler, VirtualTimeScheduler } from "rxjs";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { DeliveryOutcome } from "../src/delivery/outcome.ts";
import { type DeliveryDestination, DeliveryQueue, type DeliveryQueueOptions } from "../src/delivery/queue.ts";
import { StoreOutbox } from "../src/delivery/store-outbox.ts";
import { MAX_TIMER_MS, schedulerSleep } from "../src/delivery/timing.ts";
import { SqliteStateStore } from "../src/state/sqlite-store.ts";
import { captureLogger } from "./support/capture-logger.ts";
import { driveVirtualTime } from "./support/virtual-time.ts";

const S = 1000;

type Reply = (request: { index: number; at: number; payload: string }) => DeliveryOutcome;

function rig(reply: Reply, options: Partial<DeliveryQueueOptions<string>> = {}) {
  const scheduler = new VirtualTimeScheduler();
  const log = captureLogger();
  const sent: Array<{ payload: string; at: number }> = [];
  const queue = new DeliveryQueue<string>({ scheduler, logger: log.logger, random: () => 1, ...options });
  const destination: DeliveryDestination<string> = {
    key: "d",
    label: "d",
    async send(payload) {
      const at = scheduler.now();
      sent.push({ payload, at });
      return reply({ index: sent.length - 1, at, payload });
    },
  };
  const settle = () =>
    driveVirtualTime(scheduler, {
      busy: () => queue.inFlight > 0,
      done: () => queue.pending === 0,
      maxVirtualMs: 100 * 24 * 3600 * S,
    });
  /** Give-ups as logged, with the virtual time of the log line. */
  const gaveUp = () =>
    log
      .records()
      .filter((l) => l.msg === "delivery failed permanently")
      .map((l) => ({ rule: l.rule, at: Date.parse(String(l.time)), reason: String(l.reason) }));
  return { scheduler, queue, destination, sent, log, settle, gaveUp };
}

const rateLimited = (retryAfterS: number): DeliveryOutcome => ({
  ok: false,
  kind: "rate_limited",
  reason: "429 rate_limited",
  status: 429,
  retryAfterMs: retryAfterS * S,
});
const unavailable: DeliveryOutcome = { ok: false, kind: "transient", reason: "503 unavailable", status: 503 };

describe("Retry-After is bounded", () => {
  it("caps a day-long Retry-After at max_retry_after and gives all 8 up at max_retry_time, not a day later", async () => {
    const r = rig(() => rateLimited(86_400));
    const tickets = Array.from({ length: 8 }, (_, i) =>
      r.queue.enqueue(r.destination, `m${i}`, { rule: `r${i}` }),
    );
    await r.settle();
    // One attempt every 300 s (the default max_retry_after) for the hour, then the last one at 3600 s.
    expect(r.sent.map((s) => s.at)).toEqual(Array.from({ length: 13 }, (_, i) => i * 300 * S));
    expect(r.sent.every((s) => s.payload === "m0")).toBe(true);
    const results = await Promise.all(tickets.map((t) => t.done));
    expect(results.map((x) => x.state)).toEqual(Array(8).fill("failed"));
    expect(results[0]?.reason).toBe("gave up after 13 attempts (max_retry_time 3600 s): 429 rate_limited");
    // The seven behind it waited the same hour on the same failing destination: given up with it, unsent.
    for (const x of results.slice(1)) {
      expect(x.attempts).toBe(0);
      expect(x.reason).toMatch(/^gave up without an attempt: waited past max_retry_time \(3600 s\)/);
      expect(x.reason).toMatch(/last error: 429 rate_limited$/);
    }
    // Visible per entry when it happens: a log line each and a last_failures record each, at 3600 s.
    expect(r.gaveUp().map((g) => [g.rule, g.at])).toEqual(
      Array.from({ length: 8 }, (_, i) => [`r${i}`, 3600 * S]),
    );
    const status = r.queue.status();
    expect(status).toMatchObject({ pending: 0, failed: 8, delivered: 0 });
    expect(status.destinations[0]?.last_failures.map((f) => [f.rule, f.time])).toEqual(
      Array.from({ length: 8 }, (_, i) => [`r${i}`, new Date(3600 * S).toISOString()]),
    );
    const capped = r.log
      .records()
      .filter((l) => String(l.msg).startsWith("Retry-After longer than max_retry_after"));
    expect(capped[0]).toMatchObject({ retry_after_s: 86_400, max_retry_after_s: 300 });
  });

  it("honours max_retry_after as configured, and a Retry-After past Node's timer range is capped too", async () => {
    const r = rig(({ index }) => (index === 0 ? rateLimited(3_000_000) : { ok: true, status: 200 }), {
      maxRetryAfterMs: 45 * S,
    });
    r.queue.enqueue(r.destination, "m");
    await r.settle();
    expect(r.sent.map((s) => s.at)).toEqual([0, 45 * S]);
  });

  it("gives up at once when the server's wait would end past max_retry_time", async () => {
    const r = rig(({ index }) => (index === 0 ? unavailable : rateLimited(120)), {
      maxRetryTimeMs: 100 * S,
      initialBackoffMs: 10 * S,
    });
    const t = r.queue.enqueue(r.destination, "m");
    await r.settle();
    // 503 at 0, retried at 10 s, told to wait 120 s: that ends at 130 s, past the 100 s budget.
    expect(r.sent.map((s) => s.at)).toEqual([0, 10 * S]);
    expect(await t.done).toMatchObject({
      state: "failed",
      reason: "gave up after 2 attempts (Retry-After 120 s ends past max_retry_time 100 s): 429 rate_limited",
    });
    expect(r.gaveUp()[0]?.at).toBe(10 * S);
  });

  it("makes the last backoff attempt at the deadline, not after it", async () => {
    const r = rig(() => unavailable, {
      maxRetryTimeMs: 100 * S,
      initialBackoffMs: 40 * S,
      maxBackoffMs: 60 * S,
    });
    r.queue.enqueue(r.destination, "m");
    await r.settle();
    expect(r.sent.map((s) => s.at)).toEqual([0, 40 * S, 100 * S]);
  });
});

describe("a lane stuck behind its head entry", () => {
  it("reports N failures in about max_retry_time, each entry after its own retry time, not N × max_retry_time", async () => {
    const r = rig(() => unavailable, { maxRetryTimeMs: 3600 * S });
    const tickets: Array<ReturnType<typeof r.queue.enqueue>> = [];
    // One entry every 10 minutes while the destination is down.
    for (let i = 0; i < 5; i++) {
      r.scheduler.schedule(
        () => tickets.push(r.queue.enqueue(r.destination, `m${i}`, { rule: `r${i}` })),
        i * 600 * S,
      );
    }
    await driveVirtualTime(r.scheduler, {
      busy: () => r.queue.inFlight > 0,
      done: () => tickets.length === 5 && r.queue.pending === 0,
      maxVirtualMs: 24 * 3600 * S,
    });
    const results = await Promise.all(tickets.map((t) => t.done));
    expect(results.map((x) => x.state)).toEqual(Array(5).fill("failed"));
    // Each is given up max_retry_time after it was queued on the failing destination.
    expect(r.gaveUp().map((g) => [g.rule, g.at])).toEqual(
      Array.from({ length: 5 }, (_, i) => [`r${i}`, (3600 + i * 600) * S]),
    );
    expect(r.scheduler.now()).toBe((3600 + 4 * 600) * S);
  });

  it("never gives up on entries that only waited for the rate limit on a working destination", async () => {
    // 200 entries at 1/s take 200 s; one 503 at the 150th must not fail entries queued > 60 s ago.
    const r = rig(({ index }) => (index === 150 ? unavailable : { ok: true, status: 200 }), {
      maxRetryTimeMs: 60 * S,
      ratePerSecond: 1,
      burst: 1,
    });
    for (let i = 0; i < 200; i++) r.queue.enqueue(r.destination, `m${i}`);
    await r.settle();
    expect(r.queue.status()).toMatchObject({ delivered: 200, failed: 0, retried: 1 });
  });

  it("shows since when the destination has been failing, and clears it once a delivery succeeds", async () => {
    let down = true;
    const r = rig(() => (down ? unavailable : { ok: true, status: 200 }));
    r.queue.enqueue(r.destination, "m");
    await driveVirtualTime(r.scheduler, { busy: () => r.queue.inFlight > 0, done: () => r.sent.length >= 3 });
    expect(r.queue.status().destinations[0]?.failing_since).toBe(new Date(0).toISOString());
    down = false;
    await r.settle();
    expect(r.queue.status().destinations[0]?.failing_since).toBeUndefined();
  });
});

describe("with the state store as outbox (shared lanes)", () => {
  it("gives the stuck entries up together too, and dead-letters each with its reason", async () => {
    const dir = mkdtempSync(join(tmpdir(), "alertpipe-retry-"));
    const store = new SqliteStateStore({ path: join(dir, "state.db") });
    try {
      const scheduler = new VirtualTimeScheduler();
      const outbox = new StoreOutbox<string>({
        store,
        scheduler,
        prefix: "slack:",
        owner: "a",
        leaseMs: 30 * S,
      });
      const queue = new DeliveryQueue<string>({
        scheduler,
        logger: captureLogger().logger,
        outbox,
        random: () => 1,
      });
      const sent: number[] = [];
      const destination: DeliveryDestination<string> = {
        key: "slack:default",
        label: "slack",
        async send() {
          sent.push(scheduler.now());
          return rateLimited(86_400);
        },
      };
      const tickets = Array.from({ length: 8 }, (_, i) =>
        queue.enqueue(destination, `m${i}`, { rule: `r${i}` }),
      );
      await Promise.all(tickets.map((t) => t.accepted));
      await driveVirtualTime(scheduler, { busy: () => queue.inFlight > 0, done: () => queue.pending === 0 });
      expect(sent).toHaveLength(13);
      expect(scheduler.now()).toBe(3600 * S);
      expect(store.pending("slack:default")).toEqual([]);
      expect(store.deadLetters().map((d) => d.reason)).toEqual([
        expect.stringMatching(/^gave up after 13 attempts \(max_retry_time 3600 s\)/),
        ...Array(7).fill(expect.stringMatching(/^gave up without an attempt: waited past max_retry_time/)),
      ]);
      await queue.shutdown(0);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the token bucket after a Retry-After wait", () => {
  it("restarts at the sustained rate: no burst right after the wait", async () => {
    const r = rig(({ index }) => (index === 0 ? rateLimited(30) : { ok: true, status: 200 }), { burst: 3 });
    for (let i = 0; i < 5; i++) r.queue.enqueue(r.destination, `m${i}`);
    await r.settle();
    expect(r.sent.map((s) => s.at)).toEqual([0, 30 * S, 31 * S, 32 * S, 33 * S, 34 * S]);
  });
});

describe("schedulerSleep", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("sleeps past Node's 2^31 ms timer limit on a real scheduler instead of firing at once", async () => {
    vi.useFakeTimers();
    let woke = false;
    const sleeping = schedulerSleep(asyncScheduler, 3_000_000 * S).then(() => {
      woke = true;
    });
    await vi.advanceTimersByTimeAsync(60 * S);
    expect(woke).toBe(false);
    await vi.advanceTimersByTimeAsync(MAX_TIMER_MS);
    expect(woke).toBe(false);
    await vi.advanceTimersByTimeAsync(3_000_000 * S - MAX_TIMER_MS);
    await sleeping;
    expect(woke).toBe(true);
  });
});
