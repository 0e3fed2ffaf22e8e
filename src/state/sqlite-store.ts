// The `sqlite:PATH` backend: one WAL-mode file via Node 22's synchronous DatabaseSync, so every
// operation answers synchronously and survives a process crash (each call commits before returning).
// Storage failures (disk full, I/O errors) are thrown as SQLite reports them; GuardedSqliteStore
// turns them into a degraded store that keeps undelivered notices in memory.
import { DatabaseSync, type SQLOutputValue, type StatementSync } from "node:sqlite";
import { checkIntegrity, describeSqliteError, prepareStatePath, StateFileError } from "./sqlite-file.ts";
import { migrate } from "./sqlite-schema.ts";
import {
  type ClaimOptions,
  type DeadLetter,
  type EnqueueDedupe,
  type JsonValue,
  type KeyValueEntry,
  type OutboxEntry,
  type SetOptions,
  STATE_SCHEMA_VERSION,
  type StateStore,
  type StateStoreStatus,
} from "./store.ts";

export interface SqliteStateStoreOptions {
  /** File path, or ":memory:". Parent directories are created; a corrupt file is refused. */
  readonly path: string;
  readonly instanceId?: string;
  /** How long a write waits for another connection's lock (ms). */
  readonly busyTimeoutMs?: number;
  /** Largest size the file may grow to; writes past it fail as on a full disk (SQLITE_FULL). */
  readonly maxSizeBytes?: number;
}

type Row = Record<string, SQLOutputValue>;

/** Reserved kv namespace of enqueue dedupe keys. */
const ENQUEUE_KEYS = "__alertpipe_outbox_keys";

export class SqliteStateStore implements StateStore {
  readonly backend = "sqlite" as const;
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #instanceId: string;
  readonly #stmt = new Map<string, StatementSync>();
  #enqueuesSincePurge = 0;
  /** Schema version the file had when opened (-1: new file). */
  readonly migratedFrom: number;

  constructor(options: SqliteStateStoreOptions) {
    this.path = options.path;
    this.#instanceId = options.instanceId ?? "local";
    prepareStatePath(options.path);
    try {
      this.#db = new DatabaseSync(options.path, { timeout: options.busyTimeoutMs ?? 5000 });
    } catch (error) {
      throw new StateFileError(options.path, `cannot be opened: ${describeSqliteError(error)}`);
    }
    try {
      checkIntegrity(this.#db, options.path);
      // WAL: readers never block the writer; NORMAL sync is crash-safe for process crashes in WAL mode.
      this.#db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;");
      this.migratedFrom = migrate(this.#db, options.path).from;
      if (options.maxSizeBytes !== undefined) {
        const pageSize = Number(this.#db.prepare("PRAGMA page_size").get()?.page_size ?? 4096);
        this.#db.exec(`PRAGMA max_page_count = ${Math.max(1, Math.floor(options.maxSizeBytes / pageSize))}`);
      }
    } catch (error) {
      this.#db.close();
      if (error instanceof StateFileError) throw error;
      throw new StateFileError(options.path, `cannot be used: ${describeSqliteError(error)}`);
    }
  }

  #q(sql: string): StatementSync {
    let statement = this.#stmt.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#stmt.set(sql, statement);
    }
    return statement;
  }

  /** Run `fn` in an immediate (write-locking) transaction, so read-modify-write steps are atomic. */
  #tx<T>(fn: () => T): T {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const result = fn();
      this.#db.exec("COMMIT");
      return result;
    } catch (error) {
      // SQLite rolls back by itself on SQLITE_FULL and I/O errors: keep their error, not ROLLBACK's.
      if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
      throw error;
    }
  }

  get(namespace: string, key: string, nowMs: number): JsonValue | undefined {
    const row = this.#q(
      "SELECT value FROM kv WHERE namespace = ? AND key = ? AND (expires_at IS NULL OR expires_at > ?)",
    ).get(namespace, key, nowMs);
    return row ? (JSON.parse(String(row.value)) as JsonValue) : undefined;
  }

  set(namespace: string, key: string, value: JsonValue, options?: SetOptions): void {
    const expiresAt = options ? options.nowMs + options.ttlMs : null;
    this.#q("INSERT OR REPLACE INTO kv (namespace, key, value, expires_at) VALUES (?, ?, ?, ?)").run(
      namespace,
      key,
      JSON.stringify(value),
      expiresAt,
    );
  }

  delete(namespace: string, key: string): void {
    this.#q("DELETE FROM kv WHERE namespace = ? AND key = ?").run(namespace, key);
  }

  list(namespace: string, nowMs: number): KeyValueEntry[] {
    try {
      this.#q("DELETE FROM kv WHERE namespace = ? AND expires_at IS NOT NULL AND expires_at <= ?").run(
        namespace,
        nowMs,
      );
    } catch {
      // Housekeeping only (a full disk refuses even deletes in WAL mode): the read below filters.
    }
    return this.#q(
      "SELECT key, value, expires_at FROM kv WHERE namespace = ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY key",
    )
      .all(namespace, nowMs)
      .map((row) => {
        const entry = { key: String(row.key), value: JSON.parse(String(row.value)) as JsonValue };
        return row.expires_at === null ? entry : { ...entry, expiresAtMs: Number(row.expires_at) };
      });
  }

  tryAcquireCooldown(fingerprint: string, untilMs: number, nowMs: number): boolean {
    // One statement: insert, or overwrite only an expired deadline; changes = 1 means acquired.
    const result = this.#q(
      `INSERT INTO cooldowns (fingerprint, until_ms) VALUES (?, ?)
       ON CONFLICT (fingerprint) DO UPDATE SET until_ms = excluded.until_ms WHERE until_ms <= ?`,
    ).run(fingerprint, untilMs, nowMs);
    return Number(result.changes) === 1;
  }

  getCooldown(fingerprint: string, nowMs: number): number | undefined {
    const row = this.#q("SELECT until_ms FROM cooldowns WHERE fingerprint = ? AND until_ms > ?").get(
      fingerprint,
      nowMs,
    );
    return row ? Number(row.until_ms) : undefined;
  }

  clearCooldown(fingerprint: string): void {
    this.#q("DELETE FROM cooldowns WHERE fingerprint = ?").run(fingerprint);
  }

  throttleAdmit(route: string, nowMs: number, windowMs: number, max: number, id: string): boolean {
    return this.#tx(() => {
      this.#q("DELETE FROM throttle WHERE route = ? AND at_ms <= ?").run(route, nowMs - windowMs);
      const known = this.#q("UPDATE throttle SET at_ms = max(at_ms, ?) WHERE route = ? AND id = ?").run(
        nowMs,
        route,
        id,
      );
      if (Number(known.changes) > 0) return true;
      const count = Number(this.#q("SELECT count(*) AS n FROM throttle WHERE route = ?").get(route)?.n ?? 0);
      if (count >= max) return false;
      this.#q("INSERT INTO throttle (route, id, at_ms) VALUES (?, ?, ?)").run(route, id, nowMs);
      return true;
    });
  }

  throttleWindow(route: string, nowMs: number, windowMs: number): number[] {
    return this.#q("SELECT at_ms FROM throttle WHERE route = ? AND at_ms > ? ORDER BY at_ms")
      .all(route, nowMs - windowMs)
      .map((row) => Number(row.at_ms));
  }

  enqueue(destination: string, payload: JsonValue, nowMs: number, dedupe?: EnqueueDedupe): string {
    const insert = () =>
      String(
        this.#q("INSERT INTO outbox (destination, payload, enqueued_at) VALUES (?, ?, ?)").run(
          destination,
          JSON.stringify(payload),
          nowMs,
        ).lastInsertRowid,
      );
    if (!dedupe) return insert();
    // Dedupe keys live in a reserved kv namespace (no schema change), checked and set with the insert.
    return this.#tx(() => {
      const claimed = this.#q(
        `INSERT INTO kv (namespace, key, value, expires_at) VALUES (?, ?, '1', ?)
         ON CONFLICT (namespace, key) DO UPDATE SET value = '1', expires_at = excluded.expires_at
         WHERE expires_at IS NOT NULL AND expires_at <= ?`,
      ).run(ENQUEUE_KEYS, dedupe.key, nowMs + dedupe.ttlMs, nowMs);
      if (Number(claimed.changes) !== 1) return "";
      if (++this.#enqueuesSincePurge >= 1000) {
        this.#enqueuesSincePurge = 0;
        this.#q("DELETE FROM kv WHERE namespace = ? AND expires_at <= ?").run(ENQUEUE_KEYS, nowMs);
      }
      return insert();
    });
  }

  /** Add an entry kept elsewhere meanwhile (a guard's memory), still claimed by its owner if given. */
  importEntry(entry: OutboxEntry): string {
    const claimed = entry.owner !== undefined;
    return String(
      this.#q(
        "INSERT INTO outbox (destination, payload, enqueued_at, attempts, owner, lease_until) VALUES (?, ?, ?, ?, ?, ?)",
      ).run(
        entry.destination,
        JSON.stringify(entry.payload),
        entry.enqueuedAtMs,
        entry.attempts,
        claimed ? (entry.owner ?? null) : null,
        claimed ? (entry.leaseUntilMs ?? null) : null,
      ).lastInsertRowid,
    );
  }

  claim(
    destination: string,
    owner: string,
    leaseMs: number,
    limit: number,
    nowMs: number,
    options?: ClaimOptions,
  ): OutboxEntry[] {
    return this.#tx(() => {
      const free = (row: Row) => row.owner === null || Number(row.lease_until) <= nowMs;
      let rows: Row[];
      if (options?.inOrder) {
        const head = this.#q("SELECT * FROM outbox WHERE destination = ? ORDER BY id LIMIT ?").all(
          destination,
          limit,
        );
        const stop = head.findIndex((row) => !free(row));
        rows = stop < 0 ? head : head.slice(0, stop);
      } else {
        rows = this.#q(
          `SELECT * FROM outbox WHERE destination = ? AND (owner IS NULL OR lease_until <= ?)
           ORDER BY id LIMIT ?`,
        ).all(destination, nowMs, limit);
      }
      const update = this.#q(
        "UPDATE outbox SET owner = ?, lease_until = ?, attempts = attempts + 1 WHERE id = ?",
      );
      return rows.map((row) => {
        update.run(owner, nowMs + leaseMs, row.id ?? null);
        return toOutboxEntry({
          ...row,
          owner,
          lease_until: nowMs + leaseMs,
          attempts: Number(row.attempts) + 1,
        });
      });
    });
  }

  renew(id: string, owner: string, leaseMs: number, nowMs: number): boolean {
    const result = this.#q("UPDATE outbox SET lease_until = ? WHERE id = ? AND owner = ?").run(
      nowMs + leaseMs,
      rowId(id),
      owner,
    );
    return Number(result.changes) === 1;
  }

  ack(id: string): void {
    this.#q("DELETE FROM outbox WHERE id = ?").run(rowId(id));
  }

  fail(id: string, reason: string, nowMs: number): void {
    this.#tx(() => {
      const row = this.#q("SELECT * FROM outbox WHERE id = ?").get(rowId(id));
      if (!row) return;
      this.#q(
        `INSERT OR REPLACE INTO dead_letters (id, destination, payload, reason, enqueued_at, failed_at, attempts)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        id,
        row.destination ?? "",
        row.payload ?? "null",
        reason,
        row.enqueued_at ?? 0,
        nowMs,
        row.attempts ?? 0,
      );
      this.#q("DELETE FROM outbox WHERE id = ?").run(rowId(id));
    });
  }

  release(id: string, owner: string): void {
    this.#q("UPDATE outbox SET owner = NULL, lease_until = NULL WHERE id = ? AND owner = ?").run(
      rowId(id),
      owner,
    );
  }

  pending(destination: string): OutboxEntry[] {
    return this.#q("SELECT * FROM outbox WHERE destination = ? ORDER BY id")
      .all(destination)
      .map(toOutboxEntry);
  }

  pendingCount(destination: string): number {
    return Number(this.#q("SELECT count(*) AS n FROM outbox WHERE destination = ?").get(destination)?.n ?? 0);
  }

  listDestinations(): string[] {
    return this.#q("SELECT DISTINCT destination FROM outbox ORDER BY destination")
      .all()
      .map((row) => String(row.destination));
  }

  deadLetters(destination?: string): DeadLetter[] {
    const rows =
      destination === undefined
        ? this.#q("SELECT * FROM dead_letters ORDER BY failed_at, rowid").all()
        : this.#q("SELECT * FROM dead_letters WHERE destination = ? ORDER BY failed_at, rowid").all(
            destination,
          );
    return rows.map((row) => ({
      id: String(row.id),
      destination: String(row.destination),
      payload: JSON.parse(String(row.payload)) as JsonValue,
      reason: String(row.reason),
      enqueuedAtMs: Number(row.enqueued_at),
      failedAtMs: Number(row.failed_at),
      attempts: Number(row.attempts),
    }));
  }

  /** Record a dead letter kept elsewhere meanwhile (a guard's memory while the file was full). */
  importDeadLetter(dead: DeadLetter): void {
    this.#q(
      `INSERT OR REPLACE INTO dead_letters (id, destination, payload, reason, enqueued_at, failed_at, attempts)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      dead.id,
      dead.destination,
      JSON.stringify(dead.payload),
      dead.reason,
      dead.enqueuedAtMs,
      dead.failedAtMs,
      dead.attempts,
    );
  }

  /** `countDeadLetters: false` answers without reading the file (it may be unreadable). */
  status(countDeadLetters = true): StateStoreStatus {
    const dead = countDeadLetters ? this.#q("SELECT count(*) AS n FROM dead_letters").get()?.n : 0;
    return {
      backend: "sqlite",
      degraded: false,
      schema_version: STATE_SCHEMA_VERSION,
      location: this.path,
      instance_id: this.#instanceId,
      dead_letters: Number(dead ?? 0),
    };
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
  }
}

/** Outbox ids are rowids; anything else (e.g. another backend's id) matches no row. */
function rowId(id: string): number {
  return /^\d+$/.test(id) ? Number(id) : -1;
}

function toOutboxEntry(row: Row): OutboxEntry {
  const entry: OutboxEntry = {
    id: String(row.id),
    destination: String(row.destination),
    payload: JSON.parse(String(row.payload)) as JsonValue,
    seq: Number(row.id),
    enqueuedAtMs: Number(row.enqueued_at),
    attempts: Number(row.attempts),
  };
  if (row.owner === null || row.owner === undefined) return entry;
  return { ...entry, owner: String(row.owner), leaseUntilMs: Number(row.lease_until) };
}
