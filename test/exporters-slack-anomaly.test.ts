// An anomaly alert as Slack shows it, from the rule itself (virtual time) through the Slack
// exporter to a local Slack: what was expected at this time of day, instead of a threshold.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { slackExporterFactory } from "../exporters/slack.ts";
import type { Exporter } from "../src/component.ts";
import type { Alert } from "../src/signal.ts";
import { anomalyRule, THROUGHPUT } from "./support/anomaly-rule.ts";
import { testContext } from "./support/context.ts";
import { type FakeSlack, startFakeSlack } from "./support/fake-slack.ts";
import { blockText, expectWithinSlackLimits } from "./support/slack-limits.ts";
import { DAY, HOUR, MIN, usualRate } from "./support/synthetic-diurnal.ts";

type Obj = Record<string, unknown>;
const attachment = (m: Obj) => (m.attachments as Obj[])[0] as Obj;
const fields = (m: Obj) =>
  (((attachment(m).blocks as Obj[]).find((b) => b.fields) as Obj).fields as Obj[]).map(
    (f) => f.text as string,
  );

/** The rule's firing and resolve for a collapse to 45 % at 14:00 on day 3, after three days of learning. */
async function collapseAlerts(): Promise<Alert[]> {
  const config = {
    metric: THROUGHPUT,
    aggregation: "rate",
    unit: "/s",
    group_by: ["service.name"],
    component: "normalizer",
  };
  const t = await anomalyRule(config, { noise: 0 });
  const collapse = 3 * DAY + 14 * HOUR;
  t.feed(
    0,
    collapse + HOUR,
    (x) => usualRate(x) * (x >= collapse && x < collapse + 30 * MIN ? 0.45 : 1),
    "roaster-scraper",
  );
  return t.alerts();
}

describe("slack: an anomaly alert", () => {
  let slack: FakeSlack;
  let exporter: Exporter;

  beforeEach(async () => {
    slack = await startFakeSlack();
    const parsed = slackExporterFactory.configSchema.parse({
      webhook_url: slack.webhookUrl(),
      environment: "production",
    });
    exporter = await slackExporterFactory.create(parsed, testContext({ id: "slack" }));
  });
  afterEach(async () => {
    await exporter.shutdown();
    await slack.close();
  });

  it("says what was expected at this time of day, and how far off it is, with no threshold", async () => {
    const [firing, resolved] = await collapseAlerts();
    expect(firing?.status).toBe("firing");
    await exporter.export([firing as Alert, resolved as Alert]);
    await (exporter as unknown as { queue: { whenIdle(): Promise<void> } }).queue.whenIdle();
    const [fired, back] = slack.requests.map((r) => r.body as Obj);
    const text = String(fired?.text);
    expect(text).toMatch(
      /^\[FIRING\] throughput \(warning\) — normalizer: throughput unusually low: expected 1[67]\d–1[89]\d\/s at 14:0\d UTC, now [78]\d\/s \(\d+ robust deviations below\) for service\.name=roaster-scraper \| value [78]\d(\.\d+)?\/s \(expected 1\d\d(\.\d+)?–1\d\d(\.\d+)?\/s at 14:0\d UTC\) \| labels: service\.name=roaster-scraper \| env: production$/,
    );
    expect(text).not.toContain("threshold");
    const f = fields(fired as Obj);
    expect(f.find((x) => x.startsWith("*Current value*"))).toMatch(/^\*Current value\*\n[78]\d(\.\d+)?\/s$/);
    expect(f.find((x) => x.startsWith("*Expected*"))).toMatch(
      /^\*Expected\*\n1\d\d(\.\d+)?–1\d\d(\.\d+)?\/s at 14:0\d UTC$/,
    );
    expect(f.some((x) => x.startsWith("*Baseline*"))).toBe(false);
    expect(blockText(fired as Obj)).toContain("`robust_deviations`: -");
    expectWithinSlackLimits(fired as Obj);
    expect(String(back?.text)).toMatch(
      /^\[RESOLVED\] throughput .*throughput back to normal: expected .*\/s at 14:3\d UTC, now 1\d\d\/s/,
    );
  });
});
