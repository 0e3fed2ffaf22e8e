// Delivery through the queue against a local Slack, in virtual time: outages, 429 storms,
// permanent errors, shutdown — nothing lost, never faster than the token bucket allows.
import { VirtualTimeScheduler } from "rxjs";
import { afterEach, describe, expect, it } from "vitest";
import { type SlackExporter, slackExporterFactory } from "../exporters/slack.ts";
import { captureLogger } from "./support/capture-logger.ts";
import { testContext } from "./support/context.ts";
import { type FakeSlack, replies, SECRET_PATH, startFakeSlack } from "./support/fake-slack.ts";
import { alert } from "./support/notice-fixtures.ts";
import { driveVirtualTime } from "./support/virtual-time.ts";

const BURST = 3;

interface Rig {
  scheduler: VirtualTimeScheduler;
  slack: FakeSlack;
  exporter: SlackExporter;
  log: ReturnType<typeof captureLogger>;
}

const open: Rig[] = [];
afterEach(async () => {
  for (const rig of open.splice(0)) await rig.slack.close();
});

async function rig(config: Record<string, unknown> = {}): Promise<Rig> {
  const scheduler = new VirtualTimeScheduler();
  const slack = await startFakeSlack(() => scheduler.now());
  const log = captureLogger();
  const parsed = slackExporterFactory.configSchema.parse({
    webhook_url: slack.webhookUrl(),
    environment: "test",
    burst: BURST,
    log_attempts: true,
    ...config,
  });
  const exporter = (await slackExporterFactory.create(
    parsed,
    testContext({ id: "slack", scheduler, logger: log.logger }),
  )) as SlackExporter;
  const r = { scheduler, slack, exporter, log };
  open.push(r);
  return r;
}

async function runUntilSettled({ scheduler, exporter }: Rig): Promise<void> {
  await driveVirtualTime(scheduler, {
    busy: () => exporter.queue.inFlight > 0,
    done: () => exporter.queue.pending === 0,
  });
}

/** At the server: in every 1-second window, at most BURST requests; over longer windows, rate 1/s. */
function expectRateRespected(times: readonly number[]): void {
  for (let i = 0; i < times.length; i++) {
    const start = times[i] as number;
    const inOneSecond = times.filter((t) => t >= start && t < start + 1000).length;
    expect(inOneSecond).toBeLessThanOrEqual(BURST);
    for (let j = i; j < times.length; j++) {
      const span = (times[j] as number) - start;
      expect(j - i + 1).toBeLessThanOrEqual(BURST + Math.floor(span / 1000));
    }
  }
}

const rules = (n: number) => Array.from({ length: n }, (_, i) => alert({ rule: `rule_${i}` }));
const deliveredRules = (slack: FakeSlack) =>
  slack.delivered().map((b) => String(b.text).match(/\] (rule_\d+)/)?.[1]);

describe("slack delivery queue against a local Slack (virtual time)", () => {
  it("rides out a 30-second 503 outage: nothing lost, order kept, ≤ 1 msg/s with bursts ≤ 3", async () => {
    const r = await rig();
    r.slack.behave(({ at }) => (at < 30_000 ? replies.unavailable : replies.ok));
    await r.exporter.export(rules(12));
    await runUntilSettled(r);
    expect(deliveredRules(r.slack)).toEqual(rules(12).map((a) => a.rule));
    const times = r.slack.requests.map((q) => q.at);
    expectRateRespected(times);
    // Backoff: gaps between failed attempts grow (exponential, jittered between half and full).
    const failed = r.slack.requests.filter((q) => q.reply.status === 503).map((q) => q.at);
    expect(failed.length).toBeGreaterThanOrEqual(4);
    expect(failed.length).toBeLessThanOrEqual(8);
    const gaps = failed.slice(1).map((t, i) => t - (failed[i] as number));
    for (let i = 0; i < gaps.length; i++) {
      const exp = Math.min(60_000, 1000 * 2 ** i);
      expect(gaps[i]).toBeGreaterThanOrEqual(exp / 2 - 1);
      // …plus at most one token wait.
      expect(gaps[i]).toBeLessThanOrEqual(exp + 1000);
    }
    const status = r.exporter.queue.status();
    expect(status).toMatchObject({ pending: 0, delivered: 12, failed: 0 });
    expect(status.retried).toBe(failed.length);
    // Recovery within one backoff step (≤ 32 s here), then the token rate (3 at once, one a second).
    expect(times.at(-1)).toBeLessThan(30_000 + 32_000 + 12_000);
  });

  it("honours Retry-After through a 429 storm: waits, retries, loses nothing", async () => {
    const r = await rig();
    // First 10 s every request is rate limited; afterwards every third one is.
    r.slack.behave(({ at, index }) =>
      at < 10_000 || index % 3 === 0 ? replies.rateLimited(at < 10_000 ? 2 : 1) : replies.ok,
    );
    await r.exporter.export(rules(15));
    await runUntilSettled(r);
    expect(deliveredRules(r.slack)).toEqual(rules(15).map((a) => a.rule));
    const reqs = r.slack.requests;
    for (let i = 1; i < reqs.length; i++) {
      const prev = reqs[i - 1];
      if (prev?.reply.status !== 429) continue;
      const waitMs = Number(prev.reply.headers?.["retry-after"]) * 1000;
      expect((reqs[i]?.at as number) - prev.at).toBeGreaterThanOrEqual(waitMs);
    }
    expectRateRespected(reqs.map((q) => q.at));
    const [dest] = r.exporter.queue.status().destinations;
    expect(dest?.rate_limited).toBe(reqs.filter((q) => q.reply.status === 429).length);
    expect(dest?.failed).toBe(0);
  });

  it("caps Retry-After: 86400 at max_retry_after and reports all 8 failed at max_retry_time", async () => {
    const r = await rig({ max_retry_after: 600, max_retry_time: 1800 });
    r.slack.behave(() => replies.rateLimited(86_400));
    await r.exporter.export(rules(8));
    await runUntilSettled(r);
    expect(r.slack.requests.map((q) => q.at)).toEqual([0, 600_000, 1_200_000, 1_800_000]);
    const status = r.exporter.queue.status();
    expect(status).toMatchObject({ pending: 0, failed: 8, delivered: 0 });
    const failures = status.destinations[0]?.last_failures ?? [];
    expect(failures.map((f) => [f.rule, f.time])).toEqual(
      rules(8).map((a) => [a.rule, new Date(1_800_000).toISOString()]),
    );
    expect(r.scheduler.now()).toBe(1_800_000);
  });

  it("records permanent errors once, never retries them, and keeps delivering the rest", async () => {
    const r = await rig();
    const script = [
      replies.invalidPayload,
      replies.actionProhibited,
      replies.noService,
      replies.archived,
      replies.ok,
      replies.ok,
    ];
    r.slack.behave(({ index }) => script[index] ?? replies.ok);
    await r.exporter.export(rules(6));
    await runUntilSettled(r);
    expect(r.slack.requests).toHaveLength(6);
    expect(deliveredRules(r.slack)).toEqual(["rule_4", "rule_5"]);
    const status = r.exporter.queue.status();
    expect(status).toMatchObject({ delivered: 2, failed: 4, retried: 0, pending: 0 });
    const failures = status.destinations[0]?.last_failures ?? [];
    expect(failures.map((f) => [f.rule, f.status, f.reason])).toEqual([
      ["rule_0", 400, "400 invalid_payload"],
      ["rule_1", 403, "403 action_prohibited"],
      ["rule_2", 404, "404 no_service"],
      ["rule_3", 410, "410 channel_is_archived"],
    ]);
    for (const f of failures) expect(Number.isNaN(Date.parse(f.time))).toBe(false);
    const failLogs = r.log.records().filter((l) => l.msg === "delivery failed permanently");
    expect(failLogs.map((l) => l.rule)).toEqual(["rule_0", "rule_1", "rule_2", "rule_3"]);
  });

  it("logs every attempt with redacted destination, status, attempt and latency when log_attempts is on", async () => {
    const r = await rig();
    r.slack.behave(({ index }) => (index === 0 ? replies.unavailable : replies.ok));
    await r.exporter.export(rules(2));
    await runUntilSettled(r);
    const attempts = r.log.records().filter((l) => l.msg === "delivery attempt");
    expect(attempts).toHaveLength(3);
    expect(attempts[0]).toMatchObject({ status: 503, attempt: 1, outcome: "transient", rule: "rule_0" });
    expect(attempts[1]).toMatchObject({ status: 200, attempt: 2, outcome: "delivered", rule: "rule_0" });
    for (const a of attempts) {
      expect(a.destination).toMatch(/^127\.0\.0\.1:\d+\/services\/T\*\*\*$/);
      expect(typeof a.latency_ms).toBe("number");
    }
  });

  it("also logs attempts when ALERT_LOG_ATTEMPTS=true, and only at debug otherwise", async () => {
    const scheduler = new VirtualTimeScheduler();
    const slack = await startFakeSlack(() => scheduler.now());
    const info = captureLogger("info");
    const viaEnv = (await slackExporterFactory.create(
      slackExporterFactory.configSchema.parse({ webhook_url: slack.webhookUrl() }),
      testContext({ scheduler, logger: info.logger, env: { ALERT_LOG_ATTEMPTS: "true" } }),
    )) as SlackExporter;
    const quiet = captureLogger("info");
    const off = (await slackExporterFactory.create(
      slackExporterFactory.configSchema.parse({ webhook_url: slack.webhookUrl() }),
      testContext({ scheduler, logger: quiet.logger }),
    )) as SlackExporter;
    await viaEnv.export(rules(1));
    await off.export(rules(1));
    await driveVirtualTime(scheduler, {
      busy: () => viaEnv.queue.inFlight + off.queue.inFlight > 0,
      done: () => viaEnv.queue.pending + off.queue.pending === 0,
    });
    expect(info.records().filter((l) => l.msg === "delivery attempt")).toHaveLength(1);
    expect(quiet.records().filter((l) => l.msg === "delivery attempt")).toHaveLength(0);
    await slack.close();
  });

  it("classifies network errors and timeouts as transient and retries them", async () => {
    const r = await rig({ timeout: 0.2 });
    let hang = true;
    r.slack.behave(() => replies.ok);
    // A server that accepts the connection but never answers, then recovers.
    const { createServer } = await import("node:http");
    const stuck = createServer((_req, res) => {
      if (!hang) res.writeHead(200).end("ok");
    });
    await new Promise<void>((resolve) => stuck.listen(0, "127.0.0.1", resolve));
    const port = (stuck.address() as { port: number }).port;
    const exporter = (await slackExporterFactory.create(
      slackExporterFactory.configSchema.parse({
        webhook_url: `http://127.0.0.1:${port}${SECRET_PATH}`,
        timeout: 0.2,
      }),
      testContext({ scheduler: r.scheduler, logger: r.log.logger }),
    )) as SlackExporter;
    await exporter.export(rules(1));
    await driveVirtualTime(r.scheduler, {
      busy: () => exporter.queue.inFlight > 0,
      done: () => exporter.queue.status().retried >= 2,
    });
    hang = false;
    await driveVirtualTime(r.scheduler, {
      busy: () => exporter.queue.inFlight > 0,
      done: () => exporter.queue.pending === 0,
    });
    const attempts = r.log.records().filter((l) => l.msg === "delivery attempt" && l.rule === "rule_0");
    expect(attempts.slice(0, 2).map((a) => a.reason)).toEqual(["timeout", "timeout"]);
    expect(exporter.queue.status()).toMatchObject({ delivered: 1, failed: 0 });
    stuck.closeAllConnections();
    stuck.close();

    // Connection refused: nothing listening on the port any more.
    const refused = (await slackExporterFactory.create(
      slackExporterFactory.configSchema.parse({
        webhook_url: `http://127.0.0.1:${port}${SECRET_PATH}`,
        max_attempts: 2,
      }),
      testContext({ scheduler: r.scheduler, logger: r.log.logger }),
    )) as SlackExporter;
    await refused.export(rules(1));
    await driveVirtualTime(r.scheduler, {
      busy: () => refused.queue.inFlight > 0,
      done: () => refused.queue.pending === 0,
    });
    const [failure] = refused.queue.status().destinations[0]?.last_failures ?? [];
    expect(failure?.reason).toBe("gave up after 2 attempts: network error: ECONNREFUSED");
  });

  it("drains at shutdown up to the deadline, then reports what is left", async () => {
    const r = await rig({ shutdown_timeout: 5 });
    r.slack.behave(() => replies.unavailable);
    await r.exporter.export(rules(3));
    let finished = false;
    const done = r.exporter.shutdown().then(() => {
      finished = true;
    });
    await driveVirtualTime(r.scheduler, { busy: () => r.exporter.queue.inFlight > 0, done: () => finished });
    await done;
    expect(r.scheduler.now()).toBeGreaterThanOrEqual(5000);
    expect(r.scheduler.now()).toBeLessThan(7000);
    expect(r.exporter.queue.status()).toMatchObject({ pending: 3, delivered: 0 });
    const left = r.log
      .records()
      .find((l) => String(l.msg).startsWith("deliveries still pending at shutdown"));
    expect(left).toMatchObject({ pending: 3, kept: false, rules: expect.any(Array) });
  });

  it("probe (test-alert) sends one message per destination and reports the outcome", async () => {
    const r = await rig({ escalation_webhook_url: "" });
    r.slack.behave(() => replies.ok);
    const [ok] = await r.exporter.probe();
    expect(ok).toMatchObject({ ok: true, status: 200 });
    expect(ok?.destination).toMatch(/\/services\/T\*\*\*$/);
    r.slack.behave(() => replies.noService);
    const [bad] = await r.exporter.probe();
    expect(bad).toMatchObject({ ok: false, status: 404, reason: "404 no_service" });
    expect(String(r.slack.requests[0]?.body.text)).toContain("[TEST]");
  });

  it("never puts the webhook token in logs, status or failure reasons", async () => {
    const r = await rig({ escalation_webhook_url: "" });
    const script = [replies.rateLimited(1), replies.unavailable, replies.invalidPayload, replies.ok];
    r.slack.behave(({ index }) => script[index] ?? replies.ok);
    await r.exporter.export(rules(3));
    await runUntilSettled(r);
    await r.exporter.probe();
    await r.exporter.shutdown();
    const everything = [...r.log.lines, JSON.stringify(r.exporter.status?.())].join("\n");
    expect(r.log.lines.length).toBeGreaterThan(3);
    for (const secret of ["xyzSecretToken123456", "T0SECRET1", "B0SECRET2", SECRET_PATH]) {
      expect(everything).not.toContain(secret);
    }
    expect(everything).toContain("/services/T***");
  });
});
