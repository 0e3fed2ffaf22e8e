// Silences shared on Redis by two instances (two store connections, one key prefix): a silence
// added through one instance mutes the other's notices at once; expired through the first, the
// second sees it within its sync interval and what it muted is released exactly once.
import { pino } from "pino";
import { asyncScheduler, type SchedulerLike, Subject } from "rxjs";
import { afterEach, describe, expect, it } from "vitest";
import { type SilenceProcessor, silenceFactory } from "../processors/silence.ts";
import type { Alert, Item } from "../src/signal.ts";
import { SilenceRegistry } from "../src/silences/registry.ts";
import { openStateStore } from "../src/state/open.ts";
import type { StateStore } from "../src/state/store.ts";
import { create, until } from "./state-processors-support.ts";
import { cleanupPrefix, REDIS_URL, randomPrefix, requireRedis } from "./state-redis-support.ts";
import { alert } from "./support/alerts.ts";

const available = await requireRedis();
const scheduler = asyncScheduler as SchedulerLike;
const logger = pino({ level: "silent" });

interface Instance {
  readonly state: StateStore;
  readonly processor: SilenceProcessor;
  readonly input: Subject<Item>;
  readonly out: Item[];
}

async function instance(prefix: string, name: string): Promise<Instance> {
  const state = await openStateStore(REDIS_URL, { logger, instanceId: name, keyPrefix: prefix });
  const processor = await create<unknown, SilenceProcessor>(
    silenceFactory,
    { sync_interval: 0.2 },
    { scheduler, state, id: "silence" },
  );
  const out: Item[] = [];
  const input = new Subject<Item>();
  input.pipe(processor.operator).subscribe((item) => out.push(item));
  return { state, processor, input, out };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

describe.runIf(available)("silences shared on Redis", () => {
  it("added on one instance, mute on the other; expired there, what it muted is released exactly once", async () => {
    const prefix = randomPrefix();
    cleanups.push(() => cleanupPrefix(prefix));
    const a = await instance(prefix, "a");
    const b = await instance(prefix, "b");
    cleanups.push(async () => {
      for (const i of [a, b]) {
        i.input.complete();
        await i.processor.shutdown();
        await i.state.close();
      }
    });
    const registry = SilenceRegistry.for(a.state);
    const now = Date.now();
    const silence = await registry.set(
      {
        matchers: [{ name: "service_name", value: "svc-x", isRegex: false, isEqual: true }],
        startsAt: now,
        endsAt: now + 3_600_000,
        createdBy: "ops",
        comment: "shared",
      },
      now,
    );
    const firing: Alert = alert('system_health{service.name="svc-x"}', "firing", {
      rule: "system_health",
      labels: { "service.name": "svc-x" },
    });
    b.input.next(firing);
    b.input.next(alert("other"));
    await until(() => b.out.length === 1, "the unsilenced notice");
    await until(() => b.processor.status().muted_notices === 1, "the muted notice recorded");
    expect((b.out[0] as Alert).fingerprint).toBe("other");

    await registry.expire(silence.id, Date.now());
    await until(() => a.out.length + b.out.length === 2, "the release");
    await new Promise((r) => setTimeout(r, 600)); // a few more sync rounds: nothing more
    const released = [...a.out, ...b.out].filter((i) => i.kind === "alert" && i.fingerprint !== "other");
    expect(released.map((i) => (i as Alert).status)).toEqual(["firing"]);
  }, 30_000);
});
