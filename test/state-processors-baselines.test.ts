// Cumulative → delta baselines persisted in the state store: a restarted receiver (new normalizer,
// new store connection on the same file) computes the right delta for each series' first point.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BaselinePersistence, baselineNamespace } from "../src/receivers/otlp/baseline-store.ts";
import { otlpReceiverConfigSchema } from "../src/receivers/otlp/config.ts";
import { OtlpNormalizer } from "../src/receivers/otlp/normalize.ts";
import { OtlpReceiver } from "../src/receivers/otlp/receiver.ts";
import type { Item, SumPoint } from "../src/signal.ts";
import { openStateStore } from "../src/state/open.ts";
import { SqliteStateStore } from "../src/state/sqlite-store.ts";
import type { StateStore } from "../src/state/store.ts";
import { cleanupPrefix, REDIS_URL, randomPrefix, requireRedis } from "./state-redis-support.ts";
import { VirtualClock } from "./support/virtual-clock.ts";

const redisAvailable = await requireRedis();
const silent = pino({ level: "silent" });
const T0 = 1_700_000_000_000;
const ns = (ms: number): string => String(BigInt(ms) * 1_000_000n);

/** A cumulative monotonic sum `name` (no start time: a first sight never emits a delta). */
function sums(points: Array<{ name: string; value: number; time: number; host?: string }>): unknown {
  return {
    resourceMetrics: points.map((p) => ({
      resource: { attributes: [{ key: "host.name", value: { stringValue: p.host ?? "h1" } }] },
      scopeMetrics: [
        {
          scope: { name: "sc" },
          metrics: [
            {
              name: p.name,
              sum: {
                aggregationTemporality: 2,
                isMonotonic: true,
                dataPoints: [{ asDouble: p.value, timeUnixNano: ns(p.time) }],
              },
            },
          ],
        },
      ],
    })),
  };
}

const values = (items: readonly Item[]) => items.map((i) => [(i as SumPoint).name, (i as SumPoint).value]);

let dir: string;
const stores: StateStore[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "alertpipe-baselines-"));
});
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

function sqlite(): SqliteStateStore {
  const store = new SqliteStateStore({ path: join(dir, "state.db") });
  stores.push(store);
  return store;
}

/** A normalizer with persisted baselines on `store`, its clock at `at`. */
async function normalizer(store: StateStore, at: number, ttlMs = 3_600_000) {
  const clock = new VirtualClock();
  clock.advanceTo(at);
  const n = new OtlpNormalizer({ now: () => clock.now(), seriesTtlMs: ttlMs });
  const persistence = new BaselinePersistence(n.cumulative, {
    store,
    namespace: baselineNamespace("otlp"),
    scheduler: clock.scheduler,
    logger: silent,
  });
  await persistence.restore();
  persistence.start();
  return { clock, n, persistence };
}

describe("cumulative baselines across a restart (SQLite)", () => {
  it("without persistence the first point after a restart is lost; with it the delta is right", async () => {
    const first = await normalizer(sqlite(), T0);
    expect(values(first.n.metrics(sums([{ name: "c", value: 100, time: T0 }])).items)).toEqual([]);
    expect(values(first.n.metrics(sums([{ name: "c", value: 130, time: T0 + 60_000 }])).items)).toEqual([
      ["c", 30],
    ]);
    await first.persistence.stop();

    const bare = new OtlpNormalizer({ now: () => T0 + 120_000 });
    expect(values(bare.metrics(sums([{ name: "c", value: 170, time: T0 + 120_000 }])).items)).toEqual([]);

    const second = await normalizer(sqlite(), T0 + 120_000);
    expect(second.persistence.restored).toBe(1);
    expect(values(second.n.metrics(sums([{ name: "c", value: 170, time: T0 + 120_000 }])).items)).toEqual([
      ["c", 40],
    ]);
  });

  it("writes behind every 5 s, not per point; a crash loses no count (the delta spans the gap)", async () => {
    const store = sqlite();
    const first = await normalizer(store, T0);
    first.n.metrics(sums([{ name: "c", value: 10, time: T0 }]));
    first.n.metrics(sums([{ name: "c", value: 20, time: T0 + 1000 }]));
    expect(store.list(baselineNamespace("otlp"), T0 + 1000)).toEqual([]); // nothing written yet
    first.clock.advanceTo(T0 + 5000); // the write-behind tick
    expect(first.persistence.written).toBe(1);
    first.n.metrics(sums([{ name: "c", value: 35, time: T0 + 6000 }])); // after the last flush: crash
    const second = await normalizer(sqlite(), T0 + 60_000);
    expect(values(second.n.metrics(sums([{ name: "c", value: 50, time: T0 + 61_000 }])).items)).toEqual([
      ["c", 30],
    ]);
  });

  it("only changed partitions are rewritten, and series past their TTL are not restored", async () => {
    const store = sqlite();
    const first = await normalizer(store, T0, 600_000);
    const hosts = Array.from({ length: 200 }, (_, i) => `h${i}`);
    first.n.metrics(sums(hosts.map((host) => ({ name: "c", value: 1, time: T0, host }))));
    await first.persistence.flush();
    const partitions = store.list(baselineNamespace("otlp"), T0);
    expect(partitions.length).toBeGreaterThan(1);
    expect(partitions.length).toBeLessThanOrEqual(32);
    first.clock.advanceTo(T0 + 500_000);
    first.n.metrics(sums([{ name: "c", value: 2, time: T0 + 500_000, host: "h0" }]));
    await first.persistence.stop();

    // 11 minutes after the first points: only h0 (seen at +500 s) is within the 10-minute TTL.
    const second = await normalizer(sqlite(), T0 + 660_000, 600_000);
    expect(second.persistence.restored).toBe(1);
    expect(second.n.seriesCount).toBe(1);
  });
});

describe("the otlp receiver with a state store", () => {
  async function post(receiver: OtlpReceiver, body: unknown): Promise<void> {
    const { host, port } = receiver.address();
    const res = await fetch(`http://${host}:${port}/v1/metrics`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
  }

  async function run(store: StateStore, at: number) {
    const clock = new VirtualClock();
    clock.advanceTo(at);
    const config = otlpReceiverConfigSchema.parse({ endpoint: "127.0.0.1:0" });
    const receiver = new OtlpReceiver(config, {
      id: "otlp",
      scheduler: clock.scheduler,
      logger: silent,
      configDir: dir,
      env: {},
      state: store,
    });
    const items: Item[] = [];
    receiver.signals.subscribe((item) => items.push(item));
    await receiver.start();
    return { receiver, items };
  }

  it("restores baselines at start and saves them at shutdown", async () => {
    const first = await run(sqlite(), T0);
    await post(first.receiver, sums([{ name: "c", value: 5, time: T0 }]));
    await post(first.receiver, sums([{ name: "c", value: 8, time: T0 + 10_000 }]));
    await first.receiver.shutdown();
    expect(values(first.items)).toEqual([["c", 3]]);

    const second = await run(sqlite(), T0 + 30_000);
    await post(second.receiver, sums([{ name: "c", value: 20, time: T0 + 20_000 }]));
    expect(values(second.items)).toEqual([["c", 12]]);
    expect(second.receiver.status()).toMatchObject({ delta_series: 1, delta_baselines_restored: 1 });
    await second.receiver.shutdown();
  });
});

describe.runIf(redisAvailable)("cumulative baselines on Redis", () => {
  it("one key per series: two instances' series both survive, the newest point of a series wins", async () => {
    const prefix = randomPrefix();
    const open = async () => {
      const store = await openStateStore(REDIS_URL, { logger: silent, keyPrefix: prefix });
      stores.push(store);
      return store;
    };
    try {
      const a = await normalizer(await open(), T0);
      const b = await normalizer(await open(), T0);
      a.n.metrics(sums([{ name: "a", value: 1, time: T0 }]));
      b.n.metrics(sums([{ name: "b", value: 5, time: T0 }]));
      a.n.metrics(sums([{ name: "shared", value: 10, time: T0 }]));
      b.n.metrics(sums([{ name: "shared", value: 12, time: T0 + 1000 }]));
      await a.persistence.stop();
      await b.persistence.stop();

      const c = await normalizer(await open(), T0 + 60_000);
      expect(c.persistence.restored).toBe(3);
      const out = c.n.metrics(
        sums([
          { name: "a", value: 2, time: T0 + 60_000 },
          { name: "b", value: 9, time: T0 + 60_000 },
          { name: "shared", value: 20, time: T0 + 60_000 },
        ]),
      );
      expect(values(out.items)).toEqual([
        ["a", 1],
        ["b", 4],
        ["shared", 8],
      ]);
    } finally {
      await cleanupPrefix(prefix);
    }
  });
});
