// Contract of the outbox additions the delivery outbox relies on, on every backend (memory, SQLite
// file, Redis raw and through openStateStore): the idempotent enqueue (`dedupe` key, also while
// degraded) and in-order claims (stop at an entry another holder leases).
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStateStore } from "../src/state/open.ts";
import type { StateStore } from "../src/state/store.ts";
import { requireRedis } from "./state-redis-support.ts";
import { stateBackends } from "./support/state-backends.ts";

const logger = pino({ level: "silent" });
const redis = await requireRedis();

const backends = stateBackends(redis);

describe.each(backends)("idempotent enqueue: $name", (backend) => {
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

  it("collapses a repeated key within its ttl, and accepts it again once the ttl passed", async () => {
    const dedupe = { key: "fp1|firing|1000|0", ttlMs: 10_000 };
    const first = await store.enqueue("slack:default", { n: 1 }, 1000, dedupe);
    expect(first).not.toBe("");
    expect(await store.enqueue("slack:default", { n: 2 }, 5000, dedupe)).toBe("");
    // Even after delivery the key is remembered: a late twin of a delivered notice is not re-sent.
    await store.claim("slack:default", "a", 30_000, 1, 6000);
    await store.ack(first);
    expect(await store.enqueue("slack:default", { n: 3 }, 10_999, dedupe)).toBe("");
    expect(await store.pending("slack:default")).toEqual([]);
    const later = await store.enqueue("slack:default", { n: 4 }, 11_000, dedupe);
    expect(later).not.toBe("");
    expect((await store.pending("slack:default")).map((e) => e.payload)).toEqual([{ n: 4 }]);
  });

  it("keeps distinct keys and keyless enqueues apart, in order", async () => {
    await store.enqueue("d", "a", 0, { key: "k1", ttlMs: 60_000 });
    await store.enqueue("d", "b", 1, { key: "k2", ttlMs: 60_000 });
    await store.enqueue("d", "c", 2);
    await store.enqueue("d", "c", 3);
    expect(await store.enqueue("d", "a again", 4, { key: "k1", ttlMs: 60_000 })).toBe("");
    expect((await store.pending("d")).map((e) => e.payload)).toEqual(["a", "b", "c", "c"]);
  });
});

describe.each(backends)("in-order claim: $name", (backend) => {
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

  it("stops at the oldest entry under a live lease instead of overtaking it", async () => {
    for (const p of ["m0", "m1", "m2"]) await store.enqueue("d", p, 0);
    const [head] = await store.claim("d", "dead", 1000, 1, 0, { inOrder: true });
    expect(head?.payload).toBe("m0");
    expect(await store.claim("d", "b", 1000, 1, 500, { inOrder: true })).toEqual([]);
    // Without the option the next free entry is handed out (the original contract).
    expect((await store.claim("d", "c", 1000, 1, 500)).map((e) => e.payload)).toEqual(["m1"]);
    // Once the dead holder's lease ran out the head comes first again; m1 (c's, still leased) blocks m2.
    const taken = await store.claim("d", "b", 1000, 3, 1000, { inOrder: true });
    expect(taken.map((e) => [e.payload, e.attempts])).toEqual([["m0", 2]]);
    await store.ack(taken[0]?.id ?? "");
    expect(await store.claim("d", "b", 1000, 3, 1200, { inOrder: true })).toEqual([]);
    expect((await store.claim("d", "b", 1000, 3, 1500, { inOrder: true })).map((e) => e.payload)).toEqual([
      "m1",
      "m2",
    ]);
  });
});

describe("idempotent enqueue while Redis is unreachable", () => {
  it("dedupes locally on the fallback store and still delivers", async () => {
    const store = await openStateStore("redis://127.0.0.1:1/0", { logger });
    try {
      const dedupe = { key: "k", ttlMs: 60_000 };
      const id = await store.enqueue("d", "x", 0, dedupe);
      expect(id).toMatch(/^local:/);
      expect(await store.enqueue("d", "x", 1, dedupe)).toBe("");
      expect(store.status().degraded).toBe(true);
      expect((await store.claim("d", "me", 1000, 10, 2)).map((e) => e.id)).toEqual([id]);
    } finally {
      await store.close();
    }
  });
});
