// GET /api/v2/alerts shows incident membership: each member alert of an open incident carries the
// incident's id, its likely cause and the alert's role as annotations, and is active (notified)
// once its incident's notice has gone out, though the notice carries the cause's fingerprint.
import { afterEach, describe, expect, it } from "vitest";
import { type ApiHarness, startApi, TOKEN } from "./support/api.ts";

let api: ApiHarness | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

interface Listed {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  status: { state: string };
}

const iso = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();
const posted = (alertname: string, instance: string) => ({
  labels: { alertname, instance, job: "node", severity: "critical" },
  annotations: { summary: `${alertname} on ${instance}` },
  startsAt: iso(-1000),
  endsAt: iso(60_000),
});

describe("incident membership in /api/v2/alerts", () => {
  it("annotates every member with the incident's id, cause and its role; members are active", async () => {
    api = await startApi({ token: TOKEN, incidents: true });
    await api.send("POST", "/api/v2/alerts", [posted("DiskFull", "db1:9100")]);
    await expect.poll(() => api?.texts().length, { timeout: 5000 }).toBe(1);
    await api.send("POST", "/api/v2/alerts", [
      posted("HighLoad", "db1:9100"),
      posted("DiskFull", "web1:9100"),
    ]);
    await expect
      .poll(async () => (await api?.json<Listed[]>("/api/v2/alerts"))?.length, { timeout: 5000 })
      .toBe(3);
    const listed = await api.json<Listed[]>("/api/v2/alerts");
    const of = (alertname: string, instance: string) =>
      listed.find((a) => a.labels.alertname === alertname && a.labels.instance === instance) as Listed;
    const cause = of("DiskFull", "db1:9100");
    const member = of("HighLoad", "db1:9100");
    expect(cause.annotations).toMatchObject({
      incident_cause: "DiskFull",
      incident_role: "cause",
      incident_alerts: "2",
    });
    expect(member.annotations).toMatchObject({
      incident_id: cause.annotations.incident_id,
      incident_cause: "DiskFull",
      incident_role: "member",
      incident_alerts: "2",
    });
    expect(member.status.state).toBe("active"); // its incident's notice went out (held update or not)
    // Another instance: its own incident.
    const other = of("DiskFull", "web1:9100");
    expect(other.annotations.incident_id).toMatch(/^[0-9a-f]{16}$/);
    expect(other.annotations.incident_id).not.toBe(cause.annotations.incident_id);
    expect(other.annotations.incident_role).toBe("cause");
  });
});
