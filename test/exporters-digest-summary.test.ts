// A digest's summary lines: held alerts past the throttle's bound, counted per rule and status, in
// Slack (mrkdwn, within Slack's limits), in the plain-text fallback and on the console.
import { describe, expect, it } from "vitest";
import { formatItem } from "../exporters/console.ts";
import { renderDigest } from "../exporters/slack-blocks.ts";
import { summaryExamples } from "../exporters/slack-format.ts";
import type { DigestSummary } from "../src/signal.ts";
import { alert, digest } from "./support/notice-fixtures.ts";
import { blockText, expectWithinSlackLimits } from "./support/slack-limits.ts";

const hosts = (n: number) => Array.from({ length: n }, (_, i) => ({ "host.name": `h${i}`, env: "prod" }));
const memory: DigestSummary = {
  rule: "memory_usage",
  status: "firing",
  severity: "warning",
  count: 9590,
  examples: hosts(5),
};

describe("digest summary lines", () => {
  it("Slack: the count, the rule, the status and the hosts that differ; the header counts them too", () => {
    const d = digest([alert()], {
      summarised: [memory, { ...memory, status: "resolved", count: 3, examples: hosts(1) }],
    });
    const [message, ...more] = renderDigest(d, { environment: "prod" });
    expect(more).toEqual([]);
    if (!message) throw new Error("no message");
    expectWithinSlackLimits(message as never);
    const text = blockText(message as never);
    expect(text).toContain("Alert digest: 9594 alerts held");
    expect(text).toContain("🟡 *+9590 more memory_usage* alerts · FIRING · host.name: h0, h1, h2, h3, h4 …");
    expect(text).toContain("➕ *+3 more memory_usage* alerts · RESOLVED · host.name=h0, env=prod …");
    expect(message.text).toMatch(/9594 alerts held .*; \+9590 more memory_usage alerts \(FIRING\); \+3 more/);
  });

  it("names the labels that differ, else all of the first example's", () => {
    expect(summaryExamples({ ...memory, count: 2, examples: hosts(2) })).toBe("host.name: h0, h1");
    expect(summaryExamples({ ...memory, count: 1, examples: hosts(1) })).toBe("host.name=h0, env=prod");
    expect(summaryExamples({ ...memory, examples: [] })).toBe("");
  });

  it("console: one line per summary", () => {
    const line = formatItem(digest([], { summarised: [memory] })) ?? "";
    expect(line).toContain("DIGEST 9590 held alert(s) for default");
    expect(line).toContain("  - +9590 more memory_usage alerts (FIRING): host.name: h0, h1, h2, h3, h4 …");
  });
});
