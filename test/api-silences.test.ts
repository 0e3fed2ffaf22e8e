// Silences through the Alertmanager v2 API on a running pipeline: a silenced breach never reaches
// Slack but is listed as suppressed; expiring the silence delivers what still fires, or the digest
// of what was muted; the silence endpoints answer in Alertmanager's shapes.
import { afterEach, describe, expect, it } from "vitest";
import { type ApiHarness, silenceBody, startApi, TOKEN } from "./support/api.ts";

let api: ApiHarness | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

interface ListedAlert {
  labels: Record<string, string>;
  fingerprint: string;
  status: { state: string; silencedBy: string[]; inhibitedBy: string[] };
  receivers: { name: string }[];
  annotations: Record<string, string>;
}

const settle = () => new Promise((r) => setTimeout(r, 300));

async function addSilence(h: ApiHarness, matchers: Record<string, string>, minutes = 60): Promise<string> {
  const res = await h.send("POST", "/api/v2/silences", silenceBody(matchers, minutes));
  expect(res.status).toBe(200);
  return ((await res.json()) as { silenceID: string }).silenceID;
}

describe("a silenced breach", () => {
  it("never reaches Slack, is listed as suppressed, and is sent at once when the silence expires", async () => {
    api = await startApi({ token: TOKEN });
    const id = await addSilence(api, { alertname: "system_health", service_name: "svc-x" });
    api.health("svc-x", 10);
    api.health("svc-y", 12);
    await expect.poll(() => api?.texts().length, { timeout: 5000 }).toBe(1);
    await settle();
    expect(api.texts()).toHaveLength(1);
    expect(api.texts()[0]).toContain("svc-y");

    const all = await api.json<ListedAlert[]>("/api/v2/alerts");
    const x = all.find((a) => a.labels.service_name === "svc-x");
    expect(x).toMatchObject({
      labels: {
        alertname: "system_health",
        severity: "critical",
        service_name: "svc-x",
        component: "system",
      },
      status: { state: "suppressed", silencedBy: [id], inhibitedBy: [] },
      receivers: [{ name: "slack" }],
    });
    expect(x?.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(x?.annotations.summary).toContain("system_health");
    expect(x?.annotations.threshold).toBe("30");
    const visible = await api.json<ListedAlert[]>("/api/v2/alerts?silenced=false");
    expect(visible.map((a) => a.labels.service_name)).toEqual(["svc-y"]);
    const onlySilenced = await api.json<ListedAlert[]>("/api/v2/alerts?active=false&silenced=true");
    expect(onlySilenced.map((a) => a.labels.service_name)).toEqual(["svc-x"]);

    expect((await api.send("DELETE", `/api/v2/silence/${id}`)).status).toBe(200);
    await expect.poll(() => api?.texts().length, { timeout: 5000 }).toBe(2);
    expect(api.texts()[1]).toMatch(/FIRING.*system_health.*svc-x/);
    const after = await api.json<ListedAlert[]>("/api/v2/alerts?filter=service_name%3D%22svc-x%22");
    expect(after.map((a) => a.status.state)).toEqual(["active"]);
  });

  it("that recovered while silenced arrives as one 'while silenced' digest when the silence ends", async () => {
    api = await startApi({ token: TOKEN });
    const id = await addSilence(api, { alertname: "system_health" });
    api.health("svc-a", 10);
    api.health("svc-b", 11);
    await settle();
    api.health("svc-a", 90);
    api.health("svc-b", 95);
    await expect
      .poll(async () => (await api?.json<unknown[]>("/api/v2/alerts"))?.length, { timeout: 5000 })
      .toBe(0);
    expect(api.texts()).toEqual([]);
    await api.send("DELETE", `/api/v2/silence/${id}`);
    await expect.poll(() => api?.texts().length, { timeout: 5000 }).toBe(1);
    await settle();
    const [digest] = api.texts();
    expect(api.texts()).toHaveLength(1);
    expect(digest).toMatch(/while silenced \(db maintenance, ops, \d+s\): 2 alerts muted/);
    expect(digest).toContain("svc-a");
    expect(digest).toContain("svc-b");
    const status = await api.json<{ processors: Array<Record<string, unknown>> }>("/status");
    expect(status.processors.find((p) => p.type === "silence")).toMatchObject({
      muted_notices: 4,
      digests_sent: 1,
      muted_alerts: 0,
    });
  });
});

describe("the silence endpoints", () => {
  it("list, get, filter, update in place or replace, and expire like Alertmanager", async () => {
    api = await startApi({ token: TOKEN });
    const id = await addSilence(api, { alertname: "system_health", "service.name": "svc-x" });
    const one = await api.json<Record<string, unknown>>(`/api/v2/silence/${id}`);
    expect(one).toMatchObject({
      id,
      status: { state: "active" },
      createdBy: "ops",
      comment: "db maintenance",
      matchers: [
        { name: "alertname", value: "system_health", isRegex: false, isEqual: true },
        { name: "service.name", value: "svc-x", isRegex: false, isEqual: true },
      ],
    });
    // Filters match on the Prometheus form of the names too.
    expect(await api.json<unknown[]>("/api/v2/silences?filter=service_name%3Dsvc-x")).toHaveLength(1);
    expect(await api.json<unknown[]>("/api/v2/silences?filter=service_name%3Dother")).toHaveLength(0);

    // Same matchers, later end: the same silence, updated.
    const longer = { ...silenceBody({ alertname: "system_health", "service.name": "svc-x" }, 120), id };
    longer.startsAt = one.startsAt as string;
    const updated = (await (await api.send("POST", "/api/v2/silences", longer)).json()) as {
      silenceID: string;
    };
    expect(updated.silenceID).toBe(id);
    // Other matchers: Alertmanager expires the old one and creates a new one.
    const replaced = { ...silenceBody({ alertname: "other" }), id };
    const fresh = (await (await api.send("POST", "/api/v2/silences", replaced)).json()) as {
      silenceID: string;
    };
    expect(fresh.silenceID).not.toBe(id);
    expect((await api.json<{ status: { state: string } }>(`/api/v2/silence/${id}`)).status.state).toBe(
      "expired",
    );

    const listed = await api.json<Array<{ id: string; status: { state: string } }>>("/api/v2/silences");
    expect(listed.map((s) => [s.id, s.status.state])).toEqual([
      [fresh.silenceID, "active"],
      [id, "expired"],
    ]);
    expect((await api.send("DELETE", `/api/v2/silence/${fresh.silenceID}`)).status).toBe(200);
    expect((await api.send("DELETE", `/api/v2/silence/${fresh.silenceID}`)).status).toBe(200);
    expect((await api.request("GET", "/api/v2/silence/no-such-id")).status).toBe(404);
    expect((await api.send("DELETE", "/api/v2/silence/no-such-id")).status).toBe(404);
  });

  it("refuse a silence that would mute everything, or has already ended, with Alertmanager's words", async () => {
    api = await startApi({ token: TOKEN });
    const everything = silenceBody({});
    everything.matchers = [{ name: "alertname", value: ".*", isRegex: true, isEqual: true }];
    const res = await api.send("POST", "/api/v2/silences", everything);
    expect(res.status).toBe(400);
    expect(await res.json()).toBe("at least one matcher must not match the empty string");
    const past = silenceBody({ alertname: "x" });
    past.endsAt = new Date(Date.now() - 1000).toISOString();
    past.startsAt = new Date(Date.now() - 5000).toISOString();
    const late = await api.send("POST", "/api/v2/silences", past);
    expect(late.status).toBe(400);
    expect(await late.json()).toBe("end time can't be in the past");
    const bad = silenceBody({ alertname: "x" });
    bad.matchers = [{ name: "alertname", value: "(", isRegex: true, isEqual: true }];
    expect(await (await api.send("POST", "/api/v2/silences", bad)).json()).toMatch(
      /^matchers\.0: invalid regular/,
    );
  });
});
