// Crash and restart with the real CLI and a real SQLite state file: kill -9 during a storm of 50
// alerts while Slack answers 503, restart, Slack recovers. Every alert is delivered, in the order it
// was stored; none repeats except the one in flight at the crash; a fingerprint notified before the
// crash is not notified again inside its cooldown.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  e2eResources,
  hostNames,
  hostsIn,
  startCollector,
  storedHosts,
  waitUntil,
} from "./support/collector.ts";
import { type FakeSlack, replies, startFakeSlack } from "./support/fake-slack.ts";

const { running, cleanups } = e2eResources();

function delivered(slack: FakeSlack): string[][] {
  return slack.delivered().map(hostsIn);
}

describe("e2e: kill -9 during an alert storm, restart (SQLite)", () => {
  it("delivers every alert after Slack recovers, in order, repeating at most the one in flight", async () => {
    const dir = mkdtempSync(join(tmpdir(), "alertpipe-e2e-restart-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const statePath = join(dir, "state.db");
    const slack = await startFakeSlack();
    cleanups.push(() => slack.close());
    const env = {
      ALERTPIPE_STATE: `sqlite:${statePath}`,
      SLACK_WEBHOOK_URL: slack.webhookUrl(),
      ALERT_SYSTEM_HEALTH_COOLDOWN: "5",
    };

    // Before the storm: one fingerprint notified and delivered.
    const first = await startCollector(env);
    running.push(first);
    const [early] = hostNames(1, 900);
    await first.postHealth([early as string], 12);
    await waitUntil(
      () => delivered(slack).some((hosts) => hosts.includes(early as string)),
      10_000,
      () => `the early alert was not delivered: ${JSON.stringify(slack.requests.length)}`,
    );

    // The storm: 50 hosts below 30 while Slack answers 503; kill -9 once it is retrying.
    slack.behave(() => replies.unavailable);
    const storm = hostNames(50);
    await first.postHealth(storm, 10);
    await waitUntil(
      () =>
        slack.requests.filter((r) => r.reply.status === 503).length >= 3 &&
        storedHosts(statePath).length === 50,
      10_000,
      () => `stored ${storedHosts(statePath).length}, 503s ${slack.requests.length}`,
    );
    first.cli.child.kill("SIGKILL");
    await first.cli.exited();
    const stored = storedHosts(statePath);
    expect(new Set(stored)).toEqual(new Set(storm));
    const beforeRestart = slack.requests.length;

    // Slack recovers; the collector restarts and the scraper keeps reporting the same breaches.
    slack.behave(() => replies.ok);
    const second = await startCollector(env);
    running.push(second);
    await second.postHealth([early as string, ...storm], 10);
    await waitUntil(
      () => new Set(delivered(slack).flat()).size === 51 && storedHosts(statePath).length === 0,
      20_000,
      () => `delivered ${new Set(delivered(slack).flat()).size}/51, stored ${storedHosts(statePath).length}`,
    );
    // Give duplicates (re-notified breaches) a chance to show up before judging.
    await new Promise((resolve) => setTimeout(resolve, 1500));

    const afterRestart = slack.requests.slice(beforeRestart).map((r) => hostsIn(r.body));
    expect(afterRestart.every((hosts) => hosts.length === 1)).toBe(true);
    // Stored order is delivery order after the restart.
    expect(afterRestart.flat()).toEqual(stored);
    const all = delivered(slack).flat();
    expect(all.filter((h) => h === early)).toHaveLength(1);
    // At-least-once: only an entry in flight at the crash may repeat. Nothing was delivered during
    // the storm (Slack answered 503), so every storm alert was delivered exactly once.
    for (const host of storm) expect(all.filter((h) => h === host)).toHaveLength(1);

    const status = await second.status();
    expect(status.state).toMatchObject({ backend: "sqlite", degraded: false });
    expect(status.exporters.find((e) => e.id === "slack")?.delivery).toMatchObject({
      outbox: "state",
      pending: 0,
      failed: 0,
    });
    expect(JSON.stringify(status)).not.toContain(slack.webhookUrl());
    expect(await second.cli.stop()).toBe(0);
  }, 60_000);
});
