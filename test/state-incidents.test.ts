// Incidents across a restart, on SQLite and on Redis: an open incident is restored with its id and
// members; a rule's word on a restored member is word on its incident; later members join it; its
// resolve lists everyone; a member no rule mentions again is resolved after the grace.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  type IncidentsProcessor,
  incidentsFactory,
  incidentsNamespace,
  ORPHAN_GRACE_MS,
} from "../processors/incidents.ts";
import type { Alert, AlertLiveness } from "../src/signal.ts";
import { newInstanceId } from "../src/state/instance-id.ts";
import { RedisStateStore } from "../src/state/redis-store.ts";
import { SqliteStateStore } from "../src/state/sqlite-store.ts";
import type { StateStore } from "../src/state/store.ts";
import { type Wired, wire } from "./state-processors-support.ts";
import { cleanupPrefix, REDIS_URL, randomPrefix, requireRedis, until } from "./state-redis-support.ts";
import { liveness } from "./support/alerts.ts";
import { db, health, rpc } from "./support/incident-fixtures.ts";
import { MIN, SEC, VirtualClock } from "./support/virtual-clock.ts";

const redisAvailable = await requireRedis();

interface Backend {
  readonly name: string;
  readonly available: boolean;
  /** A fresh location (file, key prefix) and a function opening a new connection to it (a run of `host`). */
  place(): { connect(host?: string): Promise<StateStore>; cleanup(): Promise<void> };
}

const backends: Backend[] = [
  {
    name: "sqlite",
    available: true,
    place() {
      const dir = mkdtempSync(join(tmpdir(), "alertpipe-incidents-state-"));
      return {
        connect: async () => new SqliteStateStore({ path: join(dir, "state.db") }),
        cleanup: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: "redis",
    available: redisAvailable,
    place() {
      const keyPrefix = randomPrefix();
      return {
        connect: async (host?: string) => {
          const store = new RedisStateStore({ url: REDIS_URL, keyPrefix, instanceId: newInstanceId(host) });
          await store.connect();
          return store;
        },
        cleanup: () => cleanupPrefix(keyPrefix),
      };
    },
  },
];

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const members = (n: Alert | AlertLiveness) =>
  (n.kind === "alert" ? n : n.alert).incident?.members.map((m) => [m.alert.rule, m.alert.status]);

for (const backend of backends.filter((b) => b.available)) {
  describe(`incidents on ${backend.name} across a restart`, () => {
    async function boot(place: ReturnType<Backend["place"]>, at: number, host?: string) {
      const clock = new VirtualClock();
      clock.advanceTo(at);
      const state = await place.connect(host);
      cleanups.push(() => state.close());
      const w: Wired<IncidentsProcessor> = await wire(
        incidentsFactory,
        {},
        { scheduler: clock.scheduler, state, id: "incidents" },
      );
      await until(() => !w.processor.status().restoring, "the stored incidents loaded");
      const send = (...items: (Alert | AlertLiveness)[]) => {
        for (const item of items) w.input.next(item);
        clock.settle();
      };
      /** Until the store holds the incident as this process last wrote it (Redis writes are async). */
      const stored = (alerts: number) =>
        until(async () => {
          const entries = await state.list(incidentsNamespace("incidents"), clock.now());
          return entries.some((e) => (e.value as { members: unknown[] }).members.length === alerts);
        }, `the incident with ${alerts} alerts stored`);
      return { clock, state, w, send, stored };
    }

    it("restores the open incident: its id, members and window; later members join; one resolve lists all", async () => {
      const place = backend.place();
      cleanups.push(place.cleanup);
      const first = await boot(place, 0);
      first.send(db());
      first.clock.advanceTo(30 * SEC);
      first.send(rpc());
      const id = (first.w.out[0]?.item as Alert | undefined)?.incident?.id;
      await first.stored(2);
      first.w.subscription.unsubscribe(); // a crash: no shutdown

      const second = await boot(place, 45 * SEC);
      expect(second.w.processor.status().restored).toBe(1);
      // The rules restore their firing alerts: their word is word on the incident.
      second.send(liveness("restored", db(), 45 * SEC), liveness("confirmed", db(), 50 * SEC));
      const words = second.w.out.map((o) => o.item as AlertLiveness);
      expect(words.map((l) => [l.kind, l.state, l.alert.fingerprint, l.alert.incident?.id])).toEqual([
        ["liveness", "restored", "database_failures{}", id],
        ["liveness", "confirmed", "database_failures{}", id],
      ]);
      second.clock.advanceTo(60 * SEC);
      second.send(health()); // within 2 minutes of the last firing (30 s, before the restart)
      second.clock.advanceTo(10 * MIN);
      second.send(db("resolved", 10 * MIN), rpc("resolved", 10 * MIN), health("resolved", 10 * MIN));
      const notices = second.w.out.map((o) => o.item).filter((i): i is Alert => i.kind === "alert");
      expect(notices.map((n) => [n.status, n.incident?.id, members(n)])).toEqual([
        [
          "firing",
          id,
          [
            ["database_failures", "firing"],
            ["rpc_error_rate", "firing"],
            ["system_health", "firing"],
          ],
        ],
        [
          "resolved",
          id,
          [
            ["database_failures", "resolved"],
            ["rpc_error_rate", "resolved"],
            ["system_health", "resolved"],
          ],
        ],
      ]);
      expect(notices[1]?.incident?.durationMs).toBe(10 * MIN);
      await until(
        async () =>
          (await second.state.list(incidentsNamespace("incidents"), second.clock.now())).length === 0,
        "the resolved incident forgotten",
      );
    });

    if (backend.name === "redis")
      it("leaves another live instance's incidents to it: a restart adopts its own earlier run's only", async () => {
        const place = backend.place();
        cleanups.push(place.cleanup);
        const other = await boot(place, 0, "other-host");
        other.send(db());
        await other.stored(1);
        const mine = await boot(place, 10 * SEC);
        expect(mine.w.processor.status().restored).toBe(0);
        mine.send(rpc("firing", 10 * SEC)); // its own incident, as the other instance has its own
        expect((mine.w.out[0]?.item as Alert | undefined)?.incident?.members).toHaveLength(1);
      });

    it("resolves a member its rule never mentions again (the rule was removed), saying so", async () => {
      const place = backend.place();
      cleanups.push(place.cleanup);
      const first = await boot(place, 0);
      first.send(db(), rpc("firing", 0));
      await first.stored(2);
      first.w.subscription.unsubscribe();

      const second = await boot(place, MIN);
      expect(second.w.processor.status().restored).toBe(1);
      second.send(liveness("restored", db(), MIN)); // rpc_error_rate's rule is gone
      second.clock.advanceTo(MIN + ORPHAN_GRACE_MS);
      second.send(db("resolved", MIN + ORPHAN_GRACE_MS));
      const resolved = second.w.out.map((o) => o.item).find((i) => i.kind === "alert") as Alert;
      expect(resolved.status).toBe("resolved");
      expect(resolved.incident?.members.map((m) => [m.alert.rule, m.alert.status, m.alert.summary])).toEqual([
        ["database_failures", "resolved", db("resolved").summary],
        ["rpc_error_rate", "resolved", "rpc_error_rate resolved: not reported by its rule since the restart"],
      ]);
    });
  });
}
