// The silence processor in virtual time: matching notices are muted and recorded, never lost; when a
// silence ends the still-firing alerts go out at once and the rest leave as one digest; escalations
// of a silenced alert are muted too; on SQLite a restart keeps both the silence and what it muted.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { Subject } from "rxjs";
import { afterEach, describe, expect, it } from "vitest";
import { type EscalationProcessor, escalationFactory } from "../processors/escalation.ts";
import { type SilenceProcessor, silenceFactory } from "../processors/silence.ts";
import type { Alert, Digest, Item } from "../src/signal.ts";
import type { Matcher } from "../src/silences/matchers.ts";
import { SilenceRegistry } from "../src/silences/registry.ts";
import { MemoryStateStore } from "../src/state/memory-store.ts";
import { SqliteStateStore } from "../src/state/sqlite-store.ts";
import type { StateStore } from "../src/state/store.ts";
import { create, type Wired, wire } from "./state-processors-support.ts";
import { alert, liveness } from "./support/alerts.ts";
import { MIN, VirtualClock } from "./support/virtual-clock.ts";

const eq = (name: string, value: string): Matcher => ({ name, value, isRegex: false, isEqual: true });
const health = (service: string, status: Alert["status"] = "firing", extra: Partial<Alert> = {}) =>
  alert(`system_health{service.name="${service}"}`, status, {
    rule: "system_health",
    severity: "critical",
    labels: { "service.name": service },
    ...extra,
  });

async function setup(state: StateStore = new MemoryStateStore(), clock = new VirtualClock()) {
  const w = await wire<unknown, SilenceProcessor>(silenceFactory, {}, { scheduler: clock.scheduler, state });
  const registry = SilenceRegistry.for(state);
  const silence = (matchers: Matcher[], minutes: number, startsAt = clock.now()) =>
    registry.set(
      { matchers, startsAt, endsAt: startsAt + minutes * MIN, createdBy: "ops", comment: "db maintenance" },
      clock.now(),
    ) as { id: string };
  return { w, clock, registry, silence, state };
}

const kinds = (w: Wired<unknown>) =>
  w.out
    .filter(({ item }) => item.kind !== "liveness")
    .map(({ at, item }) =>
      item.kind === "alert"
        ? `${at / MIN}m ${item.status} ${item.fingerprint}`
        : `${at / MIN}m digest(${(item as Digest).alerts.length})`,
    );

describe("silence processor", () => {
  it("mutes a matching notice (Prometheus-form matcher on an OTel label), passes the others", async () => {
    const { w, silence } = await setup();
    silence([eq("alertname", "system_health"), eq("service_name", "svc-x")], 60);
    w.input.next(health("svc-x"));
    w.input.next(health("svc-y"));
    expect(kinds(w)).toEqual(['0m firing system_health{service.name="svc-y"}']);
    const status = w.processor.status();
    expect(status).toMatchObject({ silences_active: 1, muted_notices: 1, muted_alerts: 1 });
    // Both are firing as far as the API is concerned: one is muted, not gone.
    expect(w.processor.firingAlerts().map((a) => a.labels["service.name"])).toEqual(["svc-x", "svc-y"]);
  });

  it("expiring the silence sends the muted alert that still fires, at once", async () => {
    const { w, clock, registry, silence } = await setup();
    const { id } = silence([eq("service_name", "svc-x")], 60);
    w.input.next(health("svc-x"));
    clock.advanceTo(10 * MIN);
    registry.expire(id, clock.now());
    expect(kinds(w)).toEqual(['10m firing system_health{service.name="svc-x"}']);
    expect(w.digests()).toEqual([]);
    expect(w.processor.status()).toMatchObject({ muted_alerts: 0, released: 1 });
  });

  it("at its end a silence leaves ONE digest of what it muted and no longer fires", async () => {
    const { w, clock, silence } = await setup();
    const { id } = silence([eq("alertname", "system_health")], 30);
    w.input.next(health("svc-a"));
    w.input.next(health("svc-b"));
    clock.advanceTo(5 * MIN);
    w.input.next(health("svc-a", "resolved"));
    w.input.next(health("svc-c", "firing", { oneShot: true }));
    w.input.next(health("svc-c", "firing", { oneShot: true }));
    expect(w.out).toEqual([]);
    clock.advanceTo(30 * MIN); // the endsAt timer
    expect(kinds(w)).toEqual(['30m firing system_health{service.name="svc-b"}', "30m digest(2)"]);
    const [digest] = w.digests();
    expect(digest?.silence).toMatchObject({
      id,
      comment: "db maintenance",
      createdBy: "ops",
      endsAt: 30 * MIN,
      mutedNotices: 5,
      stillFiring: 1,
      matchers: 'alertname="system_health"',
    });
    expect(digest?.alerts.map((a) => [a.labels["service.name"], a.status, a.details?.muted_notices])).toEqual(
      [
        ["svc-a", "resolved", 2],
        ["svc-c", "firing", 2],
      ],
    );
    clock.advanceTo(90 * MIN);
    expect(w.out).toHaveLength(2); // released once
  });

  it("an alert two silences match stays muted until the last one ends", async () => {
    const { w, clock, registry, silence } = await setup();
    const first = silence([eq("alertname", "system_health")], 10);
    silence([eq("service_name", "svc-x")], 20);
    w.input.next(health("svc-x"));
    clock.advanceTo(15 * MIN);
    expect(w.out).toEqual([]);
    registry.expire(first.id, clock.now()); // already over: nothing changes
    clock.advanceTo(20 * MIN);
    expect(kinds(w)).toEqual(['20m firing system_health{service.name="svc-x"}']);
  });

  it("a pending silence mutes nothing until it starts", async () => {
    const { w, clock, silence } = await setup();
    silence([eq("alertname", "system_health")], 10, 5 * MIN);
    w.input.next(health("svc-x"));
    clock.advanceTo(6 * MIN);
    w.input.next(health("svc-y"));
    expect(kinds(w)).toEqual(['0m firing system_health{service.name="svc-x"}']);
  });

  it("mutes the escalations of a silenced alert, then sends the escalated alert when it ends", async () => {
    const clock = new VirtualClock();
    const state = new MemoryStateStore();
    const options = { scheduler: clock.scheduler, state, logger: pino({ level: "silent" }) };
    const escalation = await create<unknown, EscalationProcessor>(escalationFactory, { delay: 15 }, options);
    const silencer = await create<unknown, SilenceProcessor>(
      silenceFactory,
      {},
      { ...options, id: "silence" },
    );
    const input = new Subject<Item>();
    const out: Alert[] = [];
    input.pipe(escalation.operator, silencer.operator).subscribe((i) => i.kind === "alert" && out.push(i));
    const registry = SilenceRegistry.for(state);
    registry.set(
      {
        matchers: [eq("alertname", "system_health")],
        startsAt: 0,
        endsAt: 60 * MIN,
        createdBy: "ops",
        comment: "",
      },
      0,
    );
    input.next(health("svc-x"));
    clock.advanceTo(20 * MIN);
    expect(escalation.status().escalated).toBe(1);
    expect(out).toEqual([]); // the escalation was muted with the alert
    expect(silencer.status().muted_notices).toBe(2);
    clock.advanceTo(60 * MIN);
    expect(out.map((a) => [a.status, a.escalationLevel, clock.now() / MIN])).toEqual([["escalated", 1, 60]]);
  });
});

describe("silence processor on SQLite", () => {
  it("a muted firing that data confirm after a restart is sent when the silence ends", async () => {
    dir = mkdtempSync(join(tmpdir(), "alertpipe-silence-"));
    const path = join(dir, "state.db");
    const first = await setup(new SqliteStateStore({ path }));
    first.silence([eq("service_name", "svc-x")], 30);
    first.w.input.next(health("svc-x"));
    first.w.subscription.unsubscribe();
    await first.state.close();

    const clock = new VirtualClock();
    clock.advanceTo(10 * MIN);
    const second = await setup(new SqliteStateStore({ path }), clock);
    second.w.input.next(liveness("restored", health("svc-x"), clock.now())); // the rule restores it…
    second.w.input.next(liveness("confirmed", health("svc-x"), clock.now())); // …and fresh data breach
    clock.advanceTo(30 * MIN);
    expect(kinds(second.w)).toEqual(['30m firing system_health{service.name="svc-x"}']);
    await second.state.close();
  });

  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("a restart keeps the silence and what it muted; its end releases them in the next process", async () => {
    dir = mkdtempSync(join(tmpdir(), "alertpipe-silence-"));
    const path = join(dir, "state.db");
    const first = await setup(new SqliteStateStore({ path }));
    first.silence([eq("service_name", "svc-x")], 30);
    first.w.input.next(health("svc-x"));
    first.w.input.next(health("svc-x", "resolved"));
    first.w.input.next(health("svc-x-2", "firing", { labels: { "service.name": "svc-x" } }));
    first.w.subscription.unsubscribe(); // crash: no shutdown
    await first.state.close();

    // The next process starts after the silence ended.
    const clock = new VirtualClock();
    clock.advanceTo(45 * MIN);
    const second = await setup(new SqliteStateStore({ path }), clock);
    // Restored by its rule, never confirmed by data: not sent on its own.
    second.w.input.next(
      liveness("restored", health("svc-x-2", "firing", { labels: { "service.name": "svc-x" } })),
    );
    const [stored] = (await second.registry.list(clock.now())) as { comment: string; endsAt: number }[];
    expect(stored).toMatchObject({ comment: "db maintenance", endsAt: 30 * MIN });
    clock.advanceBy(2000); // restored before the pipeline subscribed: released a second later
    const released = second.w.out.filter(({ item }) => item.kind !== "liveness");
    expect(released.map(({ at, item }) => [at, item.kind])).toEqual([[45 * MIN + 1000, "digest"]]);
    // The firing one is only as live as its data, which this process never saw: listed, not re-sent.
    expect(second.w.digests()[0]?.alerts.map((a) => a.status)).toEqual(["firing", "resolved"]);
    await second.state.close();
  });
});
