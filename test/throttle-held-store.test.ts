// Held alerts in the store, under a storm: written incrementally (O(1) per held or released alert,
// never the whole list again), bounded by max_held_alerts (the rest counted per rule and status,
// never dropped), and still restored across a restart — also from the one-entry format of earlier
// versions.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type ThrottleProcessor, throttleFactory, throttleHeldNamespace } from "../processors/throttle.ts";
import { digestCount } from "../src/signal.ts";
import { SqliteStateStore } from "../src/state/sqlite-store.ts";
import type { StateStore } from "../src/state/store.ts";
import { type Wired, wire } from "./state-processors-support.ts";
import { alert } from "./support/alerts.ts";
import { SEC, VirtualClock } from "./support/virtual-clock.ts";

let dir: string;
let path: string;
const open: SqliteStateStore[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "alertpipe-held-"));
  path = join(dir, "state.db");
});
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A process on the state file: its own clock and connection; `written` counts bytes of held-alert writes. */
function boot(at: number, instanceId: string) {
  const clock = new VirtualClock();
  clock.advanceTo(at);
  const sqlite = new SqliteStateStore({ path, instanceId });
  open.push(sqlite);
  const written = { bytes: 0, writes: 0 };
  const state = new Proxy(sqlite, {
    get(target, key, receiver) {
      if (key === "set") {
        return (ns: string, k: string, value: unknown, options?: unknown) => {
          if (ns.startsWith("throttle.held/")) {
            written.writes++;
            written.bytes += JSON.stringify(value).length;
          }
          return target.set(ns, k, value as never, options as never);
        };
      }
      const v = Reflect.get(target, key, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
  }) as StateStore;
  return { clock, state, scheduler: clock.scheduler, written, sqlite };
}

const host = (i: number) => alert(`memory_usage{host=${i}}`, "firing", { labels: { "host.name": `h${i}` } });
const config = { window: 60, max_per_window: 2, max_digest_alerts: 40, max_held_alerts: 100 };

describe("throttle: held alerts under a storm", () => {
  it("stores each held alert once: the bytes written grow linearly, not with the square of the list", async () => {
    const p = boot(0, "a");
    const t = await wire<unknown, ThrottleProcessor>(
      throttleFactory,
      { ...config, max_held_alerts: 5000 },
      p,
    );
    for (let i = 0; i < 2; i++) t.input.next(host(i));
    const one = JSON.stringify(host(0)).length;
    for (let i = 2; i < 2002; i++) t.input.next(host(i));
    expect(t.processor.status().held).toBe(2000);
    // 2000 held: one entry each plus the hold record (main rewrote the whole list every time: ~2000²/2 alerts).
    expect(p.written.writes).toBeLessThanOrEqual(2000 + 2);
    expect(p.written.bytes).toBeLessThan(2000 * (one + 200));
    p.clock.advanceTo(60 * SEC);
    // Released: 2 digests of 40 (the window allows 2) and their entries removed one by one.
    expect(t.digests().map(digestCount)).toEqual([40, 40]);
    const stored = p.sqlite.list(throttleHeldNamespace("p"), 60 * SEC);
    expect(stored.filter((e) => e.key.split("\u001f")[2]?.startsWith("a"))).toHaveLength(1920);
  });

  it("past max_held_alerts counts them per rule and status; the count survives a restart", async () => {
    const first = boot(0, "a");
    const a = await wire<unknown, ThrottleProcessor>(throttleFactory, config, first);
    for (let i = 0; i < 302; i++) a.input.next(host(i));
    a.input.next(
      alert("disk_usage{host=1}", "firing", { severity: "critical", labels: { "host.name": "h1" } }),
    );
    expect(a.processor.status()).toMatchObject({ held: 301, held_summarised: 201, max_held_alerts: 100 });
    a.subscription.unsubscribe(); // crash: no shutdown flush

    const second = boot(10 * SEC, "b");
    const b = await wire<unknown, ThrottleProcessor>(throttleFactory, config, second);
    expect(b.processor.status()).toMatchObject({ held: 301, held_summarised: 201 });
    second.clock.advanceTo(60 * SEC);
    const [firstDigest, secondDigest] = b.digests();
    expect(firstDigest?.alerts).toHaveLength(40);
    expect(firstDigest?.summarised).toEqual([
      {
        rule: "memory_usage",
        status: "firing",
        severity: "warning",
        count: 200,
        examples: [102, 103, 104, 105, 106].map((i) => ({ "host.name": `h${i}` })),
      },
      {
        rule: "disk_usage",
        status: "firing",
        severity: "critical",
        count: 1,
        examples: [{ "host.name": "h1" }],
      },
    ]);
    expect(secondDigest?.summarised).toBeUndefined();
    second.clock.advanceTo(5 * 60 * SEC);
    // Everything accounted for: listed, or counted in a summary line.
    expect(b.digests().reduce((n, d) => n + digestCount(d), 0)).toBe(301);
    expect(b.processor.status().held).toBe(0);
  });

  it("adopts a held list stored by an earlier version in one entry", async () => {
    const first = boot(0, "old");
    first.state.set(throttleHeldNamespace("p"), "default\u001fold", {
      route: "default",
      heldSince: 0,
      savedAtMs: 0,
      alerts: [host(1), host(2), host(3)],
    } as never);
    const second = boot(5 * SEC, "new");
    const b: Wired<ThrottleProcessor> = await wire(throttleFactory, config, second);
    expect(b.processor.status().held).toBe(3);
    second.clock.advanceTo(6 * SEC);
    expect(b.digests()[0]?.alerts.map((x) => x.labels["host.name"])).toEqual(["h1", "h2", "h3"]);
    expect(second.sqlite.list(throttleHeldNamespace("p"), 6 * SEC)).toEqual([]);
  });
});
