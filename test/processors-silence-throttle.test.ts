// The "while silenced" digest counts in the throttle's max_per_window like any other message: over
// the limit it is held whole (never dropped, never merged into another digest), sent when the
// window allows, flushed at shutdown, and on SQLite kept across a restart.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Subject, type Subscription } from "rxjs";
import { afterEach, describe, expect, it } from "vitest";
import { type SilenceProcessor, silenceFactory } from "../processors/silence.ts";
import { type ThrottleProcessor, throttleFactory } from "../processors/throttle.ts";
import type { Alert, Digest, Item } from "../src/signal.ts";
import { SilenceRegistry } from "../src/silences/registry.ts";
import { MemoryStateStore } from "../src/state/memory-store.ts";
import { SqliteStateStore } from "../src/state/sqlite-store.ts";
import type { StateStore } from "../src/state/store.ts";
import { create } from "./state-processors-support.ts";
import { alert } from "./support/alerts.ts";
import { MIN, VirtualClock } from "./support/virtual-clock.ts";

const health = (service: string, status: Alert["status"] = "firing") =>
  alert(`system_health{service.name="${service}"}`, status, {
    rule: "system_health",
    severity: "critical",
    labels: { "service.name": service },
  });

async function chain(state: StateStore, clock = new VirtualClock()) {
  const options = { scheduler: clock.scheduler, state };
  const silencer = await create<unknown, SilenceProcessor>(silenceFactory, {}, { ...options, id: "silence" });
  const throttle = await create<unknown, ThrottleProcessor>(
    throttleFactory,
    { window: 300, max_per_window: 1 },
    { ...options, id: "throttle" },
  );
  const input = new Subject<Item>();
  const out: string[] = [];
  const subscription: Subscription = input.pipe(silencer.operator, throttle.operator).subscribe((item) => {
    const at = `${clock.now() / MIN}m`;
    if (item.kind === "alert") out.push(`${at} ${item.status} ${item.labels["service.name"]}`);
    if (item.kind === "digest") {
      const d = item as Digest;
      out.push(`${at} digest(${d.alerts.length})${d.silence ? ` while silenced: ${d.silence.comment}` : ""}`);
    }
  });
  const silence = (minutes: number) =>
    SilenceRegistry.for(state).set(
      {
        matchers: [{ name: "service_name", value: "svc-x", isRegex: false, isEqual: true }],
        startsAt: clock.now(),
        endsAt: clock.now() + minutes * MIN,
        createdBy: "ops",
        comment: "db maintenance",
      },
      clock.now(),
    );
  return { clock, input, out, throttle, silencer, subscription, silence };
}

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe("the silence digest under the throttle", () => {
  it("takes a slot of max_per_window: over the limit it waits for the window, whole", async () => {
    const { clock, input, out, throttle, silence } = await chain(new MemoryStateStore());
    silence(30);
    input.next(health("svc-x"));
    clock.advanceTo(10 * MIN);
    input.next(health("svc-x", "resolved"));
    clock.advanceTo(29 * MIN);
    input.next(health("svc-y")); // the window's one slot, until 34m
    clock.advanceTo(30 * MIN); // the silence ends: its digest is over the limit
    expect(out).toEqual(["29m firing svc-y"]);
    expect(throttle.status()).toMatchObject({ held: 1, held_digests: 1, delayed_digests: 1 });
    clock.advanceTo(34 * MIN);
    expect(out).toEqual(["29m firing svc-y", "34m digest(1) while silenced: db maintenance"]);
    expect(throttle.status()).toMatchObject({ held: 0, held_digests: 0, sent_total: 2 });
    // …and it counts: an alert right after it waits a window.
    input.next(health("svc-z"));
    clock.advanceTo(38 * MIN);
    expect(out).toHaveLength(2);
    clock.advanceTo(39 * MIN);
    expect(out.at(-1)).toBe("39m firing svc-z");
  });

  it("is flushed at shutdown rather than lost", async () => {
    const { clock, input, out, throttle, silence } = await chain(new MemoryStateStore());
    silence(5);
    input.next(health("svc-x", "resolved"));
    clock.advanceTo(1 * MIN);
    input.next(health("svc-y")); // the slot until 6m
    clock.advanceTo(5 * MIN);
    expect(out).toEqual(["1m firing svc-y"]);
    await throttle.shutdown();
    expect(out).toEqual(["1m firing svc-y", "5m digest(1) while silenced: db maintenance"]);
  });

  it("held on SQLite, it survives a crash and goes out from the next process", async () => {
    dir = mkdtempSync(join(tmpdir(), "alertpipe-silence-throttle-"));
    const path = join(dir, "state.db");
    const first = await chain(new SqliteStateStore({ path }));
    first.silence(5);
    first.input.next(health("svc-x", "resolved"));
    first.clock.advanceTo(1 * MIN);
    first.input.next(health("svc-y")); // the slot until 6m
    first.clock.advanceTo(5 * MIN);
    expect(first.throttle.status()).toMatchObject({ held_digests: 1 });
    first.subscription.unsubscribe(); // crash: no shutdown

    const clock = new VirtualClock();
    clock.advanceTo(6 * MIN);
    const second = await chain(new SqliteStateStore({ path }), clock);
    clock.advanceTo(6 * MIN + 2000); // adopted at start, sent once the window (in the file) allows
    expect(second.out).toEqual(["6m digest(1) while silenced: db maintenance"]);
    expect(second.throttle.status()).toMatchObject({ held_digests: 0 });
  });
});
