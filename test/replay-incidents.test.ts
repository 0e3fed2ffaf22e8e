// The incidents target on a replayed cascade (test/support/synthetic-cascade.ts): the database
// fails, RPC errors follow 30 s later, the health score 60 s later, and an unrelated host's disk
// fills meanwhile. The shipped pipeline sends one incident for the cascade (database_failures as
// the cause) and one for the disk, in ≥ 30 % fewer messages than alert by alert.
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type NoticeJson, noticeJson, summarize } from "../src/replay/report.ts";
import { replay } from "../src/replay/run.ts";
import { DEFAULT_CONFIG_PATH, loadConfig } from "../src/service.ts";
import { cleanEnv, runCli } from "./support/cli.ts";
import { cascadeLines, FAULT } from "./support/synthetic-cascade.ts";
import { MIN } from "./support/synthetic-day.ts";

const at = (ms: number) => new Date(FAULT + ms).toISOString();
const SEC = 1000;
const DISK = { "host.name": "db-2", "system.filesystem.mountpoint": "/data" };

let dir: string;
let cascade: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "alertpipe-incidents-"));
  cascade = join(dir, "cascade.jsonl");
  await writeFile(cascade, `${cascadeLines().join("\n")}\n`);
});

async function replayed(env: Record<string, string>, lines = cascadeLines()) {
  const file = join(dir, `capture-${Math.random().toString(36).slice(2)}.jsonl`);
  await writeFile(file, `${lines.join("\n")}\n`);
  const config = await loadConfig({ configPath: DEFAULT_CONFIG_PATH, env });
  const result = await replay({ files: [file], config, env });
  return { result, notices: result.notices.map(noticeJson), summary: summarize(result) };
}

const brief = (n: NoticeJson) => ({
  time: n.time,
  kind: n.kind,
  status: n.status,
  rule: n.rule,
  ...(n.kind === "incident"
    ? { alerts: (n.alerts as NoticeJson[]).map((a) => [a.offset_seconds, a.rule, a.status]) }
    : {}),
});

describe("incidents on a replayed database cascade", { timeout: 120_000 }, () => {
  it("sends one incident for the cascade, its cause first, and one for the unrelated disk", async () => {
    const { notices, summary } = await replayed({});
    const cascadeMembers = (status: string) => [
      [0, "database_failures", status],
      [30, "rpc_error_rate", status],
      [60, "system_health", status],
    ];
    const incident = (ms: number, status: string, rule: string, alerts: unknown[]) => ({
      time: at(ms),
      kind: "incident",
      status,
      rule,
      alerts,
    });
    expect(notices.map(brief)).toEqual([
      incident(0, "firing", "database_failures", [[0, "database_failures", "firing"]]),
      incident(45 * SEC, "firing", "disk_usage", [[0, "disk_usage", "firing"]]),
      // RPC errors (+30 s) and health (+60 s) joined inside database_failures' 5-minute cooldown:
      // one update when it ends, with both.
      incident(5 * MIN, "firing", "database_failures", cascadeMembers("firing")),
      incident(11 * MIN, "resolved", "disk_usage", [[0, "disk_usage", "resolved"]]),
      // critical and still firing 15 minutes after its first notice: escalated once, not three times
      incident(15 * MIN, "escalated", "database_failures", cascadeMembers("firing")),
      incident(25 * MIN, "resolved", "database_failures", cascadeMembers("resolved")),
    ]);
    const [open, disk, update, , escalated, resolved] = notices as NoticeJson[];
    expect(new Set([open?.id, update?.id, escalated?.id, resolved?.id]).size).toBe(1);
    expect(disk?.id).not.toBe(open?.id);
    expect(resolved).toMatchObject({
      cause: "database_failures",
      labels: {},
      severity: "critical",
      duration_seconds: 25 * 60,
    });
    expect(disk).toMatchObject({ cause: "disk_usage", labels: DISK });
    expect(((update?.alerts ?? []) as NoticeJson[]).map((a) => a.reason)).toEqual([
      undefined,
      "same component: database (with database_failures)",
      "topology: system relates to all on its host (with database_failures)",
    ]);
    expect(update?.summary).toBe(
      "database_failures is 6 failures (above 5 failures); 2 related: +30 s rpc_error_rate 14.29 %, +1 min system_health 15",
    );
    expect(summary).toMatchObject({ incidents: 2, messages: 6 });
    expect(summary.rules.find((r) => r.rule === "rpc_error_rate")).toMatchObject({
      messages: 0,
      in_incidents: 1,
    });
  });

  it("sends ≥ 30 % fewer messages than alert by alert (11 → 6), losing none of the alerts", async () => {
    const byAlert = await replayed({ ALERT_INCIDENTS_ENABLED: "false" });
    expect(byAlert.notices.every((n) => n.kind === "alert")).toBe(true);
    expect(byAlert.notices.map((n) => [n.time, n.rule, n.status])).toEqual([
      [at(0), "database_failures", "firing"],
      [at(30 * SEC), "rpc_error_rate", "firing"],
      [at(45 * SEC), "disk_usage", "firing"],
      [at(60 * SEC), "system_health", "firing"],
      [at(11 * MIN), "disk_usage", "resolved"],
      [at(15 * MIN), "database_failures", "escalated"],
      [at(15 * MIN + 30 * SEC), "rpc_error_rate", "escalated"],
      [at(16 * MIN), "system_health", "escalated"],
      [at(21 * MIN), "system_health", "resolved"],
      [at(25 * MIN), "database_failures", "resolved"],
      [at(25 * MIN), "rpc_error_rate", "resolved"],
    ]);
    const grouped = await replayed({});
    const reduction = 1 - grouped.summary.messages / byAlert.summary.messages;
    expect(reduction).toBeGreaterThanOrEqual(0.3);
    expect(Math.round(reduction * 100)).toBe(45);
    // Every alert that fired alert by alert is a member of an incident notice.
    const fired = new Set(byAlert.notices.map((n) => n.fingerprint));
    const members = new Set(
      grouped.notices.flatMap((n) => (n.alerts as NoticeJson[]).map((a) => a.fingerprint as string)),
    );
    expect(members).toEqual(fired);
  });

  it("keeps an unrelated fault apart even when it fires at the same instant as the cause", async () => {
    const { notices } = await replayed({}, cascadeLines({ diskAfter: 0 }));
    const opened = notices.filter((n) => n.revision === 1);
    expect(opened.map((n) => [n.time, n.cause, (n.alerts as NoticeJson[]).length])).toEqual([
      [at(0), "database_failures", 1],
      [at(0), "disk_usage", 1],
    ]);
    expect(new Set(notices.map((n) => n.id)).size).toBe(2);
  });

  it("alertpipe replay --output json prints incident notices; text shows the cause and the timeline", async () => {
    const json = await runCli(["replay", cascade, "--output", "json"], cleanEnv({}));
    expect(json.code).toBe(0);
    const lines = json.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as NoticeJson);
    expect(lines).toHaveLength(6);
    expect(lines[2]).toMatchObject({
      kind: "incident",
      cause: "database_failures",
      status: "firing",
      revision: 3,
    });
    expect(json.stderr).toMatch(/6 message\(s\) in total, [\d.]+ per day; 2 incident\(s\)/);
    const text = await runCli(["replay", cascade], cleanEnv({}));
    expect(text.stdout).toContain(
      [
        `${at(5 * MIN)}  firing     database_failures  critical  {}  6 failures (threshold 5 failures)  · incident ${lines[2]?.id}, 3 alerts`,
        "      +0 s     firing     database_failures  critical  {}  6 failures (threshold 5 failures)  · likely cause",
        "      +30 s    firing     rpc_error_rate  critical  {}  14.29% (threshold 10%)  · same component: database (with database_failures)",
        '      +1 min   firing     system_health  critical  {service.name="roaster-scraper"}  15 (threshold 30)  · topology: system relates to all on its host (with database_failures)',
      ].join("\n"),
    );
    expect(text.stdout).toMatch(/rpc_error_rate\s+0\s+0\s+0\s+0\s+1\s+0\s/);
    const byAlert = await runCli(["replay", cascade], cleanEnv({ ALERT_INCIDENTS_ENABLED: "false" }));
    expect(byAlert.stdout).toMatch(/11 message\(s\) in total/);
  });
});
