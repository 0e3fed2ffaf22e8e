// The delivery lane keeps the throttle's window at send time: a stamped message starts only while
// fewer than `max` messages of its route reached the destination in the window (counted at their
// completion), its send re-stamps the throttle's admission, and the stamp survives a durable outbox.
import { randomUUID } from "node:crypto";
import { VirtualTimeScheduler } from "rxjs";
import { describe, expect, it } from "vitest";
import { type DeliveryDestination, DeliveryQueue } from "../src/delivery/queue.ts";
import { partWindow, storeSendLog, windowWaitMs } from "../src/delivery/send-window.ts";
import { StoreOutbox } from "../src/delivery/store-outbox.ts";
import { defaultScrubber } from "../src/scrub/scrub.ts";
import type { SendWindow } from "../src/signal.ts";
import { MemoryStateStore } from "../src/state/memory-store.ts";
import { SqliteStateStore } from "../src/state/sqlite-store.ts";
import { captureLogger } from "./support/capture-logger.ts";
import { alert } from "./support/notice-fixtures.ts";
import { busiestWindow } from "./support/storm.ts";
import { driveVirtualTime } from "./support/virtual-time.ts";

const WINDOW: SendWindow = { route: "default", id: "", windowMs: 10_000, max: 3 };
const stamp = (id: string): SendWindow => ({ ...WINDOW, id });

/** A destination that fails its first `failures` attempts (transient) and records when each landed. */
function destination(scheduler: VirtualTimeScheduler, failures = 0) {
  const landed: Array<{ payload: string; at: number }> = [];
  let attempts = 0;
  const dest: DeliveryDestination<string> = {
    key: "slack:default",
    label: "slack",
    async send(payload) {
      if (attempts++ < failures) return { ok: false, kind: "transient", reason: "503", status: 503 };
      landed.push({ payload, at: scheduler.now() });
      return { ok: true, status: 200 };
    },
  };
  return { dest, landed };
}

function queueOn(scheduler: VirtualTimeScheduler, store = new MemoryStateStore()) {
  const log = captureLogger();
  const queue = new DeliveryQueue<string>({
    scheduler,
    logger: log.logger,
    ratePerSecond: 100,
    burst: 100,
    initialBackoffMs: 2000,
    random: () => 1,
    sendLog: storeSendLog(store, log.logger),
  });
  return { queue, store, log };
}

const settle = (scheduler: VirtualTimeScheduler, queue: DeliveryQueue<string>) =>
  driveVirtualTime(scheduler, { busy: () => queue.inFlight > 0, done: () => queue.pending === 0 });

describe("delivery lane: the throttle window at send time", () => {
  it("waits until fewer than max landed in the window, counting from when they landed", async () => {
    const scheduler = new VirtualTimeScheduler();
    const { queue, store } = queueOn(scheduler);
    // The throttle admitted three at t=0; the first needs a retry and lands 2 s later.
    for (const id of ["a", "b", "c"]) store.throttleAdmit("default", 0, WINDOW.windowMs, WINDOW.max, id);
    const { dest, landed } = destination(scheduler, 1);
    for (const id of ["a", "b", "c", "d", "e"]) queue.enqueue(dest, id, { window: stamp(id) });
    await driveVirtualTime(scheduler, { busy: () => queue.inFlight > 0, done: () => landed.length === 3 });
    // Each send re-stamped its admission: the throttle's window now says when they went out.
    expect(store.throttleWindow("default", 2000, WINDOW.windowMs)).toEqual([2000, 2000, 2000]);
    await settle(scheduler, queue);
    expect(landed.map((l) => [l.payload, l.at])).toEqual([
      ["a", 2000],
      ["b", 2000],
      ["c", 2000],
      // Not at 10 s (a window after the admissions): a window after they reached the destination.
      ["d", 12_000],
      ["e", 12_000],
    ]);
    expect(
      busiestWindow(
        landed.map((l) => l.at),
        WINDOW.windowMs,
      ),
    ).toBeLessThanOrEqual(WINDOW.max);
  });

  it("does not hold unstamped messages", async () => {
    const scheduler = new VirtualTimeScheduler();
    const { queue } = queueOn(scheduler);
    const { dest, landed } = destination(scheduler);
    for (let i = 0; i < 6; i++) queue.enqueue(dest, `m${i}`);
    await settle(scheduler, queue);
    expect(landed.every((l) => l.at === 0)).toBe(true);
  });

  it("counts every part of a notice rendered as several messages", async () => {
    const scheduler = new VirtualTimeScheduler();
    const { queue } = queueOn(scheduler);
    const { dest, landed } = destination(scheduler);
    for (let part = 0; part < 5; part++)
      queue.enqueue(dest, `part${part}`, { window: partWindow(stamp("x"), part) });
    await settle(scheduler, queue);
    expect(landed.map((l) => l.at)).toEqual([0, 0, 0, 10_000, 10_000]);
    expect(partWindow(stamp("x"), 0)?.id).toBe("x");
    expect(partWindow(stamp("x"), 2)?.id).toBe("x#2");
  });

  it("shutdown on a memory outbox sends what the window still holds (with a warning) rather than lose it", async () => {
    const scheduler = new VirtualTimeScheduler();
    const { queue, log } = queueOn(scheduler);
    const { dest, landed } = destination(scheduler);
    for (let i = 0; i < 5; i++) queue.enqueue(dest, `m${i}`, { window: stamp(`m${i}`) });
    await driveVirtualTime(scheduler, { busy: () => queue.inFlight > 0, done: () => landed.length === 3 });
    let report: Awaited<ReturnType<typeof queue.shutdown>> | undefined;
    const stopping = queue.shutdown(1000).then((r) => {
      report = r;
    });
    await driveVirtualTime(scheduler, { busy: () => queue.inFlight > 0, done: () => report !== undefined });
    await stopping;
    expect(landed.map((l) => l.payload)).toEqual(["m0", "m1", "m2", "m3", "m4"]);
    expect(report?.pending).toBe(0);
    expect(log.lines.join("\n")).toMatch(/shutdown: sending a message its throttle window would still hold/);
  });

  it("keeps the stamp through a durable outbox (restored entries are still paced)", async () => {
    const scheduler = new VirtualTimeScheduler();
    const store = new SqliteStateStore({ path: ":memory:" });
    const outbox = new StoreOutbox<string>({ store, scheduler, prefix: "slack:", owner: "me" });
    await outbox.onEnqueue({
      id: "r1",
      destination: "slack:default",
      payload: "m",
      enqueuedAt: 0,
      window: stamp("x"),
    });
    expect((await outbox.pending())[0]).toMatchObject({ id: "r1", window: stamp("x") });
    await store.close();
  });

  it("the stamp passes the scrubber untouched (ids are UUIDs, the route an identifier)", () => {
    const window: SendWindow = { route: "default", id: randomUUID(), windowMs: 300_000, max: 10 };
    const item = { ...alert({ summary: "mail jane@example.com" }), sendWindow: window };
    const scrubbed = defaultScrubber.item(item);
    expect(scrubbed.summary).not.toMatch(/jane/);
    expect(scrubbed.sendWindow).toEqual(window);
  });

  it("computes the wait from the send times in the window", () => {
    expect(windowWaitMs([], WINDOW, 5)).toBe(0);
    expect(windowWaitMs([1, 2], WINDOW, 5)).toBe(0);
    expect(windowWaitMs([1, 2, 3], WINDOW, 5)).toBe(9996);
    expect(windowWaitMs([1, 2, 3, 4], WINDOW, 5)).toBe(9997);
  });
});
