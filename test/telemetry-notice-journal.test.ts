// The journal of recent notices (the web view's timeline): bounded by count and by age, oldest
// first, each entry a compact copy (a digest's alerts counted, not kept); and the delivery latency
// of notices sent before /metrics is attached is not lost.
import { describe, expect, it } from "vitest";
import type { Digest } from "../src/signal.ts";
import { NoticeJournal } from "../src/telemetry/notice-journal.ts";
import { Telemetry } from "../src/telemetry/telemetry.ts";
import { alert } from "./support/alerts.ts";

const HOUR = 3_600_000;
const firing = (n: number, at: number) => ({ ...alert(`r{n="${n}"}`, "firing"), at, summary: `alert ${n}` });

describe("notice journal", () => {
  it("keeps the last `capacity` notices, oldest first", () => {
    const journal = new NoticeJournal({ capacity: 3 });
    for (let i = 0; i < 5; i++)
      journal.record({ outcome: "sent", item: firing(i, i), component: "slack", at: i + 10 });
    expect(journal.recent(100).map((e) => e.summary)).toEqual(["alert 2", "alert 3", "alert 4"]);
    expect(journal.recent(100)[0]).toMatchObject({ outcome: "sent", kind: "alert", latencyMs: 10 });
  });

  it("drops what is older than its age limit", () => {
    const journal = new NoticeJournal({ maxAgeMs: 6 * HOUR });
    journal.record({
      outcome: "muted",
      item: firing(1, 0),
      component: "silence",
      at: 0,
      reason: "maintenance",
    });
    journal.record({ outcome: "failed", item: firing(2, HOUR), component: "slack", at: HOUR, reason: "410" });
    expect(journal.recent(6 * HOUR + 1).map((e) => e.outcome)).toEqual(["failed"]);
  });

  it("keeps a digest as its count and what it is about, not its alerts", () => {
    const journal = new NoticeJournal();
    const digest: Digest = {
      kind: "digest",
      route: "default",
      alerts: Array.from({ length: 40 }, (_, i) => firing(i, 0)),
      summarised: [{ rule: "r", status: "firing", severity: "warning", count: 960, examples: [] }],
      windowStart: 0,
      at: 5,
    };
    journal.record({ outcome: "sent", item: digest, component: "slack", at: 7 });
    const [entry] = journal.recent(10);
    expect(entry).toEqual({
      at: 7,
      outcome: "sent",
      component: "slack",
      kind: "digest",
      rule: "digest",
      summary: "1000 alerts held by the throttle",
      count: 1000,
      latencyMs: 2,
    });
  });

  it("replays delivery latencies observed before /metrics attached", () => {
    const telemetry = new Telemetry();
    telemetry.record({ outcome: "sent", item: firing(1, 1000), component: "slack", at: 3500 });
    telemetry.record({ outcome: "muted", item: firing(2, 1000), component: "silence", at: 1000 });
    const seen: Array<[string, number]> = [];
    telemetry.observeLatency((labels, seconds) => seen.push([labels.exporter, seconds]));
    telemetry.record({ outcome: "sent", item: firing(3, 0), component: "slack", at: 250 });
    expect(seen).toEqual([
      ["slack", 2.5],
      ["slack", 0.25],
    ]);
  });
});
