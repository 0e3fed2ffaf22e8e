// `alertpipe replay`: a synthetic day with known breaches gives exactly the expected notices, in
// virtual time from the points' own timestamps; a second pipeline.yaml answers "what would another
// threshold have sent"; the CLI prints text or JSON lines, digests with their members, and a summary.
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { type NoticeJson, noticeJson, summarize } from "../src/replay/report.ts";
import { replay } from "../src/replay/run.ts";
import { DEFAULT_CONFIG_PATH, loadConfig } from "../src/service.ts";
import { cleanEnv, runCli } from "./support/cli.ts";
import { DAY_START, HOUR, MIN, syntheticDayLines } from "./support/synthetic-day.ts";

const at = (h: number, m: number) => new Date(DAY_START + h * HOUR + m * MIN).toISOString();
const HOST = { "host.name": "scraper-1" };
const SERVICE = { "service.name": "roaster-scraper" };
const DATA = { "host.name": "scraper-1", "system.filesystem.mountpoint": "/data" };

/** What the shipped pipeline.yaml sends for the day, worked out from the breaches in synthetic-day.ts. */
const EXPECTED_DAY = [
  { time: at(10, 0), rule: "memory_usage", status: "firing", labels: HOST, value: 92 },
  // the 60 % sample at 10:20 is judged on the next minute's tick
  { time: at(10, 21), rule: "memory_usage", status: "resolved", labels: HOST, value: 60 },
  // 87 % at 10:25, inside the 30-minute cooldown of the 10:00 notice: held, sent when it ends
  { time: at(10, 30), rule: "memory_usage", status: "firing", labels: HOST, value: 87 },
  { time: at(10, 41), rule: "memory_usage", status: "resolved", labels: HOST, value: 60 },
  {
    time: at(12, 0),
    rule: null,
    status: "error",
    labels: { component: "normalizer", operation: "parse_artifact", artifact_id: `artifact-${12 * HOUR}` },
  },
  {
    time: at(12, 30),
    rule: null,
    status: "error",
    labels: {
      component: "normalizer",
      operation: "parse_artifact",
      artifact_id: `artifact-${12 * HOUR + 30 * MIN}`,
    },
  },
  { time: at(14, 0), rule: "system_health", status: "firing", labels: SERVICE, value: 20 },
  // critical and still firing 15 minutes after its first notice
  { time: at(14, 15), rule: "system_health", status: "escalated", labels: SERVICE, value: 20 },
  { time: at(14, 31), rule: "system_health", status: "resolved", labels: SERVICE, value: 95 },
  { time: at(18, 0), rule: "disk_usage", status: "firing", labels: DATA, value: 95 },
  { time: at(18, 6), rule: "disk_usage", status: "resolved", labels: DATA, value: 50 },
];

const brief = (n: NoticeJson) => {
  const out: Record<string, unknown> = { time: n.time, rule: n.rule, status: n.status, labels: n.labels };
  if (typeof n.value === "number") out.value = Math.round(n.value * 1e9) / 1e9;
  return out;
};

let dir: string;
let dayFile: string;
/** 09:00–15:00 of the day, for the CLI runs. */
let partFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "alertpipe-replay-"));
  dayFile = join(dir, "day.jsonl");
  await writeFile(dayFile, `${syntheticDayLines().join("\n")}\n`);
  partFile = join(dir, "part.jsonl");
  await writeFile(partFile, `${syntheticDayLines({ from: 9 * HOUR, to: 15 * HOUR }).join("\n")}\n`);
}, 120_000);

// Spawned CLIs and whole-day replays: generous time on a shared, loaded machine.
describe("replay of a synthetic day", { timeout: 120_000 }, () => {
  it("sends exactly the notices the breaches call for, at their own times", async () => {
    const config = await loadConfig({ configPath: DEFAULT_CONFIG_PATH, env: {} });
    const result = await replay({ files: [dayFile], config, env: {} });
    expect(result.notices.map((n) => brief(noticeJson(n)))).toEqual(EXPECTED_DAY);
    expect(result.stats).toMatchObject({
      metricRequests: 8_640,
      traceRequests: 2,
      spans: 2,
      rejected: 0,
      skippedLines: 0,
    });
    expect(result.stats.points).toBeGreaterThan(120_000);
    const summary = summarize(result);
    expect(summary.days).toBeCloseTo(1, 3);
    expect(summary.messages).toBe(11);
    expect(summary.rules.find((r) => r.rule === "memory_usage")).toEqual({
      rule: "memory_usage",
      firings: 2,
      resolves: 2,
      escalations: 0,
      in_digests: 0,
      in_incidents: 0,
      messages: 4,
    });
    expect(summary.rules.map((r) => r.rule)).toHaveLength(8); // every seed rule, quiet ones too
  });

  it("answers what another pipeline.yaml would have sent: a memory threshold of 90 sends 2 messages fewer", async () => {
    const text = (await readFile(DEFAULT_CONFIG_PATH, "utf8")).replace(
      "${env:ALERT_MEMORY_USAGE_THRESHOLD:-85}",
      "${env:ALERT_MEMORY_USAGE_THRESHOLD:-90}",
    );
    const other = join(dir, "pipeline-90.yaml");
    await writeFile(other, text);
    const config = await loadConfig({ configPath: other, env: {} });
    const result = await replay({ files: [dayFile], config, env: {} });
    const memory = result.notices.map((n) => brief(noticeJson(n))).filter((n) => n.rule === "memory_usage");
    expect(memory).toEqual(EXPECTED_DAY.slice(0, 2));
    expect(summarize(result).messages).toBe(9);
  });

  it("merges rotated (and gzipped) files by time, whatever order they are given in, and skips a cut-off line", async () => {
    const lines = syntheticDayLines({ from: 9 * HOUR, to: 11 * HOUR });
    const backup = join(dir, "capture-2025-01-06T10-00-00.000.jsonl.gz"); // gzipped, as logrotate leaves them
    const current = join(dir, "capture.jsonl");
    const half = lines.length / 2;
    await writeFile(backup, gzipSync(`${lines.slice(0, half).join("\n")}\n`));
    await writeFile(current, `${lines.slice(half).join("\n")}\n{"resourceMetrics":[{"resou`);
    const config = await loadConfig({ configPath: DEFAULT_CONFIG_PATH, env: {} });
    const skipped: string[] = [];
    const result = await replay({
      files: [current, backup],
      config,
      env: {},
      onSkipped: (s) => skipped.push(`${s.file}:${s.line}`),
    });
    expect(result.notices.map((n) => brief(noticeJson(n)))).toEqual(EXPECTED_DAY.slice(0, 4));
    expect(skipped).toEqual([`${current}:${lines.length - half + 1}`]);
  });
});

// Spawned CLIs and whole-day replays: generous time on a shared, loaded machine.
describe("alertpipe replay (CLI)", { timeout: 120_000 }, () => {
  it("prints one JSON object per notice per line, the summary on stderr, within --from/--to", async () => {
    const { code, stdout, stderr } = await runCli(
      ["replay", partFile, "--output", "json", "--from", at(11, 0), "--to", "2025-01-06T15:00:00Z"],
      cleanEnv(),
    );
    expect(code).toBe(0);
    const notices = stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as NoticeJson);
    expect(notices.map(brief)).toEqual(EXPECTED_DAY.slice(4, 9));
    expect(notices[0]).toMatchObject({
      kind: "error",
      error: { type: "ValueError", message: "price is not a number" },
    });
    // Each alert is an incident of one (the shipped pipeline groups related alerts into incidents).
    expect(notices[2]).toMatchObject({
      kind: "incident",
      severity: "critical",
      threshold: 30,
      starts_at: at(14, 0),
      cause: "system_health",
      alerts: [{ rule: "system_health", offset_seconds: 0, status: "firing" }],
    });
    expect(notices[2]?.id).toMatch(/^[0-9a-f]{16}$/);
    expect(notices.slice(2, 5).map((n) => n.id)).toEqual([notices[2]?.id, notices[2]?.id, notices[2]?.id]);
    expect(stderr).toMatch(/system_health\s+1\s+1\s+1\s+0\s+0\s+3\s+18/); // 3 messages in 4 hours: 18 a day
    expect(stderr).toContain("request(s) outside --from/--to");
  });

  it("prints digests with their members, and a summary per rule, as text", async () => {
    // one message an hour: the resolve and the re-fire at 10:30 wait for 11:00, in one digest
    const env = cleanEnv({ ALERT_MAX_PER_WINDOW: "1", ALERT_THROTTLE_WINDOW: "3600" });
    const { code, stdout } = await runCli(["replay", partFile, "--to", at(11, 30)], env);
    expect(code).toBe(0);
    expect(stdout).toContain(
      `${at(10, 0)}  firing     memory_usage  warning  {host.name="scraper-1"}  92% (threshold 85%)\n`,
    );
    expect(stdout).toContain(
      [
        `${at(11, 0)}  digest     route default, 3 alert(s)`,
        '      resolved   memory_usage  warning  {host.name="scraper-1"}  60%',
        '      firing     memory_usage  warning  {host.name="scraper-1"}  87% (threshold 85%)',
        '      resolved   memory_usage  warning  {host.name="scraper-1"}  60%',
      ].join("\n"),
    );
    expect(stdout).toMatch(/memory_usage\s+2\s+2\s+0\s+3\s+0\s+1\s/);
    expect(stdout).toMatch(/\(digests\)\s+1\s/);
  });

  it("exits 2 on a bad option or a missing file", async () => {
    expect((await runCli(["replay", partFile, "--output", "xml"])).code).toBe(2);
    expect((await runCli(["replay", partFile, "--from", "yesterday"])).stderr).toContain(
      '--from: "yesterday" is not a time',
    );
    expect((await runCli(["replay", join(dir, "nope.jsonl")])).stderr).toContain("nope.jsonl: no such file");
  });
});
