// Issue 16's target for the `anomaly` rule, through `alertpipe replay`: 14 days of diurnal
// throughput (20–180/s, ±5 % noise, one OTLP export a minute) with four anomalies inside the daily
// range are all found within 25 minutes and nothing else fires in the fortnight, where no fixed
// threshold (one bound, or a bound each way) reaches both; a holiday-like flat day fires once and
// settles instead of firing all day.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { noticeText } from "../src/replay/report.ts";
import { replay } from "../src/replay/run.ts";
import { loadConfig } from "../src/service.ts";
import type { Alert } from "../src/signal.ts";
import { bestFixedThresholds, firings, score, sweepPipeline } from "./support/anomaly-scoring.ts";
import { ANOMALIES, DAY, diurnalLines, HOUR, MIN, START } from "./support/synthetic-diurnal.ts";

const CONFIG = join(process.cwd(), "examples/anomaly.pipeline.yaml");
/** The rule's window and `for` (examples/anomaly.pipeline.yaml): a firing this long after an anomaly is still its own. */
const WINDOW_S = 300;
const FOR_S = 300;
const SCORING = { detectWithinMs: 25 * MIN, tailMs: (WINDOW_S + FOR_S) * 1000 };

let dir: string;
let fortnight: string;
let holiday: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "alertpipe-anomaly-"));
  fortnight = join(dir, "fortnight.jsonl");
  await writeFile(fortnight, `${diurnalLines().join("\n")}\n`);
  holiday = join(dir, "holiday.jsonl");
  // Day 8 (after the 3 days of min_history) is flat at 60/s: a surge at night, a collapse by day.
  await writeFile(
    holiday,
    `${diurnalLines({ anomalies: [], flatDays: [{ day: 8, rate: 60 }] }).join("\n")}\n`,
  );
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const alertsOf = (result: Awaited<ReturnType<typeof replay>>) =>
  result.notices.flatMap((n) => (n.notice.kind === "alert" ? [{ at: n.at, alert: n.notice as Alert }] : []));

// Whole-fortnight replays: generous time on a shared, loaded machine.
describe("anomaly rule on a replayed fortnight", { timeout: 180_000 }, () => {
  it("finds all four injected anomalies within 25 minutes and sends nothing else", async () => {
    const config = await loadConfig({ configPath: CONFIG, env: {} });
    const result = await replay({ files: [fortnight], config, env: {} });
    expect(result.stats).toMatchObject({ metricRequests: 14 * 24 * 60, rejected: 0, skippedLines: 0 });
    const alerts = alertsOf(result);
    const s = score(firings(result.notices, START), ANOMALIES, SCORING);
    expect(s).toMatchObject({
      firings: 4,
      truePositives: 4,
      falsePositives: 0,
      detected: 4,
      precision: 1,
      recall: 1,
    });
    for (const d of s.delaysMinutes) expect(d).toBeLessThanOrEqual(25);
    // Each anomaly: one firing on its side, one resolve once it is over; nothing between them.
    expect(alerts.map(({ at, alert }) => [alert.status, alert.comparison, at - START])).toEqual(
      ANOMALIES.flatMap((a, i) => [
        ["firing", a.factor > 1 ? "above" : "below", a.start + (s.delaysMinutes[i] as number) * MIN],
        ["resolved", expect.anything(), expect.any(Number)],
      ]),
    );
    for (const [i, a] of ANOMALIES.entries()) {
      const resolved = alerts[2 * i + 1];
      expect(resolved?.at).toBeGreaterThan(START + a.start + a.durationMs);
      expect(resolved?.at).toBeLessThanOrEqual(START + a.start + a.durationMs + SCORING.tailMs);
    }
    // The message says what was expected at this time of day (the 14:00 collapse to ×0.45).
    const collapse = alerts[2]?.alert;
    expect(collapse?.summary).toMatch(
      /^throughput unusually low: expected 1[67]\d–1[89]\d\/s at 14:0\d UTC, now 8\d\/s \(\d+ robust deviations below\) for service\.name=roaster-scraper$/,
    );
    expect(collapse).toMatchObject({ unit: "/s", comparison: "below", details: { sensitivity: 5 } });
    expect(collapse?.threshold).toBeUndefined();
    expect(collapse?.baseline).toBeGreaterThan(160);
    expect(alerts[3]?.alert.summary).toMatch(
      /^throughput back to normal: expected .* at 14:3\d UTC, now 1\d\d\/s/,
    );
    expect(noticeText(result.notices[2] as never)).toMatch(/ 8\d(\.\d+)?\/s \(expected 1\d\d–1\d\d\/s\)$/);
  });

  it("no fixed threshold reaches both: the best single bound and the best pair miss or over-fire", async () => {
    // 20, 30, … 180 /s: the daily range (bench/anomaly.ts sweeps every 5 /s from 10 to 200).
    const bounds = Array.from({ length: 17 }, (_, i) => 20 + 10 * i);
    const { yaml, rules } = sweepPipeline(bounds, { window: WINDOW_S, for: FOR_S });
    const file = join(dir, "sweep.yaml");
    await writeFile(file, yaml);
    const config = await loadConfig({ configPath: file, env: {} });
    const result = await replay({ files: [fortnight], config, env: {} });
    const best = bestFixedThresholds(firings(result.notices, START), rules, ANOMALIES, SCORING);
    expect(best.perfect).toBe(false);
    expect(best.single.score.precision === 1 && best.single.score.recall === 1).toBe(false);
    expect(best.pair.score.precision === 1 && best.pair.score.recall === 1).toBe(false);
    // A bound that catches the night surge (44/s) fires every day as traffic rises past it.
    const above40 = score(
      firings(result.notices, START).filter((f) => f.rule === "above_40"),
      ANOMALIES,
      SCORING,
    );
    expect(above40.falsePositives).toBeGreaterThanOrEqual(13);
  });

  it("a holiday-like flat day fires once, then settles: the resolve says the level is taken as the new normal", async () => {
    const config = await loadConfig({ configPath: CONFIG, env: {} });
    const result = await replay({ files: [holiday], config, env: {} });
    const alerts = alertsOf(result);
    expect(alerts.map(({ alert }) => alert.status)).toEqual(["firing", "resolved"]);
    const [fired, settled] = alerts as [{ at: number; alert: Alert }, { at: number; alert: Alert }];
    // 60/s at midnight is far above the usual 30/s: found within minutes of the day's start.
    expect(fired.at - START).toBeGreaterThanOrEqual(8 * DAY);
    expect(fired.at - START).toBeLessThanOrEqual(8 * DAY + 15 * MIN);
    expect(fired.alert.summary).toMatch(
      /^throughput unusually high: expected \d\d–\d\d\/s at 00:0\d UTC, now (59|60|61)\/s/,
    );
    // settle_after (2 h) later it resolves, once, and nothing fires for the rest of the flat day,
    // as the usual profile moves through 60/s and on to 180/s, nor on the normal day after it.
    expect(settled.at - fired.at).toBeGreaterThanOrEqual(2 * HOUR - 10 * MIN);
    expect(settled.at - fired.at).toBeLessThanOrEqual(2 * HOUR + 10 * MIN);
    expect(settled.alert.summary).toMatch(
      /^throughput resolved: 2 h( \d+ min)? off its usual level, now taken as the new normal \(usual \d\d–\d\d\/s at 0\d:\d\d UTC, now (59|60|61)\/s\)/,
    );
    expect(settled.alert.details).toMatchObject({ settled: true });
  });
});
