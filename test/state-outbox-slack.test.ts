// The Slack exporter on a durable state store: its queue uses the store outbox (destination keys, not
// URLs, are stored), the same notice exported by two instances is delivered once, and a later notice
// of the same fingerprint (a re-fire) is not mistaken for it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { asyncScheduler } from "rxjs";
import { afterEach, describe, expect, it } from "vitest";
import { createSlackExporter, noticeIdentity, slackConfigSchema } from "../exporters/slack.ts";
import type { Alert } from "../src/signal.ts";
import { SqliteStateStore } from "../src/state/sqlite-store.ts";
import { testContext } from "./support/context.ts";
import { type FakeSlack, startFakeSlack } from "./support/fake-slack.ts";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const firing: Alert = {
  kind: "alert",
  rule: "system_health",
  fingerprint: "system_health|host.name=roaster-1",
  status: "firing",
  severity: "critical",
  component: "system",
  labels: { "host.name": "roaster-1" },
  summary: "health score 12 below 30",
  value: 12,
  threshold: 30,
  comparison: "below",
  startsAt: 1_000,
  at: 1_000,
};

async function instance(path: string, slack: FakeSlack, name: string) {
  const state = new SqliteStateStore({ path, instanceId: name });
  const config = slackConfigSchema.parse({
    webhook_url: slack.webhookUrl(),
    rate_per_second: 100,
    burst: 10,
  });
  const exporter = createSlackExporter(config, {
    ...testContext({ id: "slack", scheduler: asyncScheduler }),
    state,
  });
  cleanups.push(async () => {
    await exporter.shutdown();
    await state.close();
  });
  return { state, exporter };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(check()).toBe(true);
}

describe("Slack exporter on the state-store outbox", () => {
  it("stores destination keys (never the URL); a notice exported by two instances is sent once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "alertpipe-outbox-slack-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, "state.db");
    const slack = await startFakeSlack();
    cleanups.push(() => slack.close());
    slack.behave(() => ({ status: 503, body: "service_unavailable" }));
    const a = await instance(path, slack, "a");
    const b = await instance(path, slack, "b");

    await Promise.all([a.exporter.export([firing]), b.exporter.export([{ ...firing, at: 1_004 }])]);
    const stored = a.state.pending("slack:default");
    expect(stored).toHaveLength(1);
    expect(JSON.stringify(stored)).not.toContain(slack.webhookUrl());
    expect(a.state.listDestinations()).toEqual(["slack:default"]);

    slack.behave(() => ({ status: 200, body: "ok" }));
    await until(() => slack.delivered().length === 1 && a.state.pending("slack:default").length === 0);

    // A re-fire (new start) of the same fingerprint, and its resolve, are new notices.
    const refire = { ...firing, startsAt: 9_000, at: 9_000 };
    await b.exporter.export([refire, { ...refire, status: "resolved", at: 9_500 }]);
    await until(() => slack.delivered().length === 3);
    expect(a.exporter.status?.()).toMatchObject({ delivery: { outbox: "state" } });
  });

  it("identifies a notice by fingerprint, status, start and escalation level only", () => {
    expect(noticeIdentity(firing)).toBe(noticeIdentity({ ...firing, at: 5_000, summary: "other text" }));
    expect(noticeIdentity(firing)).not.toBe(noticeIdentity({ ...firing, status: "resolved" }));
    expect(noticeIdentity(firing)).not.toBe(noticeIdentity({ ...firing, startsAt: 2_000 }));
    expect(noticeIdentity(firing)).not.toBe(
      noticeIdentity({ ...firing, status: "escalated", escalationLevel: 1 }),
    );
    expect(noticeIdentity(firing)).toMatch(/^[0-9a-f]{32}$/);
  });
});
