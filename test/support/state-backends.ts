// Every StateStore backend for contract-style suites: memory, SQLite (a real file, raw and through
// openStateStore's write guard), Redis (raw) and Redis through openStateStore (the FallbackStore),
// each opened fresh with its own cleanup.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { MemoryStateStore } from "../../src/state/memory-store.ts";
import { openStateStore } from "../../src/state/open.ts";
import { RedisStateStore } from "../../src/state/redis-store.ts";
import { SqliteStateStore } from "../../src/state/sqlite-store.ts";
import type { StateStore } from "../../src/state/store.ts";
import { cleanupPrefix, REDIS_URL, randomPrefix } from "../state-redis-support.ts";

export interface Backend {
  readonly name: string;
  /** Answers without promises (memory, SQLite). */
  readonly synchronous: boolean;
  /** False only for Redis on a machine without it (requireRedis throws under CI=true). */
  readonly available: boolean;
  open(): Promise<{ store: StateStore; cleanup(): Promise<void> }>;
}

const logger = pino({ level: "silent" });

export function stateBackends(redisAvailable: boolean): Backend[] {
  return [
    {
      name: "memory",
      synchronous: true,
      available: true,
      open: async () => ({ store: new MemoryStateStore(), cleanup: async () => {} }),
    },
    {
      name: "sqlite",
      synchronous: true,
      available: true,
      open: async () => {
        const dir = mkdtempSync(join(tmpdir(), "alertpipe-state-"));
        const store = new SqliteStateStore({ path: join(dir, "state.db") });
        return { store, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
      },
    },
    {
      name: "sqlite via openStateStore (write guard)",
      synchronous: true,
      available: true,
      open: async () => {
        const dir = mkdtempSync(join(tmpdir(), "alertpipe-state-"));
        const store = await openStateStore(`sqlite:${join(dir, "state.db")}`, { logger });
        return { store, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
      },
    },
    {
      name: "redis",
      synchronous: false,
      available: redisAvailable,
      open: async () => {
        const prefix = randomPrefix();
        const store = new RedisStateStore({ url: REDIS_URL, keyPrefix: prefix });
        await store.connect();
        return { store, cleanup: () => cleanupPrefix(prefix) };
      },
    },
    {
      name: "redis via openStateStore (fallback wrapper)",
      synchronous: false,
      available: redisAvailable,
      open: async () => {
        const prefix = randomPrefix();
        const store = await openStateStore(`${REDIS_URL}?prefix=${encodeURIComponent(prefix)}`, { logger });
        return { store, cleanup: () => cleanupPrefix(prefix) };
      },
    },
  ];
}
