// State store throughput: cooldown acquire, throttle admit and outbox enqueue+ack per second for the
// memory, SQLite and Redis backends. Writes bench/results/state.json. Run: node bench/state.ts
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { openStateStore } from "../src/state/open.ts";
import type { MaybePromise, StateStore } from "../src/state/store.ts";
import { cleanupPrefix, redisReachable } from "../test/state-redis-support.ts";

const REDIS_URL = process.env.ALERTPIPE_BENCH_REDIS ?? "redis://127.0.0.1:6379/0";
const RESULTS = join(dirname(fileURLToPath(import.meta.url)), "results", "state.json");

export interface StateBenchResult {
  readonly backend: string;
  readonly operation: string;
  /** sequential: each call awaited before the next; concurrent: `inFlight` calls outstanding. */
  readonly mode: "sequential" | "concurrent";
  readonly inFlight: number;
  readonly operations: number;
  readonly seconds: number;
  readonly opsPerSecond: number;
}

type Operation = (store: StateStore, i: number) => MaybePromise<unknown>;

const operations: Record<string, Operation> = {
  // Distinct fingerprints: every call is a successful write (the expensive case).
  cooldown_acquire: (store, i) => store.tryAcquireCooldown(`rule|fp-${i}`, i + 600_000, i),
  // One route, max 100 per 60 s window, time advancing 1 ms per call: admits and refusals mixed.
  throttle_admit: (store, i) => store.throttleAdmit("slack", i, 60_000, 100, `m-${i}`),
  outbox_enqueue_ack: (store, i) => {
    const id = store.enqueue("slack", { text: `alert ${i}`, severity: "critical" }, i);
    return typeof id === "string" ? store.ack(id) : id.then((resolved) => store.ack(resolved));
  },
};

async function measure(
  backend: string,
  store: StateStore,
  operation: string,
  count: number,
  inFlight: number,
): Promise<StateBenchResult> {
  const op = operations[operation] as Operation;
  const offset = Math.floor(Math.random() * 1e9);
  // Warm-up (JIT, prepared statements, Redis script cache), not timed; its keys differ from the run's.
  for (let i = 0; i < Math.min(1000, count / 10); i++) await op(store, offset - 10_000_000 + i);
  const started = performance.now();
  if (inFlight <= 1) {
    for (let i = 0; i < count; i++) await op(store, offset + i);
  } else {
    let next = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < count) await op(store, offset + next++);
      }),
    );
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    backend,
    operation,
    mode: inFlight <= 1 ? "sequential" : "concurrent",
    inFlight: Math.max(1, inFlight),
    operations: count,
    seconds: Number(seconds.toFixed(4)),
    opsPerSecond: Math.round(count / seconds),
  };
}

async function benchBackend(
  backend: string,
  store: StateStore,
  count: number,
  inFlight: readonly number[],
): Promise<StateBenchResult[]> {
  const results: StateBenchResult[] = [];
  for (const operation of Object.keys(operations)) {
    for (const parallel of inFlight) results.push(await measure(backend, store, operation, count, parallel));
  }
  return results;
}

export async function run(): Promise<{ results: StateBenchResult[]; skipped: string[] }> {
  const logger = pino({ level: "silent" });
  const results: StateBenchResult[] = [];
  const skipped: string[] = [];

  const memory = await openStateStore("memory", { logger });
  results.push(...(await benchBackend("memory", memory, 200_000, [1])));
  await memory.close();

  const dir = mkdtempSync(join(tmpdir(), "alertpipe-bench-"));
  try {
    const sqlite = await openStateStore(`sqlite:${join(dir, "state.db")}`, { logger });
    results.push(...(await benchBackend("sqlite", sqlite, 20_000, [1])));
    await sqlite.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  if (await redisReachable(REDIS_URL)) {
    const prefix = `alertpipe-bench:${process.pid}:`;
    const redis = await openStateStore(`${REDIS_URL}?prefix=${encodeURIComponent(prefix)}`, { logger });
    results.push(...(await benchBackend("redis", redis, 10_000, [1, 32])));
    await redis.close();
    await cleanupPrefix(prefix, REDIS_URL);
  } else {
    skipped.push(`redis: unreachable at ${REDIS_URL}`);
  }

  const report = {
    benchmark: "state",
    generatedAt: new Date().toISOString(),
    node: process.version,
    results,
    skipped,
  };
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify(report, null, 2)}\n`);
  return { results, skipped };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { results, skipped } = await run();
  for (const r of results) {
    console.log(
      `${r.backend.padEnd(7)} ${r.operation.padEnd(19)} ${r.mode.padEnd(10)} ${String(r.opsPerSecond).padStart(9)} ops/s`,
    );
  }
  for (const reason of skipped) console.log(`skipped ${reason}`);
}
