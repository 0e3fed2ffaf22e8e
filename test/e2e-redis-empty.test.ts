// Redis is killed and restarts empty (no persistence) while deliveries wait on a Slack answering
// 503, with the real CLI: the entries Redis lost are enqueued again from what the instance still
// knows, so every alert is delivered once Slack recovers, exactly once and in order.
import type { ChildProcess } from "node:child_process";
import { describe, expect, it } from "vitest";
import { freePort, requireRedis, startRedis, stopRedis } from "./state-redis-support.ts";
import { e2eResources, hostNames, hostsIn, startCollector, waitUntil } from "./support/collector.ts";
import { replies, startFakeSlack } from "./support/fake-slack.ts";

await requireRedis();

const { running, cleanups } = e2eResources();

describe("e2e: Redis restarts empty while Slack answers 503", () => {
  it("delivers all 16 alerts once Slack recovers: none vanishes with Redis' data", async () => {
    const port = await freePort();
    let server: ChildProcess = await startRedis(port);
    cleanups.push(() => stopRedis(server));
    const slack = await startFakeSlack();
    cleanups.push(() => slack.close());
    slack.behave(() => replies.unavailable);
    const collector = await startCollector({
      ALERTPIPE_STATE: `redis://127.0.0.1:${port}/0`,
      SLACK_WEBHOOK_URL: slack.webhookUrl(),
    });
    running.push(collector);
    const hosts = hostNames(16);

    // Eight alerts stored in Redis, the first one retrying against the 503s, when Redis dies.
    await collector.postHealth(hosts.slice(0, 8), 10);
    await waitUntil(
      () => slack.requests.length >= 2,
      15_000,
      () => `503s ${slack.requests.length}`,
    );
    await stopRedis(server);
    // Eight more while it is away (kept locally), then it returns with nothing.
    await collector.postHealth(hosts.slice(8), 10);
    await waitUntil(
      async () => (await collector.status()).state.degraded,
      15_000,
      () => "degraded mode",
    );
    server = await startRedis(port);
    await waitUntil(
      async () => (await collector.status()).state.degraded === false,
      15_000,
      () => "reconciliation",
    );

    slack.behave(() => replies.ok);
    const seen = () => new Set(slack.delivered().flatMap(hostsIn));
    await waitUntil(
      () => seen().size === hosts.length,
      25_000,
      () => `delivered ${seen().size}/16: missing ${hosts.filter((h) => !seen().has(h))}`,
    );
    // Time for a duplicate to show up before judging.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(slack.delivered().flatMap(hostsIn)).toEqual(hosts);
    expect(collector.cli.stderr()).toMatch(/"reenqueued":8,.*redis came back without its data/);
    const status = await collector.status();
    expect(status.state).toMatchObject({ backend: "redis", degraded: false });
    expect(status.exporters.find((e) => e.id === "slack")?.delivery).toMatchObject({
      pending: 0,
      delivered: 16,
      failed: 0,
    });
  }, 60_000);
});
