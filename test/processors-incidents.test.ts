// The incidents processor in virtual time: related alerts become one incident (cause first, the
// others with offsets and why), unrelated ones stay apart, cooldown/escalation act on the incident.
import { Subject } from "rxjs";
import { describe, expect, it } from "vitest";
import { type CooldownProcessor, cooldownFactory } from "../processors/cooldown.ts";
import { type EscalationProcessor, escalationFactory } from "../processors/escalation.ts";
import { type IncidentsProcessor, incidentsFactory } from "../processors/incidents.ts";
import { isIncidentDirectory } from "../src/incident.ts";
import type { Alert, Item } from "../src/signal.ts";
import { alert } from "./support/alerts.ts";
import { db, disk, health, memory, rpc } from "./support/incident-fixtures.ts";
import { build } from "./support/processors.ts";
import { MIN, SEC, VirtualClock } from "./support/virtual-clock.ts";

async function chain(
  config: Record<string, unknown> = {},
  downstream: { cooldown?: unknown; escalation?: unknown } = {},
) {
  const clock = new VirtualClock();
  const incidents: IncidentsProcessor = await build(incidentsFactory as never, "incidents", config, clock);
  const cooldown: CooldownProcessor | undefined =
    downstream.cooldown === undefined
      ? undefined
      : await build(cooldownFactory as never, "cooldown", downstream.cooldown, clock);
  const escalation: EscalationProcessor | undefined =
    downstream.escalation === undefined
      ? undefined
      : await build(escalationFactory as never, "escalation", downstream.escalation, clock);
  const input = new Subject<Item>();
  const out: { at: number; item: Alert }[] = [];
  let stream = input.pipe(incidents.operator);
  if (cooldown) stream = stream.pipe(cooldown.operator);
  if (escalation) stream = stream.pipe(escalation.operator);
  stream.subscribe((item) => {
    if (item.kind === "alert") out.push({ at: clock.now(), item });
  });
  /** Alerts arriving at `at` (each at its own time when later than now). */
  const send = (...alerts: Alert[]) => {
    for (const a of alerts) {
      if (a.at > clock.now()) clock.advanceTo(a.at);
      input.next(a);
    }
    clock.settle();
  };
  const members = (n: Alert) => n.incident?.members.map((m) => m.alert.rule);
  return { clock, incidents, cooldown, input, out, send, members };
}

describe("incidents: one fault, one message, cause first", () => {
  it("groups a database cascade: opens with the cause, updates as members join, resolves once with the duration", async () => {
    const t = await chain();
    t.send(db());
    t.send(rpc());
    t.send(health());
    t.clock.advanceTo(10 * MIN);
    t.send(db("resolved", 10 * MIN), rpc("resolved", 10 * MIN + 30 * SEC), health("resolved", 12 * MIN));
    const notices = t.out.map((o) => o.item);
    expect(notices.map((n) => [n.status, n.rule, t.members(n)])).toEqual([
      ["firing", "database_failures", ["database_failures"]],
      ["firing", "database_failures", ["database_failures", "rpc_error_rate"]],
      ["firing", "database_failures", ["database_failures", "rpc_error_rate", "system_health"]],
      ["resolved", "database_failures", ["database_failures", "rpc_error_rate", "system_health"]],
    ]);
    expect(t.out.map((o) => o.at)).toEqual([0, 30 * SEC, 60 * SEC, 12 * MIN]);
    const ids = new Set(notices.map((n) => n.incident?.id));
    expect(ids.size).toBe(1);
    expect(notices.map((n) => n.incident?.revision)).toEqual([1, 2, 3, 4]);
    const last = notices[3] as Alert;
    expect(last).toMatchObject({
      fingerprint: "database_failures{}",
      severity: "critical",
      startsAt: 0,
      endsAt: 12 * MIN,
      incident: { cause: "database_failures", durationMs: 12 * MIN },
    });
    expect(last.incident?.members.map((m) => [m.offsetMs, m.reason])).toEqual([
      [0, undefined],
      [30 * SEC, "same component: database (with database_failures)"],
      [60 * SEC, "topology: system relates to all on its host (with database_failures)"],
    ]);
    expect(notices[2]?.summary).toBe(
      "database_failures is 12 failures (above 5); 2 related: +30 s rpc_error_rate 40 %, +1 min system_health 15",
    );
    expect(last.summary).toMatch(/incident of 3 alerts resolved after 12 min$/);
    expect(t.incidents.status()).toMatchObject({ open_incidents: 0, opened: 1, updates: 2, resolved: 1 });
  });

  it("keeps an unrelated disk alert on another host, and faults on two hosts, apart", async () => {
    const t = await chain();
    t.send(db(), rpc(), disk("db-2"), health());
    t.send(memory("web-1", "firing", 2 * MIN), disk("web-2", "firing", 2 * MIN));
    const opened = t.out.filter((o) => o.item.incident?.revision === 1).map((o) => o.item);
    expect(opened.map((n) => [n.rule, n.labels["host.name"]])).toEqual([
      ["database_failures", undefined],
      ["disk_usage", "db-2"],
      ["memory_usage", "web-1"],
      ["disk_usage", "web-2"],
    ]);
    const cascade = t.out.at(-3)?.item; // the last update of the cascade came before the 2-minute alerts
    expect(t.members(cascade as Alert)).toEqual(["database_failures", "rpc_error_rate", "system_health"]);
  });

  it("groups alerts sharing a host, whatever their components", async () => {
    const t = await chain();
    t.send(memory("web-1"), disk("web-1", "firing", 20 * SEC));
    expect(t.out.map((o) => t.members(o.item))).toEqual([["memory_usage"], ["memory_usage", "disk_usage"]]);
    expect(t.out[1]?.item.incident?.members[1]?.reason).toBe("shared host.name=web-1 (with memory_usage)");
  });

  it("never groups two services' health, nor alerts more than `window` after the incident's last firing", async () => {
    const t = await chain({ window: 60 });
    t.send(health("firing", 0, "svc-a"), health("firing", 0, "svc-b"));
    t.send(rpc("firing", 3 * MIN), db("firing", 4 * MIN + 1));
    expect(t.out.map((o) => o.item.incident?.members.length)).toEqual([1, 1, 1, 1]);
    expect(new Set(t.out.map((o) => o.item.incident?.id)).size).toBe(4);
  });

  it("names the most upstream of alerts firing together as the cause, whatever their arrival order", async () => {
    const fetch = alert("fetch_latency{}", "firing", { component: "fetcher", startsAt: 0, at: 0 });
    const t = await chain();
    t.send(db(), fetch);
    expect(t.out).toHaveLength(1);
    expect(t.out[0]?.item).toMatchObject({
      rule: "fetch_latency",
      fingerprint: "fetch_latency{}",
      severity: "critical",
    });
    expect(t.members(t.out[0]?.item as Alert)).toEqual(["fetch_latency", "database_failures"]);
    expect(t.out[0]?.item.incident?.members[1]?.reason).toBe(
      "topology: fetcher → normalizer → validator → enricher → database (with fetch_latency)",
    );
    // With a 10 s tie window the opening waits for a more upstream alert 5 s later.
    const w = await chain({ tie_window: 10 });
    w.send(db(), { ...fetch, startsAt: 5 * SEC, at: 5 * SEC });
    w.clock.advanceTo(20 * SEC);
    expect(w.out.map((o) => [o.at, o.item.rule, w.members(o.item)])).toEqual([
      [10 * SEC, "fetch_latency", ["fetch_latency", "database_failures"]],
    ]);
  });

  it("follows a custom topology: two independent flows stay apart", async () => {
    const t = await chain({ topology: { billing: ["ingest"], search: ["crawler"] } });
    const a = (rule: string, component: string) =>
      alert(`${rule}{}`, "firing", { component, startsAt: 0, at: 0 });
    t.send(a("ingest_lag", "ingest"), a("crawl_errors", "crawler"), a("invoice_errors", "billing"));
    expect(t.out.map((o) => t.members(o.item))).toEqual([["ingest_lag", "invoice_errors"], ["crawl_errors"]]);
  });

  it("passes one-shot alerts, other routes' alerts apart, and the resolve of an alert it never saw", async () => {
    const t = await chain();
    const manual = alert("system_failure{component=database}", "firing", {
      component: "database",
      oneShot: true,
    });
    const routed = { ...rpc("firing", 0), route: "team-b" };
    t.send(db(), manual, routed, alert("old{}", "resolved"));
    expect(t.out.map((o) => [o.item.rule, o.item.incident?.members.length])).toEqual([
      ["system_failure", undefined],
      ["old", undefined],
      ["database_failures", 1],
      ["rpc_error_rate", 1],
    ]);
  });

  it("lists at most max_members and counts the rest per rule", async () => {
    const t = await chain({ max_members: 3 });
    const spikes = Array.from({ length: 10 }, (_, i) =>
      alert(`review_rate_spike{roaster.id="r${i}"}`, "firing", {
        component: "normalizer",
        labels: { "roaster.id": `r${i}` },
      }),
    );
    t.send(...spikes);
    expect(t.out).toHaveLength(1);
    const info = t.out[0]?.item.incident;
    expect(info?.members).toHaveLength(3);
    expect(info?.summarised).toEqual([
      expect.objectContaining({ rule: "review_rate_spike", status: "firing", count: 7 }),
    ]);
  });

  it("keeps a storm of unrelated alerts one incident each, in one pass", async () => {
    const t = await chain();
    t.send(...Array.from({ length: 10_000 }, (_, i) => memory(`host-${i}`)));
    expect(t.out).toHaveLength(10_000);
    expect(t.incidents.status().open_incidents).toBe(10_000);
  });

  it("says which incident an alert belongs to (for the API)", async () => {
    const t = await chain();
    t.send(db(), rpc());
    expect(isIncidentDirectory(t.incidents)).toBe(true);
    const id = t.out[0]?.item.incident?.id;
    expect(t.incidents.incidentOf("rpc_error_rate{}")).toEqual({
      id,
      cause: "database_failures",
      fingerprint: "database_failures{}",
      role: "member",
      alerts: 2,
    });
    expect(t.incidents.incidentOf("database_failures{}")?.role).toBe("cause");
    expect(t.incidents.incidentOf("memory_usage{}")).toBeUndefined();
  });

  it("passes everything as itself when disabled", async () => {
    const t = await chain({ enabled: false });
    t.send(db(), rpc());
    expect(t.out.map((o) => o.item)).toEqual([db(), rpc()]);
  });
});

describe("incidents with cooldown and escalation downstream", () => {
  const seed = { default: 5 };

  it("cooldown coalesces the updates: the cascade is an opening, one update and the resolve", async () => {
    const t = await chain({}, { cooldown: seed });
    t.send(db(), rpc(), health());
    t.clock.advanceTo(20 * MIN);
    t.send(db("resolved", 20 * MIN), rpc("resolved", 20 * MIN), health("resolved", 21 * MIN));
    expect(t.out.map((o) => [o.at, o.item.status, t.members(o.item)?.length])).toEqual([
      [0, "firing", 1],
      [5 * MIN, "firing", 3], // the update held by the cooldown, released with every member
      [21 * MIN, "resolved", 3],
    ]);
  });

  it("a short incident's resolve lists the members that joined while the update was held", async () => {
    const t = await chain({}, { cooldown: seed });
    t.send(db(), rpc());
    t.send(db("resolved", 2 * MIN), rpc("resolved", 2 * MIN));
    expect(t.out.map((o) => [o.at, o.item.status, t.members(o.item)])).toEqual([
      [0, "firing", ["database_failures"]],
      [2 * MIN, "resolved", ["database_failures", "rpc_error_rate"]],
    ]);
  });

  it("an incident re-opened by the same cause inside its cooldown is held; its resolve still tells of new members", async () => {
    const t = await chain({}, { cooldown: seed });
    t.send(db(), db("resolved", 1 * MIN));
    // Inside database_failures' 5-minute cooldown: the same cause again, now with rpc_error_rate.
    t.send(
      db("firing", 2 * MIN),
      rpc("firing", 2 * MIN + 10 * SEC),
      db("resolved", 3 * MIN),
      rpc("resolved", 3 * MIN),
    );
    expect(t.out.map((o) => [o.at, o.item.status, t.members(o.item)])).toEqual([
      [0, "firing", ["database_failures"]],
      [1 * MIN, "resolved", ["database_failures"]],
      [3 * MIN, "resolved", ["database_failures", "rpc_error_rate"]],
    ]);
    // A lone re-fire of the same alert is a repeat, as without incidents: held, then dropped.
    t.send(db("firing", 4 * MIN), db("resolved", 4 * MIN + 30 * SEC));
    expect(t.out).toHaveLength(3);
  });

  it("escalates the incident once, critical when any member is", async () => {
    const t = await chain({}, { cooldown: seed, escalation: { delay: 15 } });
    const warn = memory("web-1");
    t.send(warn, disk("web-1", "firing", 30 * SEC));
    t.clock.advanceTo(30 * MIN);
    const escalated = t.out.filter((o) => o.item.status === "escalated");
    expect(escalated.map((o) => [o.at, o.item.rule, o.item.severity, t.members(o.item)])).toEqual([
      [5 * MIN + 15 * MIN, "memory_usage", "critical", ["memory_usage", "disk_usage"]],
    ]);
  });
});

describe("incidents config", () => {
  it("refuses a topology with a cycle, naming the component", () => {
    const config = incidentsFactory.configSchema.parse({
      topology: { normalizer: ["fetcher"], fetcher: ["normalizer"], "*": ["x"] },
    });
    expect(incidentsFactory.validate?.(config)).toEqual([
      { path: ["topology", "*"], message: '"*" is an upstream (related to all), not a component' },
      {
        path: ["topology", "normalizer"],
        message: "components upstream of each other in a cycle: normalizer → fetcher → normalizer",
      },
    ]);
  });
});
