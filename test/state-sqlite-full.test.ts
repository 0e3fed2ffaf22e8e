// The SQLite store when its file cannot be written: SQLITE_FULL (a size cap on the file, the same
// error a full disk gives) makes the store degraded with a reason and one error log naming the path
// and code; new outbox entries are kept and delivered from memory and written to the file once space
// is freed. A file with a corrupt page is refused at open, naming it.
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStateStore } from "../src/state/open.ts";
import { GuardedSqliteStore } from "../src/state/sqlite-guard.ts";
import { SqliteStateStore } from "../src/state/sqlite-store.ts";
import { storeReadiness } from "../src/state/store.ts";
import { captureLogger } from "./support/capture-logger.ts";

let dir: string;
let path: string;
const closing: Array<{ close(): Promise<void> }> = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "alertpipe-full-"));
  path = join(dir, "state.db");
});
afterEach(async () => {
  for (const store of closing.splice(0)) await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Fill the capped file (key-value rows and outbox rows of a filler destination) until not even a
 * small row fits; returns what frees the space again.
 */
function fill(
  file: SqliteStateStore,
): (store: { delete(ns: string, key: string): unknown; ack(id: string): unknown }) => void {
  const keys: string[] = [];
  const entries: string[] = [];
  const untilFull = (write: (size: number) => void) => {
    for (const size of [2000, 200, 20, 1]) {
      for (;;) {
        try {
          write(size);
        } catch (error) {
          expect((error as Error).message).toBe("database or disk is full");
          break;
        }
      }
    }
  };
  untilFull((size) => {
    const key = `k${keys.length}`;
    file.set("filler", key, "x".repeat(size));
    keys.push(key);
  });
  untilFull((size) => entries.push(file.enqueue("filler", "x".repeat(size), 0)));
  return (store) => {
    for (const key of keys) store.delete("filler", key);
    for (const id of entries) store.ack(id);
  };
}

describe("SQLite store on a full disk", () => {
  it("reports the real error, not a failed rollback", () => {
    const file = new SqliteStateStore({ path, maxSizeBytes: 64 * 1024 });
    closing.push(file);
    fill(file);
    // A deduplicated enqueue runs in a transaction that SQLite rolls back by itself.
    expect(() => file.enqueue("slack:default", { n: 1 }, 0, { key: "k", ttlMs: 1000 })).toThrow(
      /^database or disk is full$/,
    );
  });

  it("degrades with the reason, keeps notices in memory, and saves them once space is freed", () => {
    const { logger, records } = captureLogger("info");
    const file = new SqliteStateStore({ path, maxSizeBytes: 64 * 1024, instanceId: "i1" });
    let clock = 0;
    const store = new GuardedSqliteStore(file, { logger, now: () => clock });
    closing.push(store);
    const before = store.enqueue("slack:default", { n: 0 }, 0);
    const free = fill(file);
    expect(store.status().degraded).toBe(false);

    // Thirty notices arrive while nothing can be written: each is accepted, none is lost.
    clock = 10;
    const ids = Array.from({ length: 30 }, (_, i) => store.enqueue("slack:default", { n: i + 1 }, 10 + i));
    expect(ids.every((id) => id.startsWith("mem:"))).toBe(true);
    const status = store.status();
    expect(status).toMatchObject({ backend: "sqlite", degraded: true, unsaved: 30, degraded_since_ms: 10 });
    expect(status.degraded_reason).toBe(`cannot write ${path}: SQLITE_FULL (13): database or disk is full`);
    expect(storeReadiness(status)).toEqual({ ready: false, reason: status.degraded_reason });
    const errors = records().filter((r) => r.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ path, errno: 13, code: "SQLITE_FULL", op: "enqueue" });
    expect(JSON.stringify(records())).not.toContain("cannot rollback");
    // Other writes say so too (processors then decide locally), without another error line.
    clock = 50;
    expect(() =>
      store.set("escalation", "fp", { note: "x".repeat(5000) }, { ttlMs: 1000, nowMs: 50 }),
    ).toThrow(/full/);
    expect(records().filter((r) => r.level === 50)).toHaveLength(1);

    // Delivery goes on, oldest first: the entry on file, then the ones held in memory.
    expect(store.pendingCount("slack:default")).toBe(31);
    const [first] = store.claim("slack:default", "i1/slack", 30_000, 1, 100, { inOrder: true });
    expect(first?.id).toBe(before);
    store.ack(before);
    const [second] = store.claim("slack:default", "i1/slack", 30_000, 1, 200, { inOrder: true });
    expect(second?.payload).toEqual({ n: 1 });
    store.ack(second?.id ?? "");
    const [third] = store.claim("slack:default", "i1/slack", 30_000, 1, 300, { inOrder: true });
    store.fail(third?.id ?? "", "invalid_payload (400)", 300);
    expect(store.status().unsaved).toBe(29);
    expect(store.deadLetters().map((dead) => [dead.payload, dead.reason])).toEqual([
      [{ n: 2 }, "invalid_payload (400)"],
    ]);

    // Space is freed; within a second of the caller's clock the store writes what it held, and once
    // writes have gone through for five seconds it counts as healthy again.
    free(store);
    expect(store.pendingCount("slack:default")).toBe(28);
    clock = 1500;
    expect(store.status()).toMatchObject({ degraded: true, dead_letters: 1 });
    expect(store.status()).not.toHaveProperty("unsaved");
    clock = 5100;
    store.pendingCount("slack:default");
    store.pendingCount("slack:default");
    expect(store.status()).toMatchObject({ degraded: false, dead_letters: 1 });
    expect(store.status()).not.toHaveProperty("unsaved");
    expect(store.status()).not.toHaveProperty("degraded_since_ms");
    expect(
      records().some((r) => r.msg === "state store writable again: notices held in memory are saved"),
    ).toBe(true);
    // Another process opening the file sees them, in their order: a crash now loses nothing.
    const reader = new SqliteStateStore({ path });
    closing.push(reader);
    expect(reader.pending("slack:default").map((entry) => (entry.payload as { n: number }).n)).toEqual(
      Array.from({ length: 28 }, (_, i) => i + 3),
    );
    expect(reader.deadLetters().map((dead) => dead.reason)).toEqual(["invalid_payload (400)"]);
  });
});

describe("SQLite state file checks at open", () => {
  it("refuses a file with a corrupt page, naming it", async () => {
    const file = new SqliteStateStore({ path });
    for (let i = 0; i < 200; i++) file.set("kv", `key-${i}`, "x".repeat(200));
    for (let i = 0; i < 200; i++) file.enqueue("slack:default", { text: "y".repeat(200) }, i);
    await file.close();
    expect(statSync(path).size).toBeGreaterThan(8 * 4096);
    const fd = openSync(path, "r+");
    writeSync(fd, Buffer.alloc(4096, 0x5a), 0, 4096, 3 * 4096);
    closeSync(fd);
    const { logger } = captureLogger();
    await expect(openStateStore(`sqlite:${path}`, { logger })).rejects.toThrow(
      new RegExp(
        `^state file ${path}: is corrupt \\(.*Tree \\d+ page 4: .*\\): restore it from a backup or move it aside`,
      ),
    );
  });

  it("refuses a path it cannot create, at once", async () => {
    const { logger } = captureLogger();
    await expect(openStateStore("sqlite:/proc/alertpipe/state.db", { logger })).rejects.toThrow(
      "state file /proc/alertpipe/state.db: cannot create directory /proc/alertpipe (ENOENT)",
    );
    await expect(openStateStore("sqlite:/proc/alertpipe.db", { logger })).rejects.toThrow(
      /^state file \/proc\/alertpipe\.db: /,
    );
    await expect(openStateStore(`sqlite:${dir}`, { logger })).rejects.toThrow(
      `state file ${dir}: exists and is not a regular file`,
    );
  });
});
