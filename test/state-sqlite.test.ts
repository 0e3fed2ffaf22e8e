// SQLite durability: data survives reopen and a crash (no close), outbox order is kept across
// restarts, and a v0 file (the layout from before versioning) migrates without loss.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStateStore } from "../src/state/open.ts";
import { readSchemaVersion } from "../src/state/sqlite-schema.ts";
import { SqliteStateStore } from "../src/state/sqlite-store.ts";

let dir: string;
let file: string;
const open: SqliteStateStore[] = [];

function openStore(): SqliteStateStore {
  const store = new SqliteStateStore({ path: file });
  open.push(store);
  return store;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "alertpipe-sqlite-"));
  file = join(dir, "nested", "state.db");
});
afterEach(async () => {
  for (const store of open.splice(0)) await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("SQLite state file", () => {
  it("keeps everything across close and reopen", async () => {
    const first = openStore();
    first.set("escalation", "fp1", { firstNoticeMs: 1000 });
    expect(first.tryAcquireCooldown("fp1", 600_000, 0)).toBe(true);
    expect(first.throttleAdmit("slack", 10, 60_000, 2, "m1")).toBe(true);
    const id = first.enqueue("slack", { text: "disk full" }, 20);
    await first.close();

    const second = openStore();
    expect(second.get("escalation", "fp1", 30)).toEqual({ firstNoticeMs: 1000 });
    expect(second.tryAcquireCooldown("fp1", 900_000, 30)).toBe(false);
    expect(second.throttleWindow("slack", 30, 60_000)).toEqual([10]);
    expect(second.pending("slack").map((entry) => [entry.id, entry.payload])).toEqual([
      [id, { text: "disk full" }],
    ]);
  });

  it("survives a crash: a second connection sees every committed write of an unclosed one", () => {
    const crashed = openStore();
    for (let i = 0; i < 20; i++) crashed.enqueue(i % 2 ? "slack" : "sentry", { n: i }, i);
    crashed.claim("slack", "dead-instance", 60_000, 3, 100);
    crashed.fail(crashed.pending("sentry")[0]?.id ?? "", "400 bad request", 101);
    // No close(): the process "dies" here. A restarted instance opens the same file.
    const restarted = openStore();
    expect(restarted.listDestinations()).toEqual(["sentry", "slack"]);
    expect(restarted.pending("slack").map((entry) => entry.payload)).toEqual(
      [1, 3, 5, 7, 9, 11, 13, 15, 17, 19].map((n) => ({ n })),
    );
    expect(restarted.deadLetters().map((dead) => [dead.payload, dead.reason])).toEqual([
      [{ n: 0 }, "400 bad request"],
    ]);
    // The dead instance's claims are taken over once their lease expires, oldest first.
    expect(restarted.claim("slack", "new-instance", 60_000, 10, 1000).map((entry) => entry.payload)).toEqual(
      [7, 9, 11, 13, 15, 17, 19].map((n) => ({ n })),
    );
    const resumed = restarted.claim("slack", "new-instance", 60_000, 10, 60_100);
    expect(resumed.map((entry) => [entry.payload, entry.attempts])).toEqual([
      [{ n: 1 }, 2],
      [{ n: 3 }, 2],
      [{ n: 5 }, 2],
    ]);
  });

  it("preserves outbox order per destination after reopen, and new entries go after old ones", async () => {
    const first = openStore();
    const before = [0, 1, 2].map((n) => first.enqueue("slack", { n }, n));
    first.ack(before[0] ?? "");
    await first.close();
    const second = openStore();
    second.enqueue("slack", { n: 3 }, 3);
    const claimed = second.claim("slack", "me", 1000, 10, 10);
    expect(claimed.map((entry) => entry.payload)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(claimed.map((entry) => entry.seq)).toEqual(
      [...claimed.map((entry) => entry.seq)].sort((a, b) => a - b),
    );
  });

  it("two connections on one file never claim the same entry", () => {
    const a = openStore();
    const b = openStore();
    for (let i = 0; i < 50; i++) a.enqueue("slack", i, i);
    const seen = new Set<string>();
    for (let round = 0; round < 10; round++) {
      for (const entry of [
        ...a.claim("slack", "a", 60_000, 3, 100),
        ...b.claim("slack", "b", 60_000, 3, 100),
      ]) {
        expect(seen.has(entry.id)).toBe(false);
        seen.add(entry.id);
      }
    }
    expect(seen.size).toBe(50);
  });

  it("migrates a v0 file (no meta table) to the current schema without loss", () => {
    // Written as the pre-versioning release laid it out: kv and outbox tables only.
    const old = new DatabaseSync(file.replace("nested/", ""));
    file = file.replace("nested/", "");
    old.exec(`
      CREATE TABLE kv (namespace TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (namespace, key));
      CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, destination TEXT NOT NULL,
                           payload TEXT NOT NULL, created_at INTEGER NOT NULL);
      INSERT INTO kv VALUES ('baseline', 'series-1', '{"last":41.5}'), ('escalation', 'fp', '[1,2]');
      INSERT INTO outbox (destination, payload, created_at) VALUES
        ('slack', '{"text":"first"}', 100), ('slack', '{"text":"second"}', 200), ('sentry', '"e"', 150);`);
    old.close();

    const store = openStore();
    expect(store.migratedFrom).toBe(0);
    expect(store.status().schema_version).toBe(1);
    expect(store.list("baseline", 0)).toEqual([{ key: "series-1", value: { last: 41.5 } }]);
    expect(store.get("escalation", "fp", 0)).toEqual([1, 2]);
    expect(
      store.pending("slack").map((entry) => [entry.payload, entry.enqueuedAtMs, entry.attempts]),
    ).toEqual([
      [{ text: "first" }, 100, 0],
      [{ text: "second" }, 200, 0],
    ]);
    expect(store.claim("sentry", "me", 1000, 5, 300).map((entry) => entry.payload)).toEqual(["e"]);
    expect(store.tryAcquireCooldown("fp", 1000, 0)).toBe(true);
    const check = new DatabaseSync(file);
    expect(readSchemaVersion(check)).toBe(1);
    check.close();
  });

  it("refuses a file written by a newer schema instead of corrupting it", () => {
    openStore();
    const newer = new DatabaseSync(file);
    newer.exec("UPDATE meta SET value = '99' WHERE key = 'schema_version'");
    newer.close();
    expect(() => new SqliteStateStore({ path: file })).toThrow(/schema_version 99, newer/);
  });

  it("is opened by the factory from `sqlite:PATH`, relative to the base directory", async () => {
    const store = await openStateStore("sqlite:.alertpipe/state.db", {
      logger: pino({ level: "silent" }),
      baseDir: dir,
      instanceId: "test-1",
    });
    store.set("ns", "k", 1);
    expect(store.status()).toMatchObject({
      backend: "sqlite",
      location: join(dir, ".alertpipe", "state.db"),
      instance_id: "test-1",
      degraded: false,
    });
    await store.close();
  });
});
