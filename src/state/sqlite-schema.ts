// Versioned schema of the SQLite state file: a `meta` table holds schema_version and each migration
// moves a file one version up inside a transaction, so an upgrade opens older files without loss.
import type { DatabaseSync } from "node:sqlite";
import { StateFileError } from "./sqlite-file.ts";
import { STATE_SCHEMA_VERSION } from "./store.ts";

interface Migration {
  /** Version the file has after this migration. */
  readonly to: number;
  readonly sql: string;
}

// Version 0 is the layout from before versioning (kv + outbox, no meta table); a new file is created
// by running every migration from scratch, so the upgrade path is exercised on every fresh file too.
const MIGRATIONS: readonly Migration[] = [
  {
    to: 0,
    sql: `
      CREATE TABLE kv (namespace TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
                       PRIMARY KEY (namespace, key));
      CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, destination TEXT NOT NULL,
                           payload TEXT NOT NULL, created_at INTEGER NOT NULL);`,
  },
  {
    to: 1,
    sql: `
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      ALTER TABLE kv ADD COLUMN expires_at INTEGER;
      ALTER TABLE outbox RENAME COLUMN created_at TO enqueued_at;
      ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE outbox ADD COLUMN owner TEXT;
      ALTER TABLE outbox ADD COLUMN lease_until INTEGER;
      CREATE INDEX outbox_by_destination ON outbox (destination, id);
      CREATE TABLE dead_letters (id TEXT PRIMARY KEY, destination TEXT NOT NULL, payload TEXT NOT NULL,
                                 reason TEXT NOT NULL, enqueued_at INTEGER NOT NULL,
                                 failed_at INTEGER NOT NULL, attempts INTEGER NOT NULL);
      CREATE TABLE cooldowns (fingerprint TEXT PRIMARY KEY, until_ms INTEGER NOT NULL);
      CREATE TABLE throttle (route TEXT NOT NULL, id TEXT NOT NULL, at_ms INTEGER NOT NULL,
                             PRIMARY KEY (route, id));
      CREATE INDEX throttle_by_time ON throttle (route, at_ms);`,
  },
];

/** Schema version of an open file: -1 for an empty file, 0 for the unversioned layout. */
export function readSchemaVersion(db: DatabaseSync): number {
  const tables = new Set(
    db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
      .all()
      .map((row) => String(row.name)),
  );
  if (tables.has("meta")) {
    const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get();
    return row ? Number(row.value) : 0;
  }
  return tables.has("kv") ? 0 : -1;
}

/** Bring the file to the current version; refuses files written by a newer alertpipe. */
export function migrate(db: DatabaseSync, location: string): { from: number; to: number } {
  db.exec("BEGIN IMMEDIATE");
  try {
    const from = readSchemaVersion(db);
    if (from > STATE_SCHEMA_VERSION) {
      throw new StateFileError(
        location,
        `has schema_version ${from}, newer than this alertpipe supports ` +
          `(${STATE_SCHEMA_VERSION}); upgrade alertpipe or point ALERTPIPE_STATE at another file`,
      );
    }
    for (const migration of MIGRATIONS) {
      if (migration.to <= from) continue;
      db.exec(migration.sql);
      if (migration.to >= 1) {
        db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)").run(
          String(migration.to),
        );
      }
    }
    db.exec("COMMIT");
    return { from, to: STATE_SCHEMA_VERSION };
  } catch (error) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw error;
  }
}
