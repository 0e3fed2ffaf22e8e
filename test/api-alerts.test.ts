// Alerts posted to /api/v2/alerts enter the pipeline after the rules: one notice per firing however
// often it is re-posted, a resolve when endsAt is past, a stale resolve when it is not posted again;
// GET /api/v2/alerts filters them with Alertmanager's matchers on Prometheus-form names.
import { afterEach, describe, expect, it } from "vitest";
import { alertFromPosted } from "../src/api/alert-intake.ts";
import { type ApiHarness, startApi, TOKEN } from "./support/api.ts";

let api: ApiHarness | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const settle = () => new Promise((r) => setTimeout(r, 300));
const iso = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();

interface Listed {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  endsAt: string;
  generatorURL?: string;
  status: { state: string };
}

const diskFull = (endsAt: string, extra: Record<string, string> = {}) => ({
  labels: { alertname: "DiskFull", instance: "db1", severity: "critical", ...extra },
  annotations: { summary: "disk almost full on db1", value: "97.5", runbook_url: "https://runbooks/disk" },
  startsAt: iso(-60_000),
  endsAt,
  generatorURL: "http://prometheus/graph?g0.expr=disk",
});

describe("POST /api/v2/alerts", () => {
  it("notifies a firing once however often it is re-posted, and resolves it when endsAt is past", async () => {
    api = await startApi({ token: TOKEN });
    for (let i = 0; i < 4; i++) {
      expect((await api.send("POST", "/api/v2/alerts", [diskFull(iso(60_000))])).status).toBe(200);
    }
    await expect.poll(() => api?.texts().length, { timeout: 5000 }).toBe(1);
    await settle();
    expect(api.texts()).toHaveLength(1);
    expect(api.texts()[0]).toMatch(/FIRING.*DiskFull \(critical\).*disk almost full on db1/);

    const [listed] = await api.json<Listed[]>("/api/v2/alerts");
    expect(listed).toMatchObject({
      labels: { alertname: "DiskFull", instance: "db1", severity: "critical" },
      annotations: {
        summary: "disk almost full on db1",
        value: "97.5",
        runbook_url: "https://runbooks/disk",
      },
      generatorURL: "http://prometheus/graph?g0.expr=disk",
      status: { state: "active" },
    });

    await api.send("POST", "/api/v2/alerts", [diskFull(iso(-1000))]);
    await expect.poll(() => api?.texts().length, { timeout: 5000 }).toBe(2);
    expect(api.texts()[1]).toMatch(/RESOLVED.*DiskFull/);
    expect(await api.json("/api/v2/alerts")).toEqual([]);
    // Prometheus keeps re-sending the resolved alert for a while: nothing more goes out.
    await api.send("POST", "/api/v2/alerts", [diskFull(iso(-1000))]);
    await settle();
    expect(api.texts()).toHaveLength(2);
    const status = await api.json<{ posted_alerts: Record<string, number> }>("/status");
    expect(status.posted_alerts).toMatchObject({ fired: 1, refreshed: 3, resolved: 1, resolves_ignored: 1 });
  });

  it("resolves a firing that is not posted again before its endsAt, saying why", async () => {
    api = await startApi({ token: TOKEN, status: "    resolve_timeout: 0.4" });
    await api.send("POST", "/api/v2/alerts", [{ labels: { alertname: "NoEndsAt", job: "api" } }]);
    await api.send("POST", "/api/v2/alerts", [diskFull(iso(500))]);
    await expect.poll(() => api?.texts().length, { timeout: 5000 }).toBe(4);
    const resolved = api.texts().filter((t) => t.includes("RESOLVED"));
    expect(resolved).toHaveLength(2);
    expect(resolved.join("\n")).toMatch(/not posted again by/);
  });

  it("takes the valid alerts of a batch and names the invalid ones in a 400", async () => {
    api = await startApi({ token: TOKEN });
    const res = await api.send("POST", "/api/v2/alerts", [
      { labels: { instance: "x" } },
      diskFull(iso(60_000)),
      { labels: { alertname: "Backwards" }, startsAt: iso(0), endsAt: iso(-60_000) },
    ]);
    expect(res.status).toBe(400);
    expect(await res.json()).toBe(
      "alerts.0: labels.alertname is required; alerts.2: start time must be before end time",
    );
    await expect.poll(() => api?.texts().length, { timeout: 5000 }).toBe(1);
  });
});

describe("GET /api/v2/alerts filters", () => {
  it("match Prometheus-form names (service_name = service.name) with =, !=, =~ and !~", async () => {
    api = await startApi({ token: TOKEN });
    api.health("svc-x", 10);
    api.health("svc-y", 11);
    api.health("web-1", 12);
    await expect
      .poll(async () => (await api?.json<Listed[]>("/api/v2/alerts"))?.length, { timeout: 5000 })
      .toBe(3);
    const names = async (...filters: string[]) => {
      const query = filters.map((f) => `filter=${encodeURIComponent(f)}`).join("&");
      return (await api?.json<Listed[]>(`/api/v2/alerts?${query}`))?.map((a) => a.labels.service_name).sort();
    };
    expect(await names('service_name="svc-x"')).toEqual(["svc-x"]);
    expect(await names("service.name=svc-y")).toEqual(["svc-y"]);
    expect(await names('service_name!="svc-x"')).toEqual(["svc-y", "web-1"]);
    expect(await names('service_name=~"svc-.*"')).toEqual(["svc-x", "svc-y"]);
    expect(await names('{alertname="system_health", service_name!~"svc-.*"}')).toEqual(["web-1"]);
    expect(await names("alertname=other")).toEqual([]);
    const bad = await api.request("GET", `/api/v2/alerts?filter=${encodeURIComponent("service_name~x")}`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatch(/^bad matcher format/);
    expect((await api.request("GET", "/api/v2/alerts?active=maybe")).status).toBe(400);
    const groups =
      await api.json<Array<{ labels: Record<string, string>; alerts: unknown[] }>>("/api/v2/alerts/groups");
    expect(groups.map((g) => [g.labels.alertname, g.alerts.length])).toEqual([["system_health", 3]]);
  });
});

describe("a posted alert as a pipeline alert", () => {
  it("takes its rule from alertname, severity from the label, values from annotations", () => {
    const alert = alertFromPosted(diskFull(iso(60_000)), Date.now());
    expect(alert).toMatchObject({
      rule: "DiskFull",
      severity: "critical",
      component: "external",
      labels: { instance: "db1", severity: "critical" },
      summary: "disk almost full on db1",
      value: 97.5,
      details: {
        runbook_url: "https://runbooks/disk",
        generator_url: "http://prometheus/graph?g0.expr=disk",
      },
    });
    expect(alertFromPosted({ labels: { alertname: "X", severity: "page", job: "node" } }, 0)).toMatchObject({
      severity: "critical",
      component: "node",
      summary: "X is firing",
    });
  });
});
