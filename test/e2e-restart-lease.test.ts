// kill -9 while 11 alerts wait on a failing Slack (SQLite state, a 60 s lease), then restart on
// the same host: /status counts the 11 stored entries at once, and the restarted instance takes back
// the lease its previous run held instead of waiting a minute for it, so all 11 go out when Slack
// recovers, well before that lease would have run out.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  type Collector,
  e2eResources,
  hostNames,
  hostsIn,
  startCollector,
  storedEntries,
  waitUntil,
} from "./support/collector.ts";
import { replies, startFakeSlack } from "./support/fake-slack.ts";

const { running, cleanups } = e2eResources();

/** The stored entries' hosts and leases. */
function stored(path: string): Array<{ hosts: string[]; owner?: string; leaseUntilMs?: number }> {
  return storedEntries(path).map((entry) => ({
    hosts: hostsIn({ entry: entry.payload }),
    ...(entry.owner !== undefined ? { owner: entry.owner, leaseUntilMs: entry.leaseUntilMs } : {}),
  }));
}

function slackPending(status: Awaited<ReturnType<Collector["status"]>>): number | undefined {
  return status.exporters.find((e) => e.id === "slack")?.delivery?.pending;
}

describe("e2e: kill -9 with deliveries pending, restart on the same host (SQLite)", () => {
  it("counts the stored entries and takes its own lease back at once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "alertpipe-e2e-lease-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const statePath = join(dir, "state.db");
    const slack = await startFakeSlack();
    cleanups.push(() => slack.close());
    slack.behave(() => replies.unavailable);
    const env = {
      ALERTPIPE_STATE: `sqlite:${statePath}`,
      SLACK_WEBHOOK_URL: slack.webhookUrl(),
      ALERTPIPE_TEST_LEASE: "60",
    };
    const first = await startCollector(env);
    running.push(first);
    const hosts = hostNames(11);
    await first.postHealth(hosts, 10);
    await waitUntil(
      () => slack.requests.length >= 2 && stored(statePath).length === 11,
      15_000,
      () => `stored ${stored(statePath).length}, 503s ${slack.requests.length}`,
    );
    first.cli.child.kill("SIGKILL");
    await first.cli.exited();
    const [head] = stored(statePath);
    expect(head?.owner).toMatch(/\/slack$/);
    const leaseUntil = head?.leaseUntilMs ?? 0;
    expect(leaseUntil).toBeGreaterThan(Date.now() + 30_000);

    // Restarted while Slack still fails: every stored entry shows as pending.
    const second = await startCollector(env);
    running.push(second);
    let pending: number | undefined;
    const pendingIs = async (count: number) => {
      pending = slackPending(await second.status());
      return pending === count;
    };
    await waitUntil(
      () => pendingIs(11),
      10_000,
      () => `pending ${pending}`,
    );
    expect(second.cli.stderr()).toContain("took back deliveries this instance's previous run held");

    slack.behave(() => replies.ok);
    const seen = () => new Set(slack.delivered().flatMap(hostsIn));
    await waitUntil(
      () => seen().size === hosts.length,
      20_000,
      () => `delivered ${seen().size}/11`,
    );
    // Delivered by the lease the dead run held would still have blocked the lane.
    expect(Date.now()).toBeLessThan(leaseUntil);
    expect(slack.delivered().flatMap(hostsIn)).toEqual(hosts);
    await waitUntil(
      () => pendingIs(0),
      10_000,
      () => `pending ${pending}`,
    );
    expect(stored(statePath)).toEqual([]);
    expect(await second.cli.stop()).toBe(0);
  }, 60_000);
});
