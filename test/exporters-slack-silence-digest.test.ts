// The "while silenced" digest in Slack: which silence (comment, author, how long), how many alerts
// it muted, each listed with its last status and mute count; within Block Kit's limits when long.
import { describe, expect, it } from "vitest";
import { renderDigest } from "../exporters/slack-blocks.ts";
import type { Digest } from "../src/signal.ts";
import { alert } from "./support/alerts.ts";
import { expectWithinSlackLimits } from "./support/slack-limits.ts";

const HOUR = 3_600_000;

function silenceDigest(count: number): Digest {
  return {
    kind: "digest",
    route: "default",
    alerts: Array.from({ length: count }, (_, i) =>
      alert(`system_health{service.name="svc-${i}"}`, i % 2 ? "resolved" : "firing", {
        rule: "system_health",
        severity: "critical",
        labels: { "service.name": `svc-${i}` },
        details: { muted_notices: 3 },
      }),
    ),
    windowStart: 0,
    at: 2 * HOUR + 5 * 60_000,
    silence: {
      id: "7d0c2e3a-0000-4000-8000-000000000000",
      comment: "db maintenance",
      createdBy: "ops",
      startsAt: 0,
      endsAt: 2 * HOUR + 5 * 60_000,
      matchers: 'alertname="system_health"',
      mutedNotices: count * 3 + 1,
      stillFiring: 1,
    },
  };
}

describe("the silence digest in Slack", () => {
  it("names the silence and what it muted", () => {
    const [message] = renderDigest(silenceDigest(2), { environment: "prod" });
    expect(message?.text).toMatch(
      /^while silenced \(db maintenance, ops, 2h5m\): 2 alerts muted \| env: prod/,
    );
    const blocks = message?.attachments[0]?.blocks ?? [];
    expect(JSON.stringify(blocks[0])).toContain(
      "🔕 while silenced (db maintenance, ops, 2h5m): 2 alerts muted",
    );
    const body = JSON.stringify(blocks);
    expect(body).toContain('alertname=\\"system_health\\"');
    expect(body).toContain("It muted 7 notices in all");
    expect(body).toContain("1 still firing were sent on their own");
    expect(body).toMatch(/svc-0.*muted 3×/);
  });

  it("splits a long one into messages inside Slack's limits", () => {
    const messages = renderDigest(silenceDigest(400), { environment: "prod" });
    expect(messages.length).toBeGreaterThan(1);
    for (const m of messages) expectWithinSlackLimits(m as unknown as Record<string, unknown>);
    expect(messages.map((m) => m.text).every((t) => t.startsWith("while silenced"))).toBe(true);
  });
});
