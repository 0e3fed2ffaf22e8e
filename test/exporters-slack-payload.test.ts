import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { slackExporterFactory } from "../exporters/slack.ts";
import { renderAlert, renderDigest } from "../exporters/slack-blocks.ts";
import { COLOURS } from "../exporters/slack-format.ts";
import type { Exporter } from "../src/component.ts";
import type { Alert } from "../src/signal.ts";
import { testContext } from "./support/context.ts";
import { type FakeSlack, startFakeSlack } from "./support/fake-slack.ts";
import { alert, digest, spikeAlert, T0 } from "./support/notice-fixtures.ts";
import {
  attachment,
  blockText,
  delivered,
  expectWithinSlackLimits,
  fields,
  headerText,
} from "./support/slack-limits.ts";

type Obj = Record<string, unknown>;

describe("slack exporter payloads (through the webhook client to a local Slack)", () => {
  let slack: FakeSlack;
  let exporter: Exporter;

  async function make(config: Record<string, unknown> = {}): Promise<Exporter> {
    const parsed = slackExporterFactory.configSchema.parse({
      webhook_url: slack.webhookUrl(),
      environment: "staging",
      burst: 20,
      ...config,
    });
    return slackExporterFactory.create(parsed, testContext({ id: "slack" }));
  }

  const send = (items: Parameters<Exporter["export"]>[0]) => delivered(exporter, slack, items);

  beforeEach(async () => {
    slack = await startFakeSlack();
    exporter = await make();
  });
  afterEach(async () => {
    await exporter.shutdown();
    await slack.close();
  });

  it("renders a firing critical alert: header, red colour, value vs threshold, labels, env, fallback", async () => {
    const [m] = await send([alert({ labels: { service: "db-writer", region: "eu-1" } })]);
    const msg = m as Obj;
    expect(headerText(msg)).toBe("🔴 FIRING · CRITICAL · rpc_error_rate");
    expect(attachment(msg).color).toBe(COLOURS.critical);
    expect(attachment(msg).color).toBe("#E01E5A");
    const f = fields(msg);
    expect(f).toContain("*Component*\ndatabase");
    expect(f).toContain("*Status*\nFIRING");
    expect(f).toContain("*Current value*\n12.5 % (threshold &gt; 10 %)");
    expect(f).toContain("*Environment*\nstaging");
    expect(f.find((x) => x.startsWith("*Since*"))).toContain(new Date(T0).toISOString());
    expect(blockText(msg)).toContain("`service`: db-writer");
    expect(blockText(msg)).toContain("`region`: eu-1");
    expect(msg.text).toBe(
      "[FIRING] rpc_error_rate (critical) — database: RPC error rate 12.5 % is above 10 % | value 12.5 % (threshold &gt; 10 %) | labels: service=db-writer, region=eu-1 | env: staging",
    );
    expectWithinSlackLimits(msg);
  });

  it("colours warning yellow and info green, and shows the baseline of a spike", async () => {
    const [warn, info] = await send([spikeAlert(), alert({ severity: "info", rule: "note" })]);
    expect(attachment(warn as Obj).color).toBe("#ECB22E");
    expect(headerText(warn as Obj)).toBe("🟡 FIRING · WARNING · review_rate_spike");
    expect(fields(warn as Obj)).toContain("*Current value*\n6.6 %");
    expect(fields(warn as Obj)).toContain("*Baseline*\n4.1 %");
    expect(fields(warn as Obj)).toContain("*Increase*\n+60.98 % (threshold &gt; +50 %)");
    expect((warn as Obj).text).toContain("| value 6.6 % vs baseline 4.1 % (+60.98 %, threshold &gt; +50 %)");
    expect(attachment(info as Obj).color).toBe("#2EB67D");
  });

  it("sends a resolved alert in green with RESOLVED in header and text", async () => {
    const [m] = await send([alert({ status: "resolved", endsAt: T0 + 60_000, at: T0 + 60_000 })]);
    expect(attachment(m as Obj).color).toBe(COLOURS.resolved);
    expect(headerText(m as Obj)).toBe("✅ RESOLVED · CRITICAL · rpc_error_rate");
    expect((m as Obj).text).toMatch(/^\[RESOLVED\] rpc_error_rate/);
    expect(fields(m as Obj).some((f) => f.startsWith("*Resolved*"))).toBe(true);
  });

  it("escalates to the same channel with <!channel> when no escalation webhook is set", async () => {
    const [m] = await send([alert({ status: "escalated", escalationLevel: 1, route: "escalation" })]);
    expect((m as Obj).text).toMatch(/^<!channel> \[ESCALATED\] rpc_error_rate/);
    expect(headerText(m as Obj)).toBe("🚨 ESCALATED · CRITICAL · rpc_error_rate");
    expect(slack.requests.at(-1)?.path).toBe(new URL(slack.webhookUrl()).pathname);
  });

  it("escalates to escalation_webhook_url when set, without a channel mention", async () => {
    await exporter.shutdown();
    exporter = await make({
      escalation_webhook_url: slack.webhookUrl("/services/TESC/BESC/escalationSecret99"),
    });
    const [first, second] = await send([alert(), alert({ status: "escalated", route: "escalation" })]);
    expect(slack.requests.map((r) => r.path)).toEqual([
      new URL(slack.webhookUrl()).pathname,
      "/services/TESC/BESC/escalationSecret99",
    ]);
    expect((first as Obj).text).not.toContain("<!channel>");
    expect((second as Obj).text).not.toContain("<!channel>");
    expect((second as Obj).text).toMatch(/^\[ESCALATED\]/);
  });

  it("lists every held alert of a digest compactly", async () => {
    const held = [
      alert(),
      spikeAlert(),
      alert({ rule: "disk_usage", labels: { mount: "/data" }, value: 93 }),
    ];
    const [m] = await send([digest(held)]);
    const msg = m as Obj;
    expect(headerText(msg)).toBe("📋 Alert digest: 3 alerts held");
    const text = blockText(msg);
    expect(text).toContain("🔴 *rpc_error_rate* · FIRING · service=db-writer · 12.5 % (&gt; 10 %)");
    expect(text).toContain(
      "🟡 *review_rate_spike* · FIRING · roaster.id=r42, platform=shopify · 6.6 % vs baseline 4.1 % (+60.98 %, &gt; +50 %)",
    );
    expect(text).toContain("*disk_usage* · FIRING · mount=/data · 93 %");
    expect(attachment(msg).color).toBe(COLOURS.critical);
    expect(msg.text).toContain("Alert digest: 3 alerts held | env: staging");
    expect(msg.text).toContain("review_rate_spike [FIRING] (roaster.id=r42, platform=shopify)");
  });

  it("mentions the channel on an escalation-route digest when there is no escalation webhook", async () => {
    const [m] = await send([
      digest([alert({ status: "escalated", route: "escalation" })], { route: "escalation" }),
    ]);
    expect(String((m as Obj).text)).toMatch(/^<!channel> Alert digest: 1 alerts held/);
  });

  it("keeps a 200-label alert inside Slack's limits, noting what it cut", async () => {
    const labels: Record<string, string> = {};
    for (let i = 0; i < 200; i++) labels[`label_${i}`] = `value-${i}-${"x".repeat(400)}`;
    const [m] = await send([alert({ labels, summary: "s".repeat(5000) })]);
    expect(slack.requests.at(-1)?.reply.status).toBe(200);
    expectWithinSlackLimits(m as Obj);
    expect(blockText(m as Obj)).toContain("`label_0`: value-0");
    expect(blockText(m as Obj)).toMatch(/…and \d+ more labels not shown/);
    expect(headerText(m as Obj).length).toBeLessThanOrEqual(150);
  });

  it("splits a 300-alert digest into several messages that together list every alert", async () => {
    const held: Alert[] = [];
    for (let i = 0; i < 300; i++)
      held.push(alert({ rule: `rule_${i}`, labels: { host: `host-${i}`, note: "n".repeat(150) } }));
    const messages = await send([digest(held)]);
    expect(messages.length).toBeGreaterThan(1);
    for (const m of messages) expectWithinSlackLimits(m);
    const all = messages.map(blockText).join("\n");
    for (let i = 0; i < 300; i++) expect(all).toContain(`*rule_${i}* · FIRING · host=host-${i}`);
    expect(headerText(messages[0] as Obj)).toBe(
      `📋 Alert digest: 300 alerts held (part 1/${messages.length})`,
    );
  });

  it("renders within limits even for extreme field sizes (pure renderer)", () => {
    const long = alert({ rule: "r".repeat(400), component: "c".repeat(5000), fingerprint: "f".repeat(9000) });
    for (const m of renderAlert(long, { environment: "e".repeat(3000) }))
      expectWithinSlackLimits(m as unknown as Obj);
    for (const m of renderDigest(digest([long, long]), { environment: "prod" }))
      expectWithinSlackLimits(m as unknown as Obj);
  });
});

describe("slack exporter config", () => {
  it("rejects a non-HTTPS webhook URL naming the key, never the URL", () => {
    const config = slackExporterFactory.configSchema.parse({
      webhook_url: "http://hooks.example.com/services/T1/B1/secretAbc123",
      escalation_webhook_url: "ftp://x/secretEsc",
    });
    const problems = slackExporterFactory.validate?.(config) ?? [];
    expect(problems.map((p) => p.path)).toEqual([["webhook_url"], ["escalation_webhook_url"]]);
    for (const p of problems) {
      expect(p.message).toMatch(/^(webhook_url|escalation_webhook_url) must be an https:\/\/ URL/);
      expect(p.message).not.toContain("secret");
      expect(p.message).not.toContain("hooks.example.com");
    }
  });

  it("accepts https and loopback http URLs", () => {
    for (const url of [
      "https://hooks.slack.com/services/T/B/x",
      "http://127.0.0.1:9/x",
      "http://localhost/x",
      "http://[::1]:80/x",
    ]) {
      const config = slackExporterFactory.configSchema.parse({ webhook_url: url });
      expect(slackExporterFactory.validate?.(config)).toEqual([]);
    }
  });

  it("is not configured when the URL is empty or enabled is false", async () => {
    const ctx = testContext();
    const empty = await slackExporterFactory.create(slackExporterFactory.configSchema.parse({}), ctx);
    expect(empty.configured).toBe(false);
    const off = await slackExporterFactory.create(
      slackExporterFactory.configSchema.parse({
        webhook_url: "https://hooks.slack.com/services/T/B/x",
        enabled: "false",
      }),
      ctx,
    );
    expect(off.configured).toBe(false);
    await off.export([alert()]);
    expect(off.status?.()?.delivery).toMatchObject({ pending: 0, delivered: 0 });
    const on = slackExporterFactory.configSchema.parse({
      webhook_url: "https://hooks.slack.com/services/T/B/x",
    });
    expect(on.enabled).toBe(true);
    expect(on.rate_per_second).toBe(1);
    expect(on.burst).toBe(3);
  });

  it("takes the environment from SENTRY_ENVIRONMENT when not configured", async () => {
    const exporter = await slackExporterFactory.create(
      slackExporterFactory.configSchema.parse({ webhook_url: "https://hooks.slack.com/services/T/B/x" }),
      testContext({ env: { SENTRY_ENVIRONMENT: "qa" } }),
    );
    expect(exporter.status?.()).toMatchObject({ environment: "qa", configured: true });
  });
});
