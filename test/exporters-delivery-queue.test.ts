// The delivery queue on its own: outbox hooks, restore, caps, and wrapping a custom exporter.
import { VirtualTimeScheduler } from "rxjs";
import { describe, expect, it } from "vitest";
import type { Exporter } from "../src/component.ts";
import { MemoryOutbox, type OutboxRecord } from "../src/delivery/outbox.ts";
import {
  PermanentDeliveryError,
  parseRetryAfter,
  RateLimitedDeliveryError,
} from "../src/delivery/outcome.ts";
import { type DeliveryDestination, DeliveryQueue } from "../src/delivery/queue.ts";
import { withDeliveryQueue } from "../src/delivery/queued-exporter.ts";
import { backoffDelay } from "../src/delivery/timing.ts";
import { redactDestination, stripSecrets } from "../src/secrets.ts";
import type { Item } from "../src/signal.ts";
import { captureLogger } from "./support/capture-logger.ts";
import { alert } from "./support/notice-fixtures.ts";
import { driveVirtualTime } from "./support/virtual-time.ts";

function scriptedDestination(key: string, script: Array<"ok" | "fail" | "perm">) {
  const sent: Array<{ payload: string; at: number }> = [];
  let i = 0;
  const dest = (scheduler: VirtualTimeScheduler): DeliveryDestination<string> => ({
    key,
    label: key,
    async send(payload) {
      sent.push({ payload, at: scheduler.now() });
      const step = script[i++] ?? "ok";
      if (step === "ok") return { ok: true, status: 200 };
      if (step === "perm") return { ok: false, kind: "permanent", reason: "gone", status: 410 };
      return { ok: false, kind: "transient", reason: "boom", status: 503 };
    },
  });
  return { sent, dest };
}

describe("DeliveryQueue", () => {
  it("reports every entry to the outbox: enqueue, delivered, failed", async () => {
    const scheduler = new VirtualTimeScheduler();
    const events: string[] = [];
    const outbox = new MemoryOutbox<string>();
    const spy = {
      onEnqueue: (r: OutboxRecord<string>) => {
        events.push(`enqueue ${r.payload} ${r.destination} ${r.rule}`);
        outbox.onEnqueue(r);
      },
      onDelivered: (id: string) => {
        events.push("delivered");
        outbox.onDelivered(id);
      },
      onFailed: (id: string, reason: string) => {
        events.push(`failed ${reason}`);
        outbox.onFailed(id);
      },
      pending: () => outbox.pending(),
    };
    const queue = new DeliveryQueue<string>({ scheduler, logger: captureLogger().logger, outbox: spy });
    const { dest } = scriptedDestination("d1", ["ok", "perm"]);
    const a = queue.enqueue(dest(scheduler), "a", { rule: "r1" });
    const b = queue.enqueue(dest(scheduler), "b", { rule: "r2" });
    expect(outbox.pending()).toHaveLength(2);
    await driveVirtualTime(scheduler, { busy: () => queue.inFlight > 0, done: () => queue.pending === 0 });
    expect(await a.done).toMatchObject({ state: "delivered", attempts: 1, status: 200 });
    expect(await b.done).toMatchObject({ state: "failed", attempts: 1, status: 410, reason: "gone" });
    expect(events).toEqual(["enqueue a d1 r1", "enqueue b d1 r2", "delivered", "failed gone"]);
    expect(outbox.pending()).toHaveLength(0);
  });

  it("restores pending records from a previous run's outbox, in order", async () => {
    const scheduler = new VirtualTimeScheduler();
    const outbox = new MemoryOutbox<string>();
    for (const [i, p] of ["x", "y"].entries())
      outbox.onEnqueue({ id: `id${i}`, destination: "d1", payload: p, enqueuedAt: 0 });
    outbox.onEnqueue({ id: "gone", destination: "removed", payload: "z", enqueuedAt: 0 });
    const queue = new DeliveryQueue<string>({ scheduler, logger: captureLogger().logger, outbox });
    const { sent, dest } = scriptedDestination("d1", []);
    const d = dest(scheduler);
    expect(await queue.restore((key) => (key === "d1" ? d : undefined))).toBe(2);
    await driveVirtualTime(scheduler, { busy: () => queue.inFlight > 0, done: () => queue.pending === 0 });
    expect(sent.map((s) => s.payload)).toEqual(["x", "y"]);
    expect(outbox.pending()).toHaveLength(0);
  });

  it("gives up after max_attempts, and refuses past max_pending — both recorded as failures", async () => {
    const scheduler = new VirtualTimeScheduler();
    const log = captureLogger();
    const queue = new DeliveryQueue<string>({ scheduler, logger: log.logger, maxAttempts: 3, maxPending: 2 });
    const { sent, dest } = scriptedDestination("d1", ["fail", "fail", "fail", "ok"]);
    const d = dest(scheduler);
    const first = queue.enqueue(d, "a", { rule: "r" });
    queue.enqueue(d, "b");
    const third = queue.enqueue(d, "c", { rule: "overflow" });
    expect(await third.done).toMatchObject({ state: "failed", reason: "queue full (2 pending)" });
    await driveVirtualTime(scheduler, { busy: () => queue.inFlight > 0, done: () => queue.pending === 0 });
    expect(await first.done).toMatchObject({
      state: "failed",
      attempts: 3,
      reason: "gave up after 3 attempts: boom",
    });
    expect(sent.map((s) => s.payload)).toEqual(["a", "a", "a", "b"]);
    expect(queue.status()).toMatchObject({ delivered: 1, failed: 2, retried: 2 });
  });

  it("keeps destinations independent: one in outage does not hold up another", async () => {
    const scheduler = new VirtualTimeScheduler();
    const queue = new DeliveryQueue<string>({ scheduler, logger: captureLogger().logger });
    const down = scriptedDestination("down", ["fail", "fail", "fail", "fail"]);
    const up = scriptedDestination("up", []);
    queue.enqueue(down.dest(scheduler), "d");
    for (const p of ["u1", "u2"]) queue.enqueue(up.dest(scheduler), p);
    await driveVirtualTime(scheduler, { busy: () => queue.inFlight > 0, done: () => up.sent.length === 2 });
    expect(up.sent.map((s) => s.at)).toEqual([0, 0]);
    await driveVirtualTime(scheduler, { busy: () => queue.inFlight > 0, done: () => queue.pending === 0 });
    expect(queue.status().destinations.map((d) => [d.destination, d.delivered, d.retried])).toEqual([
      ["down", 1, 4],
      ["up", 2, 0],
    ]);
  });

  it("backs off exponentially with jitter, capped", () => {
    const opts = (r: number) => ({ initialMs: 1000, maxMs: 60_000, random: () => r });
    expect([1, 2, 3, 4].map((a) => backoffDelay(a, opts(1)))).toEqual([1000, 2000, 4000, 8000]);
    expect([1, 2, 3].map((a) => backoffDelay(a, opts(0)))).toEqual([500, 1000, 2000]);
    expect(backoffDelay(30, opts(1))).toBe(60_000);
    expect(backoffDelay(30, opts(0))).toBe(30_000);
  });

  it("reads Retry-After in seconds or as a date", () => {
    expect(parseRetryAfter("30")).toBe(30_000);
    expect(parseRetryAfter("1.5")).toBe(1500);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });

  it("redacts destinations and strips secrets from free text", () => {
    expect(redactDestination("https://hooks.slack.com/services/T0001/B0002/XXXX")).toBe(
      "hooks.slack.com/services/T***",
    );
    expect(redactDestination("https://abc123key@o1.ingest.sentry.io/4501")).toBe(
      "o1.ingest.sentry.io/4501 (key ***)",
    );
    expect(redactDestination("not a url")).toBe("***");
    const url = "https://hooks.slack.com/services/T0001/B0002/XXXX";
    expect(stripSecrets(`POST ${url} failed; path /services/T0001/B0002/XXXX`, [url])).toBe(
      "POST https://hooks.slack.com/*** failed; path /***",
    );
  });
});

describe("withDeliveryQueue (custom exporters)", () => {
  it("retries thrown errors, honours rate-limit errors, stops on PermanentDeliveryError", async () => {
    const scheduler = new VirtualTimeScheduler();
    const calls: Array<{ rule: string; at: number }> = [];
    const throws: unknown[] = [new Error("socket hang up"), new RateLimitedDeliveryError("slow down", 5000)];
    const inner: Exporter = {
      configured: true,
      accepts: new Set<Item["kind"]>(["alert"]),
      async export(batch) {
        const item = batch[0];
        calls.push({ rule: item?.kind === "alert" ? item.rule : "?", at: scheduler.now() });
        if (item?.kind === "alert" && item.rule === "bad") throw new PermanentDeliveryError("rejected", 422);
        const next = throws.shift();
        if (next) throw next;
      },
      async shutdown() {},
      status: () => ({ custom: true }),
    };
    const wrapped = withDeliveryQueue(inner, {
      id: "webhook/custom",
      scheduler,
      logger: captureLogger().logger,
      random: () => 0,
    });
    await wrapped.export([alert({ rule: "a" }), alert({ rule: "bad" }), alert({ rule: "b" })]);
    await driveVirtualTime(scheduler, {
      busy: () => wrapped.queue.inFlight > 0,
      done: () => wrapped.queue.pending === 0,
    });
    expect(calls.map((c) => [c.rule, c.at])).toEqual([
      ["a", 0],
      ["a", 500],
      ["a", 5500],
      // After a Retry-After wait the lane restarts at the sustained rate (1/s), not with a burst.
      ["bad", 6500],
      ["b", 7500],
    ]);
    expect(wrapped.status?.()).toMatchObject({
      custom: true,
      delivery: { delivered: 2, failed: 1, retried: 2 },
    });
    await wrapped.shutdown();
  });
});
