// Issue 9.2 end to end with the real CLI and a SQLite state file: system_health (critical) fires
// and reaches Slack; the collector stops; it starts again past the escalation delay with no data.
// Slack gets no [ESCALATED], and one resolve "no data since restart" after the stale time; /status's
// firing count and alert_throttle.active_alerts agree before and after.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type Collector, startCollector, waitUntil } from "./support/collector.ts";
import { startFakeSlack } from "./support/fake-slack.ts";

const FIXTURE = "test/fixtures/e2e-restart-stale.yaml";
const running: Collector[] = [];
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of running.splice(0)) await c.cli.stop("SIGKILL");
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** The status counts the issue is about: firing alerts and the throttle's active alerts. */
async function counts(c: Collector): Promise<{ firing: number; active: number }> {
  const status = (await (await fetch(c.statusUrl)).json()) as {
    firing: number;
    alert_throttle: { active_alerts: number };
  };
  return { firing: status.firing, active: status.alert_throttle.active_alerts };
}

describe("e2e: restart with SQLite state, no data after it", () => {
  it("neither escalates nor forgets a restored alert: it resolves once, 'no data since restart'", async () => {
    const dir = mkdtempSync(join(tmpdir(), "alertpipe-e2e-liveness-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const slack = await startFakeSlack();
    cleanups.push(() => slack.close());
    // Escalation after 3 s; a restored alert without data resolves 3 s after the restart.
    const env = {
      ALERTPIPE_STATE: `sqlite:${join(dir, "state.db")}`,
      SLACK_WEBHOOK_URL: slack.webhookUrl(),
      ALERT_ESCALATION_DELAY: "0.05",
      ALERT_STALE_AFTER: "3",
    };
    const texts = () => slack.delivered().map((b) => String(b.text));

    const first = await startCollector(env, FIXTURE);
    running.push(first);
    await first.postHealth(["host-001"], 10);
    await waitUntil(
      () => texts().length === 1,
      10_000,
      () => JSON.stringify(texts()),
    );
    expect(texts()[0]).toMatch(/^\[FIRING\] system_health/);
    expect(await counts(first)).toEqual({ firing: 1, active: 1 });
    expect(await first.cli.stop()).toBe(0);
    running.splice(0);
    // Down past the escalation delay (3 s after the first notice reached Slack).
    const firedAt = slack.requests[0]?.at ?? Date.now();
    await new Promise((r) => setTimeout(r, Math.max(0, firedAt + 3500 - Date.now())));

    const second = await startCollector(env, FIXTURE);
    running.push(second);
    expect(await counts(second)).toEqual({ firing: 1, active: 1 });
    await waitUntil(
      () => texts().length >= 2,
      20_000,
      () => JSON.stringify(texts()),
    );
    await new Promise((r) => setTimeout(r, 1000)); // anything else would show by now
    expect(texts()).toHaveLength(2);
    expect(texts()[1]).toMatch(/^\[RESOLVED\] system_health .*resolved: no data since restart \(last data /);
    expect(texts().join("\n")).not.toContain("ESCALATED");
    expect(await counts(second)).toEqual({ firing: 0, active: 0 });
    expect(await second.cli.stop()).toBe(0);
  }, 60_000);
});
