// An incident in Slack: one Block Kit message (cause section, facts, the members' timeline with why
// each belongs) through the webhook client to a local Slack, inside Block Kit's limits; Sentry and
// the console take it as they should.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { formatAlert } from "../exporters/console.ts";
import { sentryExporterFactory } from "../exporters/sentry.ts";
import { noticeIdentity, slackExporterFactory } from "../exporters/slack.ts";
import type { Exporter } from "../src/component.ts";
import type { Alert } from "../src/signal.ts";
import { alert } from "./support/alerts.ts";
import { testContext } from "./support/context.ts";
import { type FakeSlack, startFakeSlack } from "./support/fake-slack.ts";
import { db, health, incidentNotices, rpc } from "./support/incident-fixtures.ts";
import {
  attachment,
  blockText,
  delivered,
  expectWithinSlackLimits,
  fields,
  headerText,
} from "./support/slack-limits.ts";
import { MIN, SEC } from "./support/virtual-clock.ts";

type Obj = Record<string, unknown>;

/** The cascade's notices: open, two updates, resolve (no cooldown in between). */
const cascade = () =>
  incidentNotices([
    db(),
    rpc(),
    health(),
    db("resolved", 10 * MIN),
    rpc("resolved", 10 * MIN + 30 * SEC),
    health("resolved", 12 * MIN),
  ]);

describe("an incident in Slack", () => {
  let slack: FakeSlack;
  let exporter: Exporter;

  const send = (items: Parameters<Exporter["export"]>[0]) => delivered(exporter, slack, items);

  beforeEach(async () => {
    slack = await startFakeSlack();
    const config = slackExporterFactory.configSchema.parse({
      webhook_url: slack.webhookUrl(),
      environment: "staging",
      burst: 20,
    });
    exporter = await slackExporterFactory.create(config, testContext({ id: "slack" }));
  });
  afterEach(async () => {
    await exporter.shutdown();
    await slack.close();
  });

  it("is one message: the likely cause first, then every member with its offset and why it belongs", async () => {
    const update = cascade()[2];
    const [m] = (await send([update as never])) as [Obj];
    expectWithinSlackLimits(m);
    expect(headerText(m)).toBe("🔴 FIRING · CRITICAL · database_failures + 2 related");
    const text = blockText(m);
    expect(text).toContain(
      "*Likely cause:* *database_failures* (database), the first to fire — database_failures is 12 failures (above 5)",
    );
    expect(text).toContain("*Timeline*");
    expect(text).toContain(
      "`+0 s` · 🔴 *database_failures* · 12 failures (&gt; 5 failures) · _likely cause_",
    );
    expect(text).toContain(
      "`+30 s` · 🔴 *rpc_error_rate* · 40 % · same component: database (with database_failures)",
    );
    expect(text).toContain(
      "`+1 min` · 🔴 *system_health* · service.name=roaster-scraper · 15 · topology: system relates to all on its host (with database_failures)",
    );
    expect(text).toContain(`incident \`${update?.incident?.id}\` · updated`);
    expect(fields(m)).toEqual(expect.arrayContaining(["*Alerts*\n3 (3 firing)", "*Severity*\ncritical"]));
    expect(m.text).toBe(
      "[FIRING] incident database_failures (critical) — 3 alerts: database_failures (cause), +30 s rpc_error_rate, +1 min system_health | env: staging",
    );
  });

  it("resolves in one message with the duration, each member's resolve time on its line", async () => {
    const resolved = cascade().at(-1);
    const [m] = (await send([resolved as never])) as [Obj];
    expectWithinSlackLimits(m);
    expect(headerText(m)).toBe("✅ RESOLVED · CRITICAL · database_failures + 2 related");
    expect(blockText(m)).toContain(
      "*Resolved* after 12 min: all 3 alerts. Likely cause was *database_failures* (database).",
    );
    expect(blockText(m)).toContain(
      "`+30 s` · ✅ *rpc_error_rate* · now 40 % · same component: database (with database_failures) · resolved +10 min 30 s",
    );
    expect(fields(m)).toContain("*Duration*\n12 min");
    expect(attachment(m).color).toBe("#2EB67D");
  });

  it("escalated to the same channel: a channel mention, the members kept", async () => {
    const update = cascade()[2];
    const [m] = (await send([{ ...(update as Alert), status: "escalated", escalationLevel: 1 }])) as [Obj];
    expect(headerText(m)).toBe("🚨 ESCALATED · CRITICAL · database_failures + 2 related");
    expect(m.text).toMatch(/^<!channel> \[ESCALATED\] incident database_failures/);
    expect(fields(m)).toContain("*Escalation level*\n1");
  });

  it("a storm of members stays inside Block Kit's limits, saying how many are not shown", async () => {
    const spikes = Array.from({ length: 600 }, (_, i) =>
      alert(`review_rate_spike{roaster.id="roaster-${i}"}`, "firing", {
        component: "normalizer",
        labels: { "roaster.id": `roaster-${i}`, platform: "shopify" },
        value: 61.5,
        unit: "%",
      }),
    );
    const [notice] = incidentNotices(spikes, { max_members: 500 });
    const [m] = (await send([notice as never])) as [Obj];
    expectWithinSlackLimits(m);
    expect(headerText(m)).toBe("🟡 FIRING · WARNING · review_rate_spike + 599 related");
    // 40 listed, 100 counted in a summary line, the other 460 said
    expect(blockText(m)).toContain("…and 460 more alerts not shown");
    expect(blockText(m)).toContain("*+100 more review_rate_spike* alerts · FIRING");
  });

  it("an incident of one alert reads like that alert, its id in the footer", async () => {
    const [open] = cascade();
    const [m] = (await send([open as never])) as [Obj];
    expect(headerText(m)).toBe("🔴 FIRING · CRITICAL · database_failures");
    expect(blockText(m)).toContain(`incident \`${open?.incident?.id}\``);
  });

  it("updates of one incident are distinct notices to the delivery dedupe; Sentry takes none", async () => {
    const [open, first, second] = cascade();
    const ids = [open, first, second].map((n) => noticeIdentity(n as never));
    expect(new Set(ids).size).toBe(3);
    const sentry = await sentryExporterFactory.create(
      sentryExporterFactory.configSchema.parse({}),
      testContext({ id: "sentry" }),
    );
    expect(sentry.accepts.has("alert")).toBe(false); // exceptions only: incidents are not Sentry issues
    await sentry.shutdown();
  });

  it("prints on the console as a head line and one line per member", () => {
    const update = cascade()[2];
    const lines = formatAlert(update as never).split("\n");
    expect(lines[0]).toMatch(
      new RegExp(
        `^1970-01-01T00:01:00.000Z FIRING critical incident ${update?.incident?.id}: database_failures \\+ 2 related$`,
      ),
    );
    expect(lines.slice(1)).toEqual([
      "  +0 s FIRING critical [database] database_failures: database_failures is 12 failures (above 5) (value=12 failures threshold=5 failures) — likely cause",
      "  +30 s FIRING critical [database] rpc_error_rate: rpc_error_rate{} firing (value=40 %) — same component: database (with database_failures)",
      '  +1 min FIRING critical [system] system_health: system_health{service.name="roaster-scraper"} firing (value=15) {service.name=roaster-scraper} — topology: system relates to all on its host (with database_failures)',
    ]);
  });
});
