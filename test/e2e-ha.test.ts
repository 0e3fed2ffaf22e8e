// Two `alertpipe run` processes sharing one Redis, with the real CLI and the local redis-server:
// fed the same breaches, Slack sees each alert once and never more than max_per_window messages per
// window; when their Redis dies mid-run both keep delivering, report the degradation, and reconcile
// when it returns.
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import {
  cleanupPrefix,
  freePort,
  REDIS_URL,
  requireRedis,
  startRedis as startRedisServer,
  stopRedis,
} from "./state-redis-support.ts";
import { type Collector, hostNames, hostsIn, startCollector, waitUntil } from "./support/collector.ts";
import { type FakeSlack, startFakeSlack } from "./support/fake-slack.ts";
import { busiestWindow } from "./support/storm.ts";

const redis = await requireRedis();

const running: Collector[] = [];
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.cli.stop("SIGKILL")));
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function startPair(env: Record<string, string>): Promise<[Collector, Collector]> {
  const pair = await Promise.all([startCollector(env), startCollector(env)]);
  running.push(...pair);
  return pair;
}

async function fakeSlack(): Promise<FakeSlack> {
  const slack = await startFakeSlack();
  cleanups.push(() => slack.close());
  return slack;
}

describe.runIf(redis)("e2e: two instances on one Redis", () => {
  it("Slack sees each alert once, and never more than max_per_window per window", async () => {
    const prefix = `alertpipe-e2e:${randomBytes(6).toString("hex")}:`;
    cleanups.push(() => cleanupPrefix(prefix));
    const slack = await fakeSlack();
    const windowSeconds = 5;
    const maxPerWindow = 5;
    const [a, b] = await startPair({
      ALERTPIPE_STATE: `${REDIS_URL}?prefix=${encodeURIComponent(prefix)}`,
      SLACK_WEBHOOK_URL: slack.webhookUrl(),
      ALERT_THROTTLE_WINDOW: String(windowSeconds),
      ALERT_MAX_PER_WINDOW: String(maxPerWindow),
    });
    const hosts = hostNames(20);
    // The same scrapers report to both instances (e.g. behind a load balancer that fans out).
    await Promise.all([a.postHealth(hosts, 10), b.postHealth(hosts, 10)]);
    await waitUntil(
      () => new Set(slack.delivered().flatMap(hostsIn)).size === hosts.length,
      25_000,
      () => `seen ${new Set(slack.delivered().flatMap(hostsIn)).size}/${hosts.length}`,
    );
    // Time for any duplicate (second instance, late digest) to arrive before judging.
    await new Promise((resolve) => setTimeout(resolve, 1500));

    const mentions = slack.delivered().flatMap(hostsIn);
    for (const host of hosts)
      expect(
        mentions.filter((h) => h === host),
        host,
      ).toHaveLength(1);
    expect(slack.delivered().length).toBeLessThan(hosts.length);
    // Counted where it arrives: in every rolling window at Slack, whichever instance sent it.
    const times = slack.requests.filter((r) => r.reply.status === 200).map((r) => r.at);
    expect(busiestWindow(times, windowSeconds * 1000)).toBeLessThanOrEqual(maxPerWindow);
    for (const c of [a, b]) {
      const status = await c.status();
      expect(status.state).toMatchObject({ backend: "redis", degraded: false });
      expect(status.exporters.find((e) => e.id === "slack")?.delivery).toMatchObject({ outbox: "state" });
    }
  }, 60_000);
});

/** A disposable redis-server, killed after the test whatever happens. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = await startRedisServer(port);
  cleanups.push(() => stopRedis(child));
  return child;
}

describe.runIf(redis)("e2e: Redis dies mid-run", () => {
  it("both instances keep delivering, status shows the degradation, and they reconcile when it returns", async () => {
    const port = await freePort();
    let server = await startRedis(port);
    const slack = await fakeSlack();
    const pair = await startPair({
      ALERTPIPE_STATE: `redis://127.0.0.1:${port}/0`,
      SLACK_WEBHOOK_URL: slack.webhookUrl(),
    });
    const seen = () => new Set(slack.delivered().flatMap(hostsIn));

    const before = hostNames(3, 100);
    await Promise.all(pair.map((c) => c.postHealth(before, 10)));
    await waitUntil(
      () => before.every((h) => seen().has(h)),
      15_000,
      () => `before: ${[...seen()]}`,
    );

    const exited = new Promise((resolve) => server.once("exit", resolve));
    server.kill("SIGKILL");
    await exited;

    const during = hostNames(3, 200);
    await Promise.all(pair.map((c) => c.postHealth(during, 10)));
    await waitUntil(
      () => during.every((h) => seen().has(h)),
      15_000,
      () => `during: ${[...seen()]}`,
    );
    for (const c of pair) {
      const status = await c.status();
      expect(status.state).toMatchObject({ backend: "redis", degraded: true });
      expect(status.state.last_error).toBeTruthy();
      expect(c.cli.child.exitCode).toBeNull();
    }
    expect(pair.map((c) => c.cli.stderr()).join("\n")).toMatch(/redis state store unreachable/);

    server = await startRedis(port);
    for (const c of pair) {
      await waitUntil(
        async () => (await c.status()).state.degraded === false,
        15_000,
        () => "reconciliation after Redis returned",
      );
      expect((await c.status()).state.reconciliations).toBeGreaterThanOrEqual(1);
    }
    const after = hostNames(3, 300);
    await Promise.all(pair.map((c) => c.postHealth(after, 10)));
    await waitUntil(
      () => after.every((h) => seen().has(h)),
      15_000,
      () => `after: ${[...seen()]}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // Back on shared state: alerts from after the outage are sent once again.
    const mentions = slack.delivered().flatMap(hostsIn);
    for (const host of after)
      expect(
        mentions.filter((h) => h === host),
        host,
      ).toHaveLength(1);
    for (const c of pair) expect(c.cli.child.exitCode).toBeNull();
  }, 60_000);
});
