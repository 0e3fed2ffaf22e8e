// Slow suite: a storm of 10 000 distinct breaching alerts (20 OTLP requests of 500 hosts) against
// the real collector on SQLite state. Every request is answered, /healthz keeps answering, every
// alert is accounted for at Slack (alone, in a digest, or counted in a digest's summary line), no
// rolling window at Slack exceeds max_per_window, and SIGTERM exits within the shutdown timeout.
// Bounds are generous (a loaded machine): the latency figures live in bench/storm.ts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type Collector, startCollector } from "../support/collector.ts";
import { type FakeSlack, startFakeSlack } from "../support/fake-slack.ts";
import { accountStorm, busiestWindow, stormHosts, stormRequest } from "../support/storm.ts";

const ALERTS = 10_000;
const PER_REQUEST = 500;
const WINDOW_S = 2;
const MAX = 10;

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function get(url: string, timeoutMs: number): Promise<number> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  await response.arrayBuffer();
  return response.status;
}

describe("storm: 10 000 distinct alerts", () => {
  it("answers every request and /healthz, accounts for every alert at Slack, and stops on SIGTERM", async () => {
    const dir = mkdtempSync(join(tmpdir(), "alertpipe-storm-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const slack: FakeSlack = await startFakeSlack();
    cleanups.push(() => slack.close());
    const collector: Collector = await startCollector(
      {
        SLACK_WEBHOOK_URL: slack.webhookUrl(),
        ALERTPIPE_STATE: `sqlite:${join(dir, "state.db")}`,
        ALERT_THROTTLE_WINDOW: String(WINDOW_S),
        ALERT_MAX_PER_WINDOW: String(MAX),
      },
      "test/fixtures/storm.yaml",
    );
    cleanups.push(() => collector.cli.stop("SIGKILL"));
    const healthz = collector.statusUrl.replace(/\/status$/, "/healthz");

    // /healthz polled throughout: each poll must be answered (within a generous 5 s).
    const health: number[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        health.push(await get(healthz, 5000).catch(() => 0));
        await new Promise((r) => setTimeout(r, 200));
      }
    })();

    const hosts = stormHosts(ALERTS);
    for (let i = 0; i < ALERTS; i += PER_REQUEST) {
      const response = await fetch(collector.otlpUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(stormRequest(hosts.slice(i, i + PER_REQUEST))),
        // Generous (a loaded machine): the SDK's own export timeout is 10 s; main took 8-13 s here.
        signal: AbortSignal.timeout(15_000),
      });
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }

    const accounted = () => {
      const a = accountStorm(slack.delivered());
      return a.named.size + a.summarised;
    };
    const deadline = Date.now() + 60_000;
    while (accounted() < ALERTS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    polling = false;
    await poller;

    const account = accountStorm(slack.delivered());
    expect(account.named.size + account.summarised).toBe(ALERTS);
    // Named ones are the storm's hosts, none twice across messages.
    expect([...account.named].every((h) => hosts.includes(h))).toBe(true);
    expect(health.length).toBeGreaterThan(0);
    expect(health.filter((s) => s !== 200)).toEqual([]);
    const arrivals = slack.requests.filter((r) => r.reply.status === 200).map((r) => r.at);
    expect(busiestWindow(arrivals, WINDOW_S * 1000)).toBeLessThanOrEqual(MAX);
    const status = (await collector.status()) as unknown as {
      alert_throttle: { held: number; summarised: number };
    };
    expect(status.alert_throttle).toMatchObject({ held: 0 });
    expect(status.alert_throttle.summarised).toBeGreaterThan(0);

    // Shutdown timeout is 5 s in the fixture: exit well within it plus process teardown.
    const stoppedAt = Date.now();
    expect(await collector.cli.stop("SIGTERM")).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(15_000);
  }, 150_000);
});
